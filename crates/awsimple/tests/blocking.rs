//! The blocking API against the emulator, from plain (non-async) tests: every service through
//! the blocking handles, and the clear error (not a panic) when it is called inside a runtime.
#![cfg(all(feature = "blocking", feature = "full"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use awsimple::blocking::pubsub::{Pub, Sub};
use awsimple::blocking::{
    self, AwsAccess, DynamoDbAccess, LogsAccess, S3Access, SnsAccess, SqsAccess,
};
use awsimple::dynamodb::{AttributeType, CreateTable, Query, TransactGet, TransactWrite};
use awsimple::{Error, logs::LogEvent};
use awsimple_testkit::{emulator_access, unique_name};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The emulator's access, built on the blocking API's own runtime.
fn access() -> AwsAccess {
    AwsAccess::from(blocking::block_on(emulator_access()).unwrap())
}

/// The blocking access tells the endpoint each service's client uses, as the async one does
/// (the emulator's, set in code, for every service).
#[test]
fn service_endpoints_are_the_async_access_ones() {
    let access = access();
    let endpoint = access.endpoint_url().unwrap().to_owned();
    for service in ["S3", "DynamoDB", "SQS", "SNS"] {
        assert_eq!(
            access.service_endpoint_url(service).as_deref(),
            Some(endpoint.as_str()),
            "{service}"
        );
        assert_eq!(
            access.service_endpoint_url(service),
            access.as_async().service_endpoint_url(service)
        );
    }
}

#[test]
fn s3_objects_round_trip() {
    let s3 = S3Access::new(&access(), unique_name("blocking")).unwrap();
    assert!(!s3.bucket_exists().unwrap());
    assert!(s3.create_bucket().unwrap());
    s3.write_string("hello world", "hello.txt").unwrap();
    assert_eq!(s3.read_string("hello.txt").unwrap(), "hello world");
    s3.write_json(&json!({"n": 1}), "config").unwrap();
    assert_eq!(s3.read_json::<Value>("config").unwrap(), json!({"n": 1}));
    assert_eq!(s3.keys("").unwrap(), vec!["config.json", "hello.txt"]);
    assert_eq!(s3.get_object_metadata("hello.txt").unwrap().size, 11);

    let folder = tempfile::tempdir().unwrap();
    let source = folder.path().join("source.bin");
    std::fs::write(&source, vec![7_u8; 5000]).unwrap();
    assert!(s3.upload(&source, "file.bin").unwrap());
    assert!(!s3.upload(&source, "file.bin").unwrap(), "same content");
    let dest = s3
        .download("file.bin", folder.path().join("out.bin"))
        .unwrap();
    assert_eq!(std::fs::read(dest).unwrap(), vec![7_u8; 5000]);

    s3.delete_object("hello.txt").unwrap();
    assert!(!s3.object_exists("hello.txt").unwrap());
    let missing = s3.read_string("hello.txt").unwrap_err();
    assert!(missing.is_not_found(), "{missing}");

    // Directory sync, both ways; the second sync_up transfers nothing.
    let tree = folder.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("a.txt"), "a").unwrap();
    std::fs::write(tree.join("sub").join("b.txt"), "b").unwrap();
    assert_eq!(s3.sync_up(&tree, "tree").unwrap().uploaded.len(), 2);
    assert!(s3.sync_up(&tree, "tree").unwrap().uploaded.is_empty());
    let copy = folder.path().join("copy");
    assert_eq!(s3.sync_down("tree", &copy).unwrap().downloaded.len(), 2);
    assert_eq!(
        std::fs::read_to_string(copy.join("sub").join("b.txt")).unwrap(),
        "b"
    );
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Reading {
    station: String,
    time: u32,
    value: f64,
}

#[test]
fn dynamodb_items_round_trip() {
    let table = DynamoDbAccess::new(&access(), unique_name("blocking")).unwrap();
    let spec = CreateTable::partition("station", AttributeType::String)
        .sort("time", AttributeType::Number);
    assert!(table.create_table(&spec).unwrap());
    assert!(table.table_exists().unwrap());
    let readings: Vec<Reading> = (0..5)
        .map(|time| Reading {
            station: "a".into(),
            time,
            value: f64::from(time) / 2.0,
        })
        .collect();
    table.put_items(&readings).unwrap();
    table
        .put_item(&Reading {
            station: "b".into(),
            time: 1,
            value: 9.0,
        })
        .unwrap();

    let got: Option<Reading> = table.get_item(("a", 3)).unwrap();
    assert_eq!(got.as_ref(), Some(&readings[3]));
    assert_eq!(
        table.query::<Reading>(&Query::partition("a")).unwrap(),
        readings
    );
    let latest: Option<Reading> = table.query_one(&Query::partition("a")).unwrap();
    assert_eq!(latest.as_ref(), Some(&readings[4]));
    // The stream forms as blocking iterators.
    let scanned: Vec<Reading> = table.scan_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(scanned.len(), 6);
    let queried: Vec<Reading> = table
        .query_iter(&Query::partition("b"))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(queried.len(), 1);

    // Transactions take the async handle.
    let write = TransactWrite::new().delete(table.as_async(), ("a", 0)).put(
        table.as_async(),
        &Reading {
            station: "c".into(),
            time: 0,
            value: 1.0,
        },
    );
    table.transact_write(&write).unwrap();
    let read = TransactGet::new()
        .get(table.as_async(), ("a", 0))
        .get(table.as_async(), ("c", 0));
    let got: Vec<Option<Value>> = table.transact_get(&read).unwrap();
    assert!(got[0].is_none() && got[1].is_some(), "{got:?}");

    table.delete_item(("b", 1)).unwrap();
    assert_eq!(table.scan_table::<Value>().unwrap().len(), 5);
    assert!(table.delete_table().unwrap());
}

