//! A publisher app: awsimple's `examples/pubsub/pub_app.py`. Publishes a few readings on the
//! channel `awsimple-example` and flushes before it exits.

use awsimple::AwsAccess;
use awsimple::pubsub::Pub;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    let publisher = Pub::new(&access, "awsimple-example").await?;
    for i in 1..=5 {
        publisher.publish(&json!({"reading": i, "from": "pubsub_pub_app"}))?;
        println!("published reading {i}");
    }
    publisher.shutdown().await?; // sends what is still queued; reports any failure
    Ok(())
}
