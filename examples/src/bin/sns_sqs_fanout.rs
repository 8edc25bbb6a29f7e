//! SNS -> SQS fan-out: one topic, two queues, every message in both.

use awsimple::{AwsAccess, SnsAccess, SqsAccess};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    let topic = SnsAccess::builder(&access, "awsimple-example-fanout")
        .auto_create(true)
        .build()?;
    let mut queues = Vec::new();
    for name in ["awsimple-example-fanout-a", "awsimple-example-fanout-b"] {
        let queue = SqsAccess::new(&access, name)?;
        queue.create_queue().await?;
        // The queue's policy gains a statement for this topic, merged with what it had.
        topic.subscribe_sqs(&queue, true).await?;
        queues.push(queue);
    }
    for i in 1..=3 {
        topic.publish(&format!("event {i}"), None, None).await?;
    }
    for queue in &queues {
        let got: Vec<String> = queue
            .receive_messages(None)
            .await?
            .into_iter()
            .map(|m| m.body)
            .collect();
        println!("{}: {got:?}", queue.queue_name());
    }
    Ok(())
}
