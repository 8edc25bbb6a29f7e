//! SNS from a plain `fn main` with the blocking API: one topic fanned out to a queue
//! (`sns_sqs_fanout`, without async).

use std::time::Duration;

use awsimple::blocking::{AwsAccess, SnsAccess, SqsAccess};

fn main() -> awsimple::Result<()> {
    let access = AwsAccess::new()?;
    let topic = SnsAccess::new(&access, "awsimple-example-blocking-topic")?;
    println!("topic {}", topic.create_topic()?);
    let queue = SqsAccess::new(&access, "awsimple-example-blocking-fanout")?;
    queue.create_queue()?;
    topic.subscribe_sqs(&queue, true)?;

    for i in 1..=3 {
        topic.publish(&format!("event {i}"), None, None)?;
    }
    let mut received = 0;
    let mut messages = queue.messages();
    while received < 3 {
        match messages.next_timeout(Duration::from_secs(30))? {
            Some(message) => {
                queue.delete_message(&message)?;
                println!("{}: {}", queue.queue_name(), message.body);
                received += 1;
            }
            None => return Err(awsimple::Error::other("no message within 30 s")),
        }
    }
    Ok(())
}
