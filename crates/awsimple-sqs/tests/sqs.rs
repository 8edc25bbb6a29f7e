//! SQS against the emulator: queues, sending, receiving past the 10-per-call limit, long poll,
//! immediate and caller delete, visibility timeouts, FIFO order, batches, policies, faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use awsimple_core::{AwsAccess, Error};
use awsimple_sqs::{MessageAttribute, MessageAttributes, SqsAccess, SqsAccessBuilder};
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use awsimple_testkit::{access_at, emulator_access, emulator_endpoint, unique_name};
use futures::StreamExt;

fn builder(access: &AwsAccess, name: &str, history: &tempfile::TempDir) -> SqsAccessBuilder {
    SqsAccess::builder(access, name).history_dir(history.path())
}

async fn fresh(access: &AwsAccess, history: &tempfile::TempDir) -> SqsAccess {
    let queue = builder(access, &unique_name("q"), history).build().unwrap();
    queue.create_queue().await.unwrap();
    queue
}

#[tokio::test]
async fn queue_lifecycle_and_listing() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let prefix = unique_name("life");
    let a = builder(&access, &format!("{prefix}-a"), &history)
        .build()
        .unwrap();
    let b = builder(&access, &format!("{prefix}-b"), &history)
        .build()
        .unwrap();
    assert!(!a.queue_exists().await.unwrap());
    let url = a.create_queue().await.unwrap();
    assert!(url.ends_with(&format!("{prefix}-a")), "{url}");
    assert_eq!(
        a.create_queue().await.unwrap(),
        url,
        "creating twice is fine"
    );
    b.create_queue().await.unwrap();
    assert!(a.queue_exists().await.unwrap());
    assert!(a.arn().await.unwrap().ends_with(&format!(":{prefix}-a")));
    assert_eq!(
        a.queue_names(&prefix).await.unwrap(),
        [format!("{prefix}-a"), format!("{prefix}-b")]
    );
    a.send("one").await.unwrap();
    a.send("two").await.unwrap();
    assert_eq!(a.approximate_message_count().await.unwrap(), 2);
    a.purge().await.unwrap();
    assert_eq!(a.approximate_message_count().await.unwrap(), 0);
    assert!(a.delete_queue().await.unwrap());
    assert!(!a.queue_exists().await.unwrap());
}

#[tokio::test]
async fn send_creates_the_queue_and_receive_crosses_the_ten_message_limit() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = builder(&access, &unique_name("q14"), &history)
        .build()
        .unwrap();
    for i in 0..14 {
        queue.send(&format!("message {i}")).await.unwrap(); // the first one creates the queue
    }
    let counter = access.request_counter();
    counter.reset();
    let eleven = queue.receive_messages(Some(11)).await.unwrap();
    assert_eq!(eleven.len(), 11);
    assert_eq!(counter.operation("SQS", "ReceiveMessage"), 2, "10 + 1");
    assert_eq!(
        counter.operation("SQS", "DeleteMessageBatch"),
        2,
        "one per receive call"
    );
    let rest = queue.receive_messages(None).await.unwrap();
    assert_eq!(rest.len(), 3);
    let bodies: BTreeSet<String> = eleven.iter().chain(&rest).map(|m| m.body.clone()).collect();
    assert_eq!(bodies.len(), 14, "every message once");
    assert!(queue.receive_message().await.unwrap().is_none());
}

#[test]
fn a_fifo_as_the_history_file_does_not_block_build() {
    // The history is read by build(): a FIFO in its place must be ignored, not block forever.
    let history = tempfile::tempdir().unwrap();
    let name = "fifo-history-queue";
    std::fs::create_dir_all(history.path().join("sqs")).unwrap();
    let fifo = history.path().join("sqs").join(format!("{name}.json"));
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let dir = history.path().to_path_buf();
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let access = runtime.block_on(
            awsimple_core::AwsAccess::builder()
                .region("us-east-1")
                .credentials("AKIDTEST", "not-a-secret", None)
                .build(),
        );
        let built = access.map(|access| {
            SqsAccess::builder(&access, name)
                .immediate_delete(false)
                .history_dir(dir)
                .build()
                .map(|q| q.visibility_timeout())
        });
        let _ = done.send(built.is_ok_and(|b| b.is_ok()));
    });
    let built = wait
        .recv_timeout(Duration::from_secs(20))
        .expect("build() returned instead of blocking on the FIFO");
    assert!(built, "build() succeeded with an empty history");
}

