//! The SQS worker and dead-letter queues against the emulator: heartbeat, graceful stop,
//! exactly-once handling under concurrency, FIFO group order, failures into the DLQ and back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use awsimple_core::AwsAccess;
use awsimple_sqs::{Redrive, SqsAccess, SqsAccessBuilder, WorkerMetrics, WorkerStats};
use awsimple_testkit::{emulator_access, unique_name};

fn builder(access: &AwsAccess, name: &str, history: &tempfile::TempDir) -> SqsAccessBuilder {
    SqsAccess::builder(access, name).history_dir(history.path())
}

/// Waits (polling, up to a generous safety limit) until `done` holds for the metrics.
async fn wait_for(metrics: &WorkerMetrics, what: &str, done: impl Fn(&WorkerStats) -> bool) {
    for _ in 0..1200 {
        if done(&metrics.snapshot()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting for {what}: {:?}", metrics.snapshot());
}

/// Visible + not visible messages of a queue, read with the SDK client.
async fn messages_left(queue: &SqsAccess) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let out = queue
        .client()
        .get_queue_attributes()
        .queue_url(queue.url().await.unwrap())
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let attributes = out.attributes().unwrap();
    [
        A::ApproximateNumberOfMessages,
        A::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .map(|a| attributes[a].parse::<u64>().unwrap())
    .sum()
}

#[tokio::test]
async fn a_handler_running_three_visibility_timeouts_is_delivered_once() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = builder(&access, &unique_name("hb"), &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    queue.send("long job").await.unwrap();
    let calls = Arc::new(Mutex::new(0u32));
    let counted = Arc::clone(&calls);
    let worker = queue
        .worker(move |_message| {
            let counted = Arc::clone(&counted);
            async move {
                *counted.lock().unwrap() += 1;
                tokio::time::sleep(Duration::from_secs(6)).await; // 3 x the visibility timeout
                Ok::<(), String>(())
            }
        })
        .concurrency(4)
        .poll_wait(Duration::from_secs(1));
    let metrics = worker.metrics();
    let stop = worker.stop_token();
    let running = tokio::spawn(worker.run());
    wait_for(&metrics, "the long job", |s| s.handled + s.failed >= 1).await;
    // Past the handler's end the message would have come back by now if it had not been
    // deleted; keep receiving for two more visibility timeouts.
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.cancel();
    let stats = running.await.unwrap().unwrap();
    assert_eq!(*calls.lock().unwrap(), 1, "delivered once: {stats:?}");
    assert_eq!(stats.handled, 1);
    assert!(stats.extended >= 2, "the heartbeat extended it: {stats:?}");
    assert_eq!(stats.in_flight, 0);
    assert_eq!(messages_left(&queue).await, 0, "deleted");
}

#[tokio::test]
async fn a_worker_stopped_mid_batch_loses_nothing_and_repeats_nothing() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    // A long visibility timeout: what comes back below came back because the worker released
    // it, not because a timeout ran out.
    let queue = builder(&access, &unique_name("stop"), &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    let bodies: Vec<String> = (0..10).map(|i| format!("job {i}")).collect();
    queue.send_batch(&bodies).await.unwrap();
    let worker = queue
        .worker(|message: awsimple_sqs::Message| async move {
            let n: u32 = message.body.trim_start_matches("job ").parse().unwrap();
            if n % 2 == 1 {
                std::future::pending::<()>().await; // never finishes: dropped at the deadline
            }
            Ok::<(), String>(())
        })
        .concurrency(10)
        .poll_wait(Duration::from_secs(1))
        .shutdown_deadline(Duration::from_millis(500));
    let metrics = worker.metrics();
    let stop = worker.stop_token();
    let running = tokio::spawn(worker.run());
    wait_for(&metrics, "the quick half", |s| {
        s.handled == 5 && s.in_flight == 5
    })
    .await;
    stop.cancel();
    let stats = running.await.unwrap().unwrap();
    assert_eq!((stats.handled, stats.released, stats.in_flight), (5, 5, 0));
    // At once (not after 300 s): exactly the unfinished ones are back.
    let reader = builder(&access, queue.queue_name(), &history)
        .build()
        .unwrap();
    let back: HashSet<String> = reader
        .receive_messages(None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    let expected: HashSet<String> = (0..10)
        .filter(|n| n % 2 == 1)
        .map(|n| format!("job {n}"))
        .collect();
    assert_eq!(back, expected);
}

#[tokio::test]
async fn a_thousand_messages_through_eight_handlers_each_once_and_fifo_groups_in_order() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let queue = builder(&access, &unique_name("k"), &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let bodies: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let report = queue.send_batch(&bodies).await.unwrap();
    assert!(report.results.iter().all(Result::is_ok));
    let seen = Arc::new(Mutex::new(HashMap::<String, u32>::new()));
    let running_now = Arc::new(Mutex::new((0usize, 0usize))); // (now, most)
    let (s, r) = (Arc::clone(&seen), Arc::clone(&running_now));
    let worker = queue
        .worker(move |message: awsimple_sqs::Message| {
            let (seen, running_now) = (Arc::clone(&s), Arc::clone(&r));
            async move {
                {
                    let mut r = running_now.lock().unwrap();
                    r.0 += 1;
                    r.1 = r.1.max(r.0);
                }
                tokio::task::yield_now().await;
                *seen.lock().unwrap().entry(message.body).or_default() += 1;
                running_now.lock().unwrap().0 -= 1;
                Ok::<(), String>(())
            }
        })
        .concurrency(8)
        .poll_wait(Duration::from_secs(1));
    let metrics = worker.metrics();
    let stop = worker.stop_token();
    let running = tokio::spawn(worker.run());
    wait_for(&metrics, "1000 handled", |s| s.handled >= 1000).await;
    stop.cancel();
    let stats = running.await.unwrap().unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1000, "every message");
    assert!(seen.values().all(|&n| n == 1), "each once");
    assert_eq!(stats.handled, 1000);
    assert!(running_now.lock().unwrap().1 <= 8, "at most 8 at once");
    assert_eq!(messages_left(&queue).await, 0);

    // FIFO: three groups, each handled in order and one at a time, groups side by side.
    let name = format!("{}.fifo", unique_name("kf"));
    let fifo = builder(&access, &name, &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    fifo.create_queue().await.unwrap();
    for group in ["a", "b", "c"] {
        let sender = builder(&access, &name, &history)
            .message_group_id(group)
            .build()
            .unwrap();
        let bodies: Vec<String> = (0..40).map(|i| format!("{group}:{i}")).collect();
        sender.send_batch(&bodies).await.unwrap();
    }
    let order = Arc::new(Mutex::new(BTreeMap::<String, Vec<u32>>::new()));
    let active = Arc::new(Mutex::new(HashSet::<String>::new()));
    let (o, a) = (Arc::clone(&order), Arc::clone(&active));
    let worker = fifo
        .worker(move |message: awsimple_sqs::Message| {
            let (order, active) = (Arc::clone(&o), Arc::clone(&a));
            async move {
                let (group, n) = message.body.split_once(':').unwrap();
                assert_eq!(message.group_id(), Some(group));
                assert!(
                    active.lock().unwrap().insert(group.to_owned()),
                    "one at a time per group"
                );
                tokio::task::yield_now().await;
                order
                    .lock()
                    .unwrap()
                    .entry(group.to_owned())
                    .or_default()
                    .push(n.parse().unwrap());
                active.lock().unwrap().remove(group);
                Ok::<(), String>(())
            }
        })
        .concurrency(8)
        .poll_wait(Duration::from_secs(1));
    let metrics = worker.metrics();
    let stop = worker.stop_token();
    let running = tokio::spawn(worker.run());
    wait_for(&metrics, "120 FIFO messages", |s| {
        s.handled + s.failed >= 120
    })
    .await;
    stop.cancel();
    let stats = running.await.unwrap().unwrap();
    assert_eq!((stats.handled, stats.failed), (120, 0));
    let order = order.lock().unwrap().clone();
    for group in ["a", "b", "c"] {
        assert_eq!(order[group], (0..40).collect::<Vec<u32>>(), "group {group}");
    }
}

#[tokio::test]
async fn failing_handlers_send_messages_to_the_dead_letter_queue_and_back() {
    let access = emulator_access().await;
    let history = tempfile::tempdir().unwrap();
    let name = unique_name("src");
    let source = builder(&access, &name, &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let dlq = builder(&access, &format!("{name}-dlq"), &history)
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    source.create_queue_with_dead_letter(&dlq, 2).await.unwrap();
    let policy = source.redrive_policy().await.unwrap().unwrap();
    assert_eq!(policy.max_receive_count, 2);
    assert_eq!(policy.dead_letter_target_arn, dlq.arn().await.unwrap());
    assert!(dlq.redrive_policy().await.unwrap().is_none());
    let mut attributes = awsimple_sqs::MessageAttributes::new();
    attributes.insert(
        "kind".to_owned(),
        awsimple_sqs::MessageAttribute::String("poison".to_owned()),
    );
    for i in 0..3 {
        source
            .send_with_attributes(&format!("poison {i}"), &attributes)
            .await
            .unwrap();
    }
    let worker = source
        .worker(|_message| async { Err::<(), _>("always fails") })
        .concurrency(3)
        .poll_wait(Duration::from_secs(1));
    let stop = worker.stop_token();
    let running = tokio::spawn(worker.run());
    let mut in_dlq = 0;
    for _ in 0..300 {
        in_dlq = messages_left(&dlq).await;
        if in_dlq == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    let stats = running.await.unwrap().unwrap();
    assert_eq!(in_dlq, 3, "all three in the DLQ: {stats:?}");
    assert_eq!(stats.handled, 0);
    assert_eq!(
        stats.failed, 6,
        "each received twice (maxReceiveCount 2): {stats:?}"
    );
    assert_eq!(messages_left(&source).await, 0);
    assert_eq!(dlq.approximate_message_count().await.unwrap(), 3);

    // Back to the source (the emulator has no StartMessageMoveTask: the loop moves them).
    match dlq.redrive_to(&source).await.unwrap() {
        Redrive::Moved(n) => assert_eq!(n, 3),
        Redrive::Started { .. } => {
            panic!("the emulator has no message move task")
        }
    }
    assert_eq!(messages_left(&dlq).await, 0);
    let reader = builder(&access, &name, &history).build().unwrap();
    let back = reader.receive_messages(None).await.unwrap();
    let mut bodies: Vec<String> = back.iter().map(|m| m.body.clone()).collect();
    bodies.sort();
    assert_eq!(bodies, ["poison 0", "poison 1", "poison 2"]);
    assert!(
        back.iter().all(|m| m.attributes == attributes),
        "attributes kept"
    );
}
