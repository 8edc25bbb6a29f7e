//! A worker: long poll, delete after the work is done, and the automatic visibility timeout
//! learning from the work times.

use std::time::Duration;

use awsimple::{AwsAccess, SqsAccess};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    let history = tempfile::tempdir()?; // a real worker keeps the default per-user folder
    let producer = SqsAccess::new(&access, "awsimple-example-jobs")?;
    producer.create_queue().await?;
    let jobs: Vec<String> = (1..=5).map(|i| format!("job {i}")).collect();
    producer.send_batch(&jobs).await?;
    println!("sent {} jobs", jobs.len());

    let worker = SqsAccess::builder(&access, "awsimple-example-jobs")
        .immediate_delete(false)
        .long_poll(true)
        .history_dir(history.path())
        .build()?;
    println!(
        "visibility timeout before any work: {:?}",
        worker.visibility_timeout()
    );
    while let Some(job) = worker.receive_message().await? {
        tokio::time::sleep(Duration::from_millis(200)).await; // the "work"
        worker.delete_message(&job).await?;
        println!(
            "done: {} (visibility timeout now {:?})",
            job.body,
            worker.visibility_timeout()
        );
    }
    Ok(())
}