#[tokio::test]
async fn missing_queues_and_auto_create() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    // Receiving from a queue that does not exist is an error (Python returns nothing: a typo
    // in a queue name would then look like an idle queue forever).
    let missing = builder(&access, &unique_name("missing"), &history)
        .build()
        .unwrap();
    let err = missing.receive_messages(None).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(!missing.queue_exists().await.unwrap());
    // An auto_create handle creates it: on receive (which then finds nothing) ...
    let name = unique_name("auto");
    let auto = builder(&access, &name, &history)
        .auto_create(true)
        .build()
        .unwrap();
    assert!(auto.receive_messages(None).await.unwrap().is_empty());
    assert!(auto.queue_exists().await.unwrap());
    // ... and on queue_exists, as in Python.
    let other = builder(&access, &unique_name("auto"), &history)
        .auto_create(true)
        .build()
        .unwrap();
    assert!(other.queue_exists().await.unwrap(), "created by the check");
    let plain = SqsAccess::new(&access, other.queue_name()).unwrap();
    assert!(plain.queue_exists().await.unwrap());
}

#[tokio::test]
async fn every_receive_of_a_long_poll_handle_waits() {
    // A worker loop on an idle queue: each receive must long-poll (up to 20 s), not only the
    // first one; short polls back to back would send hundreds of requests in the same time.
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = builder(&access, &unique_name("idle"), &history)
        .long_poll(true)
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    let counter = access.request_counter();
    counter.reset();
    let idle = Duration::from_secs(25);
    let mut receives = 0;
    let _ = tokio::time::timeout(idle, async {
        loop {
            assert!(queue.receive_message().await.unwrap().is_none());
            receives += 1;
        }
    })
    .await;
    let requests = counter.operation("SQS", "ReceiveMessage");
    assert!(
        receives >= 1 && requests <= 3,
        "{receives} receives sent {requests} ReceiveMessage requests in {idle:?} of an idle queue"
    );
}

#[tokio::test]
async fn long_poll_receives_a_message_sent_during_the_wait() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let name = unique_name("poll");
    let queue = builder(&access, &name, &history)
        .long_poll(true)
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    let sender = builder(&access, &name, &history).build().unwrap();
    let waiting = tokio::spawn({
        let queue = queue.clone();
        async move { queue.receive_message().await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !waiting.is_finished(),
        "the first receive waits for a message"
    );
    sender.send("arrived during the wait").await.unwrap();
    let message = waiting
        .await
        .unwrap()
        .unwrap()
        .expect("the long poll got it");
    assert_eq!(message.body, "arrived during the wait");
}

#[tokio::test]
async fn undeleted_messages_come_back_after_their_visibility_timeout() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let name = unique_name("vis");
    let worker = builder(&access, &name, &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    worker.create_queue().await.unwrap();
    worker.send("job").await.unwrap();
    let first = worker.receive_message().await.unwrap().unwrap();
    assert!(
        worker.receive_message().await.unwrap().is_none(),
        "invisible for now"
    );
    let mut again = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Some(m) = worker.receive_message().await.unwrap() {
            again = Some(m);
            break;
        }
    }
    let again = again.expect("the undeleted message came back");
    assert_eq!(again.message_id, first.message_id);
    worker.delete_message(&again).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        worker.receive_message().await.unwrap().is_none(),
        "deleted for good"
    );

    // With immediate delete it never comes back.
    let immediate = builder(&access, &name, &history).build().unwrap();
    immediate.send("once").await.unwrap();
    assert_eq!(
        immediate.receive_message().await.unwrap().unwrap().body,
        "once"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(immediate.receive_message().await.unwrap().is_none());
}

