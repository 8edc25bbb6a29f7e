//! A subscriber app: awsimple's `examples/pubsub/sub_app.py`. Subscribes to the channel
//! `awsimple-example` (one queue per node), starts the publisher app as a separate process, and
//! prints what arrives. `--forever` keeps listening instead of stopping after five messages.

use std::time::Duration;

use awsimple::AwsAccess;
use awsimple::pubsub::Sub;
use futures::StreamExt;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let forever = std::env::args().any(|a| a == "--forever");
    let access = AwsAccess::new().await?;
    let sub = Sub::new(&access, "awsimple-example").await?;
    println!("listening on queue {}", sub.queue().queue_name());

    if !forever {
        // The publisher, as another program (beside this one in the target folder).
        let publisher = std::env::current_exe()?.with_file_name("pubsub_pub_app");
        let status = tokio::process::Command::new(publisher).status().await?;
        if !status.success() {
            return Err(format!("the publisher app failed: {status}").into());
        }
    }
    let mut messages = Box::pin(sub.stream::<Value>());
    let mut count = 0;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(30), messages.next()).await;
        match next {
            Ok(Some(message)) => {
                println!("received {}", message?);
                count += 1;
                if !forever && count == 5 {
                    break;
                }
            }
            Ok(None) => break,
            Err(_) if forever => continue,
            Err(_) => return Err("no message within 30 s".into()),
        }
    }
    Ok(())
}
