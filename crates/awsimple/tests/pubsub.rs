//! Pub/sub against the emulator: round trips, several subscribers, callback and stream forms,
//! malformed messages, queue clean-up, and a failing publisher that reports its failure.
#![cfg(feature = "pubsub")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsimple::pubsub::{self, Pub, Sub};
use awsimple::{AwsAccess, DynamoDbAccess, SqsAccess};
use awsimple_testkit::{emulator_access, unique_name};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Reading {
    i: u32,
}

async fn collect(sub: &Sub, want: usize) -> Vec<Reading> {
    let mut got = Vec::new();
    for _ in 0..60 {
        got.extend(sub.drain::<Reading>().await.unwrap());
        if got.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got
}

async fn sub(access: &AwsAccess, channel: &str, node: &str) -> Sub {
    Sub::builder(access, channel)
        .node_name(node)
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_hundred_messages_arrive_once_each_at_every_subscriber() {
    let access = emulator_access().await;
    let channel = unique_name("chan");
    let a = sub(&access, &channel, "node-a").await;
    let b = sub(&access, &channel, "node-b").await;
    let publisher = Pub::new(&access, &channel).await.unwrap();
    for i in 0..100 {
        publisher.publish(&Reading { i }).unwrap();
    }
    publisher.shutdown().await.unwrap();
    for subscriber in [&a, &b] {
        let mut got = collect(subscriber, 100).await;
        got.sort();
        assert_eq!(got.len(), 100, "none lost, none duplicated");
        let distinct: BTreeSet<u32> = got.iter().map(|r| r.i).collect();
        assert_eq!(distinct, (0..100).collect());
    }
    // The queues follow the shared naming.
    assert_eq!(
        a.queue().queue_name(),
        pubsub::queue_name(&channel, "node-a")
    );
    assert!(
        a.queue()
            .queue_name()
            .starts_with(&pubsub::topic_name(&channel))
    );
}

#[tokio::test]
async fn stream_and_callback_forms() {
    let access = emulator_access().await;
    let channel = unique_name("forms");
    let streamed = sub(&access, &channel, "streamer").await;
    let called = sub(&access, &channel, "caller").await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let task = called.on_message(move |r: Reading| sink.lock().unwrap().push(r.i));
    let publisher = Pub::new(&access, &channel).await.unwrap();
    for i in 0..5 {
        publisher.publish(&Reading { i }).unwrap();
    }
    publisher.flush().await.unwrap();
    let got: Vec<u32> = Box::pin(streamed.stream::<Reading>())
        .take(5)
        .map(|r| r.unwrap().i)
        .collect()
        .await;
    assert_eq!(
        got.iter().copied().collect::<BTreeSet<_>>(),
        (0..5).collect()
    );
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    task.abort();
    let mut calls = seen.lock().unwrap().clone();
    calls.sort();
    assert_eq!(calls, [0, 1, 2, 3, 4]);
    publisher.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_messages_are_skipped() {
    let access = emulator_access().await;
    let channel = unique_name("bad");
    let subscriber = sub(&access, &channel, "n").await;
    let queue = subscriber.queue();
    queue.send("not json at all").await.unwrap();
    queue.send(r#"{"Type": "Notification"}"#).await.unwrap();
    queue
        .send(&json!({"Message": "{\"unexpected\": true}"}).to_string())
        .await
        .unwrap();
    queue
        .send(&json!({"Message": "{\"i\": 7}"}).to_string())
        .await
        .unwrap();
    let got = collect(&subscriber, 1).await;
    assert_eq!(got, [Reading { i: 7 }]);
}

#[tokio::test]
async fn queues_unused_for_30_days_are_removed_and_unrecorded_ones_kept() {
    let access = emulator_access().await;
    let channel = unique_name("clean");
    let old = pubsub::queue_name(&channel, "old-node");
    let unrecorded = pubsub::queue_name(&channel, "never-recorded");
    for name in [&old, &unrecorded] {
        SqsAccess::new(&access, name.as_str())
            .unwrap()
            .create_queue()
            .await
            .unwrap();
    }
    let long_ago = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - 31.0 * 24.0 * 3600.0;
    let metadata = DynamoDbAccess::new(&access, "__awsimple_metadata__").unwrap();
    awsimple::dynamodb::record_use(&access, "sqs", "bootstrap")
        .await
        .unwrap();
    metadata
        .put_item(
            &json!({"service": "sqs", "name": old, "mtime_f": long_ago, "mtime_human": "old"}),
        )
        .await
        .unwrap();
    let _fresh = sub(&access, &channel, "new-node").await;
    assert!(
        !SqsAccess::new(&access, old.as_str())
            .unwrap()
            .queue_exists()
            .await
            .unwrap(),
        "removed"
    );
    assert!(
        SqsAccess::new(&access, unrecorded.as_str())
            .unwrap()
            .queue_exists()
            .await
            .unwrap(),
        "a queue without a record is left alone"
    );
    let recorded =
        awsimple::dynamodb::recorded_use(&access, "sqs", &pubsub::queue_name(&channel, "new-node"))
            .await
            .unwrap();
    assert!(recorded.is_some(), "the new queue's use is recorded");
}

#[tokio::test]
async fn a_failing_publisher_reports_its_failure() {
    let access = emulator_access().await;
    let channel = unique_name("fail");
    let publisher = Pub::new(&access, &channel).await.unwrap();
    publisher.topic().delete_topic().await.unwrap();
    publisher.publish(&Reading { i: 1 }).unwrap();
    let err = publisher.shutdown().await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    let publisher = Pub::new(&access, &unique_name("ok")).await.unwrap();
    assert!(
        publisher.publish(&json!([1, 2])).is_err(),
        "not a JSON object"
    );
    publisher.shutdown().await.unwrap();
}

#[derive(Serialize)]
struct Measurement {
    value: f64,
}

#[tokio::test]
async fn non_finite_numbers_are_refused_not_published_as_null() {
    let access = emulator_access().await;
    let publisher = Pub::new(&access, &unique_name("nan")).await.unwrap();
    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = publisher.publish(&Measurement { value }).unwrap_err();
        assert!(
            matches!(err, awsimple::Error::InvalidInput { .. }),
            "{err:?}"
        );
    }
    publisher.publish(&Measurement { value: 1.5 }).unwrap();
    publisher.shutdown().await.unwrap();
}