#[tokio::test]
async fn automatic_visibility_timeout_follows_the_recorded_history() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let name = unique_name("auto");
    let worker = builder(&access, &name, &history)
        .immediate_delete(false)
        .build()
        .unwrap();
    assert_eq!(
        worker.visibility_timeout(),
        Duration::from_secs(3600),
        "no history yet"
    );
    worker.create_queue().await.unwrap();
    worker.send("a").await.unwrap();
    let message = worker.receive_message().await.unwrap().unwrap();
    worker.delete_message(&message).await.unwrap();
    // One work time, under a second, counted as 1 s: 10 x 1 s.
    assert_eq!(worker.visibility_timeout(), Duration::from_secs(10));
    let file = history.path().join("sqs").join(format!("{name}.json"));
    assert!(file.is_file(), "the history was saved");

    // A recorded history (as another process left it) is picked up by a new handle.
    std::fs::write(&file, br#"{"work_times":[4.0,6.0,5.0]}"#).unwrap();
    let next = builder(&access, &name, &history)
        .immediate_delete(false)
        .build()
        .unwrap();
    assert_eq!(next.visibility_timeout(), Duration::from_secs(50));
    let floor = builder(&access, &name, &history)
        .immediate_delete(false)
        .minimum_visibility_timeout(Duration::from_secs(90))
        .build()
        .unwrap();
    assert_eq!(floor.visibility_timeout(), Duration::from_secs(90));
    // A corrupt history is ignored.
    std::fs::write(&file, b"garbage").unwrap();
    let fresh = builder(&access, &name, &history)
        .immediate_delete(false)
        .build()
        .unwrap();
    assert_eq!(fresh.visibility_timeout(), Duration::from_secs(3600));
    assert_eq!(
        builder(&access, &name, &history)
            .build()
            .unwrap()
            .visibility_timeout(),
        Duration::from_secs(30),
        "immediate delete"
    );
}

#[tokio::test]
async fn fifo_queues_keep_order_within_a_group() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let name = format!("{}.fifo", unique_name("fifo"));
    let queue = builder(&access, &name, &history)
        .message_group_id("g1")
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    let sent: Vec<String> = (0..12).map(|i| format!("step {i}")).collect();
    for body in &sent[..6] {
        queue.send(body).await.unwrap();
    }
    assert!(queue.send_batch(&sent[6..]).await.unwrap().all_succeeded());
    let received: Vec<String> = queue
        .receive_messages(None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(received, sent);
}

#[tokio::test]
async fn batch_send_of_25_and_batch_delete() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let name = unique_name("batch");
    let queue = builder(&access, &name, &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    let bodies: Vec<String> = (0..25).map(|i| format!("item {i}")).collect();
    let counter = access.request_counter();
    counter.reset();
    let report = queue.send_batch(&bodies).await.unwrap();
    assert!(report.all_succeeded(), "{:?}", report.failures());
    assert_eq!(report.results.len(), 25);
    assert_eq!(counter.operation("SQS", "SendMessageBatch"), 3);

    let received = queue.receive_messages(None).await.unwrap();
    assert_eq!(received.len(), 25);
    counter.reset();
    queue.delete_messages(&received).await.unwrap();
    assert_eq!(counter.operation("SQS", "DeleteMessageBatch"), 3);
    assert_eq!(queue.approximate_message_count().await.unwrap(), 0);

    // Big bodies: fewer than 10 per request so a batch stays within 256 KiB.
    let big: Vec<String> = (0..4)
        .map(|i| format!("{i}{}", "x".repeat(100_000)))
        .collect();
    counter.reset();
    assert!(queue.send_batch(&big).await.unwrap().all_succeeded());
    assert_eq!(
        counter.operation("SQS", "SendMessageBatch"),
        2,
        "2 x 100 KB per request"
    );
}

#[tokio::test]
async fn receive_and_delete_of_200_within_42_requests() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = fresh(&access, &history).await;
    let bodies: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    assert!(queue.send_batch(&bodies).await.unwrap().all_succeeded());
    let counter = access.request_counter();
    counter.reset();
    let received = queue.receive_messages(Some(200)).await.unwrap();
    assert_eq!(received.len(), 200);
    let distinct: BTreeSet<&str> = received.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(distinct.len(), 200);
    let requests = counter.service("SQS");
    assert!(
        requests <= 42,
        "{requests} requests: {:?}",
        counter.snapshot()
    );
}

