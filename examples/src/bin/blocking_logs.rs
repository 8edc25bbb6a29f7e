//! CloudWatch Logs from a plain `fn main` with the blocking API: Python's
//! `LogsAccess(log_group).put(message)` (the stream is `<host>-<user>`, the group is created on
//! first use with a retention of 365 days).

use awsimple::blocking::{AwsAccess, LogsAccess};

fn main() -> awsimple::Result<()> {
    let access = AwsAccess::new()?;
    let logs = LogsAccess::new(&access, "awsimple-example-blocking-logs")?;
    logs.put("hello from a blocking script")?;
    logs.put("and a second line")?;
    println!(
        "put 2 events to {} / {}",
        logs.log_group_name(),
        logs.log_stream_name()
    );
    assert!(logs.log_group_exists()?);
    Ok(())
}
