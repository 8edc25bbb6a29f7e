//! Pub/sub from a plain `fn main` with the blocking API: a subscriber and a publisher on one
//! channel (`pubsub_pub_app` + `pubsub_sub_app`, without async).

use std::time::Duration;

use awsimple::blocking::AwsAccess;
use awsimple::blocking::pubsub::{Pub, Sub};
use serde_json::{Value, json};

fn main() -> awsimple::Result<()> {
    let access = AwsAccess::new()?;
    let sub = Sub::builder(&access, "awsimple-example-blocking")
        .node_name("blocking-example")
        .build()?;
    println!("listening on queue {}", sub.queue().queue_name());

    let publisher = Pub::new(&access, "awsimple-example-blocking")?;
    for i in 1..=3 {
        publisher.publish(&json!({"reading": i, "from": "blocking_pubsub"}))?; // queued
    }
    publisher.shutdown()?; // sends what is still queued; reports any failure

    let mut messages = sub.messages::<Value>();
    for _ in 0..3 {
        match messages.next_timeout(Duration::from_secs(30))? {
            Some(message) => println!("received {message}"),
            None => return Err(awsimple::Error::other("no message within 30 s")),
        }
    }
    Ok(())
}