#[tokio::test]
async fn message_attributes_travel_with_the_message() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = fresh(&access, &history).await;
    let attributes = MessageAttributes::from([
        ("kind".to_owned(), MessageAttribute::from("report")),
        (
            "size".to_owned(),
            MessageAttribute::from(12345678901234_i64),
        ),
        (
            "digest".to_owned(),
            MessageAttribute::from(vec![0_u8, 1, 254, 255]),
        ),
    ]);
    queue
        .send_with_attributes("body", &attributes)
        .await
        .unwrap();
    let message = queue.receive_message().await.unwrap().unwrap();
    assert_eq!(message.attributes, attributes);
    // Checked before any request: reserved names, too many, empty values, String.Array.
    for bad in [
        MessageAttributes::from([("AWS.trace".to_owned(), MessageAttribute::from("x"))]),
        (0..11)
            .map(|i| (format!("k{i}"), MessageAttribute::from("v")))
            .collect(),
        MessageAttributes::from([("empty".to_owned(), MessageAttribute::from(""))]),
        MessageAttributes::from([(
            "list".to_owned(),
            MessageAttribute::from(vec!["a".to_owned()]),
        )]),
    ] {
        let err = queue.send_with_attributes("body", &bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn concurrent_add_permission_keeps_every_statement() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = fresh(&access, &history).await;
    let sources: Vec<String> = (0..8)
        .map(|i| format!("arn:aws:sns:us-east-1:123456789012:topic{i}"))
        .collect();
    let tasks: Vec<_> = sources
        .iter()
        .map(|source| {
            let (queue, source) = (queue.clone(), source.clone());
            tokio::spawn(async move { queue.add_permission(&source).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let policy: serde_json::Value =
        serde_json::from_str(&queue.policy().await.unwrap().unwrap()).unwrap();
    let granted: BTreeSet<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Condition"]["ArnEquals"]["aws:SourceArn"].as_str())
        .collect();
    for source in &sources {
        assert!(
            granted.contains(source.as_str()),
            "{source} lost: {granted:?}"
        );
    }
}

#[tokio::test]
async fn add_permission_merges_into_the_policy() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = fresh(&access, &history).await;
    queue
        .add_permission("arn:aws:sns:us-east-1:123456789012:first")
        .await
        .unwrap();
    queue
        .add_permission("arn:aws:sns:us-east-1:123456789012:second")
        .await
        .unwrap();
    queue
        .add_permission("arn:aws:sns:us-east-1:123456789012:first")
        .await
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(&queue.policy().await.unwrap().unwrap()).unwrap();
    let sids: BTreeSet<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        BTreeSet::from(["AllowSNSSendMessagefirst", "AllowSNSSendMessagesecond"])
    );
}

#[tokio::test]
async fn the_stream_hands_over_every_message_once() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = fresh(&access, &history).await;
    let bodies: Vec<String> = (0..15).map(|i| format!("s{i}")).collect();
    queue.send_batch(&bodies).await.unwrap();
    let got: BTreeSet<String> = queue
        .messages()
        .take(15)
        .map(|m| m.unwrap().body)
        .collect()
        .await;
    assert_eq!(got.len(), 15);
}

#[tokio::test]
async fn bad_input_is_rejected_before_any_request() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let counter = access.request_counter().clone();
    for bad in ["", "has space", "dot.in.name", ".fifo", &"x".repeat(81)] {
        let err = SqsAccess::new(&access, bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { .. }),
            "{bad:?}: {err:?}"
        );
    }
    let contradictions = [
        builder(&access, "q", &history).visibility_timeout(Duration::from_secs(5)),
        builder(&access, "q", &history)
            .immediate_delete(false)
            .visibility_timeout(Duration::from_secs(5))
            .minimum_visibility_timeout(Duration::from_secs(1)),
        builder(&access, "q", &history).message_group_id("g"),
    ];
    for b in contradictions {
        assert!(matches!(b.build().unwrap_err(), Error::InvalidInput { .. }));
    }
    let queue = builder(&access, &unique_name("bad"), &history)
        .build()
        .unwrap();
    let too_big = "x".repeat(256 * 1024 + 1);
    for body in ["", too_big.as_str(), "bell \u{7}"] {
        let err = queue.send(body).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert!(queue.send_batch(&["ok", body]).await.is_err());
    }
    assert_eq!(counter.service("SQS"), 0, "nothing was sent");
}