#[test]
fn sqs_messages_round_trip() {
    let queue = SqsAccess::new(&access(), unique_name("blocking")).unwrap();
    queue.create_queue().unwrap();
    let bodies: Vec<String> = (0..3).map(|i| format!("job {i}")).collect();
    assert!(queue.send_batch(&bodies).unwrap().all_succeeded());
    queue.send("job 3").unwrap();

    let mut got = BTreeSet::new();
    while got.len() < 2 {
        for message in queue.receive_messages(Some(2)).unwrap() {
            got.insert(message.body);
        }
    }
    // The rest through the blocking iterator, with a bound on the wait.
    let mut messages = queue.messages();
    while got.len() < 4 {
        let message = messages
            .next_timeout(Duration::from_secs(30))
            .unwrap()
            .expect("a message within 30 s");
        got.insert(message.body);
    }
    let want: BTreeSet<String> = (0..4).map(|i| format!("job {i}")).collect();
    assert_eq!(got, want);
    assert!(queue.receive_message().unwrap().is_none());
    assert!(queue.delete_queue().unwrap());
    assert!(!queue.queue_exists().unwrap());
}

#[test]
fn sns_fans_out_to_a_queue() {
    let access = access();
    let topic = SnsAccess::new(&access, unique_name("blocking")).unwrap();
    topic.create_topic().unwrap();
    assert!(topic.topic_exists().unwrap());
    let queue = SqsAccess::new(&access, unique_name("blocking")).unwrap();
    queue.create_queue().unwrap();
    topic.subscribe_sqs(&queue, true).unwrap();
    topic.publish("event 1", None, None).unwrap();
    assert!(
        topic
            .publish_batch(&["event 2", "event 3"])
            .unwrap()
            .all_succeeded()
    );

    let mut got = BTreeSet::new();
    for _ in 0..50 {
        got.extend(
            queue
                .receive_messages(None)
                .unwrap()
                .into_iter()
                .map(|m| m.body),
        );
        if got.len() == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let want: BTreeSet<String> = (1..=3).map(|i| format!("event {i}")).collect();
    assert_eq!(got, want);
    assert!(topic.delete_topic().unwrap());
}

#[test]
fn logs_events_are_put() {
    let logs = LogsAccess::new(
        &access(),
        format!("/awsimple-test/{}", unique_name("blocking")),
    )
    .unwrap();
    assert!(!logs.log_group_exists().unwrap());
    logs.put("hello from a plain fn").unwrap();
    assert!(logs.log_group_exists().unwrap());
    let report = logs
        .put_batch(&[LogEvent::new("one"), LogEvent::new("two")])
        .unwrap();
    assert!(report.all_succeeded(), "{report:?}");
    assert!(logs.delete_log_group().unwrap());
}

#[test]
fn pubsub_messages_arrive_through_the_blocking_iterator() {
    let access = access();
    let channel = unique_name("blocking");
    let sub = Sub::builder(&access, &channel)
        .node_name("blocking-node")
        .build()
        .unwrap();
    let publisher = Pub::new(&access, &channel).unwrap();
    for i in 0..5 {
        publisher.publish(&json!({ "i": i })).unwrap();
    }
    // The background sender runs on the blocking runtime between calls.
    publisher.flush().unwrap();
    publisher.publish(&json!({ "i": 5 })).unwrap();
    publisher.shutdown().unwrap();

    // Some at once (a long poll returns as soon as messages are there), the rest through the
    // blocking iterator.
    let mut got: BTreeSet<u64> = sub
        .drain::<Value>()
        .unwrap()
        .iter()
        .map(|m| m["i"].as_u64().unwrap())
        .collect();
    let mut messages = sub.messages::<Value>();
    while got.len() < 6 {
        let message = messages
            .next_timeout(Duration::from_secs(30))
            .unwrap()
            .expect("a message within 30 s");
        got.insert(message["i"].as_u64().unwrap());
    }
    assert_eq!(got, (0..6).collect::<BTreeSet<u64>>());
}

fn assert_in_runtime_error<T: std::fmt::Debug>(result: awsimple::Result<T>) {
    match result {
        Err(Error::Other { context, .. }) => {
            assert_eq!(context, blocking::IN_ASYNC_RUNTIME);
            assert!(context.contains("use the async API"), "{context}");
        }
        other => panic!("expected the in-runtime error, got {other:?}"),
    }
}

#[tokio::test]
async fn inside_a_runtime_every_call_is_a_clear_error_not_a_panic() {
    assert_in_runtime_error(blocking::block_on(async { 1 }));
    assert_in_runtime_error(AwsAccess::new());
    // Handles made from an async access: constructors need no runtime, calls refuse.
    let access = AwsAccess::from(emulator_access().await);
    let s3 = S3Access::new(&access, unique_name("blocking")).unwrap();
    assert_in_runtime_error(s3.create_bucket());
    let queue = SqsAccess::new(&access, unique_name("blocking")).unwrap();
    assert_in_runtime_error(queue.send("x"));
    assert_in_runtime_error(Pub::new(&access, "channel"));
    // An iterator says so once, then ends.
    let mut messages = queue.messages();
    assert_in_runtime_error(messages.next().expect("the error"));
    assert!(messages.next().is_none());
    // The async API still works here.
    assert!(access.as_async().test().await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_multi_thread_runtime_is_refused_too() {
    assert_in_runtime_error(access_in_task().await);
}

async fn access_in_task() -> awsimple::Result<AwsAccess> {
    tokio::spawn(async { AwsAccess::new() }).await.unwrap()
}