#[tokio::test]
async fn receive_with_immediate_delete_loses_nothing_under_faults() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let history = tempfile::tempdir().unwrap();
    let queue = fresh(&access, &history).await;
    let bodies: Vec<String> = (0..30).map(|i| format!("f{i}")).collect();
    assert!(queue.send_batch(&bodies).await.unwrap().all_succeeded());
    // Receives answered 500 (not processed), and deletes whose answers are cut off after
    // they were processed: the SDK retries, and no message may go missing.
    proxy.add_rule(
        Rule::new(Fault::internal_error())
            .head_contains("ReceiveMessage")
            .first(2),
    );
    proxy.add_rule(
        Rule::new(Fault::ResetResponseAfter(0))
            .head_contains("DeleteMessageBatch")
            .first(2),
    );
    let mut got = BTreeSet::new();
    for _ in 0..20 {
        for m in queue.receive_messages(None).await.unwrap() {
            got.insert(m.body);
        }
        if got.len() == 30 {
            break;
        }
    }
    assert!(
        proxy.faults_applied() >= 3,
        "faults were injected: {}",
        proxy.faults_applied()
    );
    assert_eq!(got.len(), 30, "every message was handed over");
}

#[tokio::test]
async fn send_recreates_a_queue_deleted_since_its_url_was_cached() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let name = unique_name("stale");
    let producer = builder(&access, &name, &history).build().unwrap();
    producer.send("before").await.unwrap(); // creates the queue and caches its URL
    let other = builder(&access, &name, &history).build().unwrap();
    assert!(other.delete_queue().await.unwrap());
    assert!(!other.queue_exists().await.unwrap());
    producer.send("after").await.unwrap();
    let got: Vec<String> = producer
        .receive_messages(None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(got, ["after"]);
    assert!(producer.delete_queue().await.unwrap());
    assert!(!producer.delete_queue().await.unwrap(), "gone already");
}

#[tokio::test]
async fn delete_messages_deletes_the_good_ones_and_reports_the_others() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = builder(&access, &unique_name("partial"), &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    let bodies: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
    assert!(queue.send_batch(&bodies).await.unwrap().all_succeeded());
    let mut received = queue.receive_messages(None).await.unwrap();
    assert_eq!(received.len(), 12);
    let mut bogus = received[0].clone();
    bogus.receipt_handle = "not-a-receipt-handle".to_owned();
    received.insert(5, bogus);
    let counter = access.request_counter();
    counter.reset();
    let err = queue.delete_messages(&received).await.unwrap_err();
    assert!(err.to_string().contains("1 of 13"), "{err}");
    assert_eq!(counter.operation("SQS", "DeleteMessageBatch"), 2);
    // The 12 good ones are gone for good: nothing comes back after the visibility timeout.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(queue.receive_messages(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn fifo_with_explicit_deduplication_ids() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let name = format!("{}.fifo", unique_name("dedup"));
    let queue = builder(&access, &name, &history)
        .content_based_deduplication(false)
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    queue
        .send_with_deduplication_id("same body", "id-1")
        .await
        .unwrap();
    queue
        .send_with_deduplication_id("same body", "id-2")
        .await
        .unwrap();
    queue
        .send_with_deduplication_id("other body", "id-1")
        .await
        .unwrap(); // a duplicate of id-1
    let got: Vec<String> = queue
        .receive_messages(None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(got, ["same body", "same body"]);
    // Without content-based deduplication, SQS wants an id.
    assert!(queue.send("no id").await.is_err());
    let plain = builder(&access, &unique_name("plain"), &history)
        .build()
        .unwrap();
    assert!(matches!(
        plain
            .send_with_deduplication_id("x", "id")
            .await
            .unwrap_err(),
        Error::InvalidInput { .. }
    ));
    assert!(matches!(
        queue
            .send_with_deduplication_id("x", "has space")
            .await
            .unwrap_err(),
        Error::InvalidInput { .. }
    ));
}

/// `ApproximateNumberOfMessagesNotVisible`, read with the SDK client.
async fn not_visible(queue: &SqsAccess) -> u64 {
    let out = queue
        .client()
        .get_queue_attributes()
        .queue_url(queue.url().await.unwrap())
        .attribute_names(
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        )
        .send()
        .await
        .unwrap();
    out.attributes().unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible]
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_dropped_stream_deletes_what_it_handed_over_and_nothing_else() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = fresh(&access, &history).await;
    let bodies: Vec<String> = (0..5).map(|i| format!("d{i}")).collect();
    queue.send_batch(&bodies).await.unwrap();
    {
        let stream = queue.messages();
        futures::pin_mut!(stream);
        for _ in 0..3 {
            stream.next().await.unwrap().unwrap();
        }
    } // dropped with 3 handed over and (usually) 2 buffered
    // The 3 handed over are deleted by a background task; the others stay in flight until their
    // visibility timeout ends (immediate delete: 30 s), then come back.
    let mut left = u64::MAX;
    for _ in 0..50 {
        left = not_visible(&queue).await + queue.approximate_message_count().await.unwrap();
        if left == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 2, "3 deleted, 2 kept");
}

#[tokio::test]
async fn the_stream_skips_buffered_messages_whose_visibility_ran_out() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = builder(&access, &unique_name("expire"), &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    let bodies: Vec<String> = (0..3).map(|i| format!("e{i}")).collect();
    queue.send_batch(&bodies).await.unwrap();
    let stream = queue.messages();
    futures::pin_mut!(stream);
    let first = stream.next().await.unwrap().unwrap();
    queue.delete_message(&first).await.unwrap();
    // Slow work: the two buffered messages' visibility runs out meanwhile.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let mut rest = Vec::new();
    for _ in 0..2 {
        let m = stream.next().await.unwrap().unwrap();
        assert!(
            m.visible_again_at() > std::time::Instant::now(),
            "received anew, not the stale buffered copy"
        );
        queue.delete_message(&m).await.unwrap();
        rest.push(m.body);
    }
    rest.push(first.body);
    rest.sort();
    assert_eq!(rest, bodies);
}

#[tokio::test]
async fn a_batch_send_failing_midway_reports_exactly_what_was_not_sent() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let history = tempfile::tempdir().unwrap();
    let queue = fresh(&access, &history).await;
    let bodies: Vec<String> = (0..30).map(|i| format!("b{i}")).collect();
    // The first SendMessageBatch goes through, every later one is answered 500.
    proxy.add_rule(
        Rule::new(Fault::internal_error())
            .head_contains("SendMessageBatch")
            .after(1),
    );
    let report = queue.send_batch(&bodies).await.unwrap();
    let sent: BTreeSet<String> = report
        .results
        .iter()
        .zip(&bodies)
        .filter(|(r, _)| r.is_ok())
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(sent.len(), 10, "one batch went through");
    assert_eq!(report.failures().len(), 20);
    proxy.clear_rules();
    let received: BTreeSet<String> = queue
        .receive_messages(None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(received, sent, "the report matches the queue");

    // When no request goes through at all, it is an error.
    proxy.add_rule(Rule::new(Fault::internal_error()).head_contains("SendMessageBatch"));
    assert!(queue.send_batch(&bodies).await.unwrap_err().is_transient());
}

#[tokio::test]
async fn creating_a_queue_deleted_less_than_a_minute_ago_is_a_clear_error() {
    // moto lets a deleted queue be created again at once: SQS's answer is injected (its JSON
    // body; the proxy cannot add SQS's `x-amzn-query-error` header).
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let history = tempfile::tempdir().unwrap();
    let queue = builder(&access, &unique_name("recent"), &history)
        .build()
        .unwrap();
    proxy.add_rule(
        Rule::new(Fault::Respond {
            status: 400,
            content_type: "application/x-amz-json-1.0".to_owned(),
            body: r#"{"__type":"com.amazonaws.sqs#QueueDeletedRecently","message":"You must wait 60 seconds after deleting a queue before you can create another with the same name."}"#
                .to_owned(),
        })
        .head_contains("AmazonSQS.CreateQueue")
        .first(1),
    );
    let err = queue.create_queue().await.unwrap_err();
    assert!(matches!(err, Error::Precondition { .. }), "{err:?}");
    assert!(err.to_string().contains("60 s"), "{err}");
    assert_eq!(proxy.faults_applied(), 1);
    // Once SQS allows it again, the same handle creates it.
    let url = queue.create_queue().await.unwrap();
    assert!(queue.queue_exists().await.unwrap(), "{url}");
}
