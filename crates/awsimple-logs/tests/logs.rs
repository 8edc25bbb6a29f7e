//! CloudWatch Logs against the emulator: first use creates the group (with its retention) and
//! the stream, events read back in order, batches split within the service limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime};

use awsimple_logs::{
    Error, LogEvent, LogsAccess, MAX_BATCH_EVENTS, MAX_EVENT_SIZE, REJECTED_TOO_NEW,
    REJECTED_TOO_OLD,
};
use awsimple_testkit::emulator_access;
use common::{LOGS, group_name, messages, read_back, retention, stream_names};

#[tokio::test]
async fn put_creates_group_and_stream_and_events_read_back_in_order() {
    let access = emulator_access().await;
    let logs = LogsAccess::new(&access, group_name("put")).unwrap();
    assert!(!logs.log_group_exists().await.unwrap());
    for i in 0..5 {
        logs.put(format!("message {i}")).await.unwrap();
    }
    assert!(logs.log_group_exists().await.unwrap());
    assert_eq!(
        messages(&logs).await,
        (0..5).map(|i| format!("message {i}")).collect::<Vec<_>>()
    );
    // The group was created once, with Python awsimple's retention.
    let counter = access.request_counter();
    assert_eq!(counter.operation(LOGS, "CreateLogGroup"), 1);
    assert_eq!(counter.operation(LOGS, "CreateLogStream"), 1);
    assert_eq!(counter.operation(LOGS, "PutRetentionPolicy"), 1);
    assert_eq!(counter.operation(LOGS, "PutLogEvents"), 5);
    assert_eq!(retention(&logs).await, Some(365));

    // A second handle on the same group and stream: "exists already" is fine, and the
    // group's retention is left alone.
    let other = LogsAccess::builder(&access, logs.log_group_name())
        .retention_days(30)
        .build()
        .unwrap();
    other.put("from another handle").await.unwrap();
    assert_eq!(retention(&logs).await, Some(365));
    assert_eq!(messages(&logs).await.last().unwrap(), "from another handle");

    assert!(logs.delete_log_group().await.unwrap());
    assert!(!logs.delete_log_group().await.unwrap());
    assert!(!logs.log_group_exists().await.unwrap());
}

#[tokio::test]
async fn the_default_stream_is_hostname_and_username() {
    let access = emulator_access().await;
    let logs = LogsAccess::new(&access, group_name("stream")).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    // Python's getpass.getuser(): the variables in this order, then the password database
    // (asked here through `id -un`).
    let user = ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| {
            let out = std::process::Command::new("id")
                .arg("-un")
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        });
    let expected = format!("{host}-{user}").replace([':', '*'], "_");
    assert_eq!(logs.log_stream_name(), expected);
    logs.put("hello").await.unwrap();
    assert_eq!(stream_names(&logs).await, [expected]);

    // A named stream, and a retention of our choosing.
    let named = LogsAccess::builder(&access, group_name("stream"))
        .stream_name("worker-7")
        .retention_days(7)
        .build()
        .unwrap();
    named.put("hi").await.unwrap();
    assert_eq!(stream_names(&named).await, ["worker-7"]);
    assert_eq!(retention(&named).await, Some(7));
    assert_eq!(messages(&named).await, ["hi"]);
}

#[tokio::test]
async fn invalid_input_is_rejected_before_any_request() {
    let access = emulator_access().await;
    let counter = access.request_counter();
    for bad in ["", "has space", "colon:name", "star*", &"g".repeat(513)] {
        let err = LogsAccess::new(&access, bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { .. }),
            "{bad:?}: {err:?}"
        );
    }
    let err = LogsAccess::builder(&access, "good")
        .stream_name("a:b")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let err = LogsAccess::builder(&access, "good")
        .retention_days(42)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");

    let logs = LogsAccess::new(&access, group_name("invalid")).unwrap();
    let err = logs.put("").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let err = logs.put("x".repeat(MAX_EVENT_SIZE + 1)).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    // One bad event refuses the whole batch.
    let batch = [LogEvent::new("fine"), LogEvent::new("")];
    let err = logs.put_batch(&batch).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert_eq!(counter.total(), 0, "{:?}", counter.snapshot());

    // The largest event is accepted.
    logs.put("y".repeat(MAX_EVENT_SIZE)).await.unwrap();
    assert_eq!(messages(&logs).await[0].len(), MAX_EVENT_SIZE);
}

#[tokio::test]
async fn a_batch_over_the_count_limit_is_split_and_arrives_in_order() {
    let access = emulator_access().await;
    let logs = LogsAccess::new(&access, group_name("count")).unwrap();
    let n = 2 * MAX_BATCH_EVENTS + 345;
    let events: Vec<LogEvent> = (0..n).map(|i| LogEvent::new(format!("e{i:06}"))).collect();
    let counter = access.request_counter();
    let report = logs.put_batch(&events).await.unwrap();
    assert!(report.all_succeeded(), "{:?}", report.failures().first());
    assert_eq!(report.len(), n);
    assert_eq!(counter.operation(LOGS, "PutLogEvents"), 3);
    let stored = messages(&logs).await;
    assert_eq!(stored.len(), n);
    assert!(
        stored.iter().zip(&events).all(|(s, e)| *s == e.message),
        "events arrived out of order"
    );
}

#[tokio::test]
async fn a_batch_over_one_mib_is_split_and_arrives_in_order() {
    let access = emulator_access().await;
    let logs = LogsAccess::new(&access, group_name("size")).unwrap();
    // 300 events of 8 KiB: about 2.4 MiB, so three requests of at most 1 MiB.
    let events: Vec<LogEvent> = (0..300)
        .map(|i| LogEvent::new(format!("{i:04}{}", "z".repeat(8188))))
        .collect();
    let total: usize = events.iter().map(LogEvent::size).sum();
    assert!(total > 2 * 1_048_576 && total < 3 * 1_048_576, "{total}");
    let counter = access.request_counter();
    let report = logs.put_batch(&events).await.unwrap();
    assert!(report.all_succeeded());
    assert_eq!(counter.operation(LOGS, "PutLogEvents"), 3);
    let stored = messages(&logs).await;
    assert_eq!(stored.len(), 300);
    assert!(stored.iter().zip(&events).all(|(s, e)| *s == e.message));
}

#[tokio::test]
async fn events_are_sorted_split_by_day_and_out_of_window_ones_reported() {
    let access = emulator_access().await;
    let logs = LogsAccess::new(&access, group_name("time")).unwrap();
    let now = SystemTime::now();
    let hours = |h: u64| Duration::from_secs(h * 3600);
    // Given out of order; four days apart pairwise more than 24 h: four requests.
    let events = vec![
        LogEvent::at(now - hours(1), "d"),
        LogEvent::at(now - hours(73), "a"),
        LogEvent::at(now - hours(15 * 24), "too old"),
        LogEvent::at(now - hours(25), "c"),
        LogEvent::at(now + hours(3), "too new"),
        LogEvent::at(now - hours(49), "b"),
        LogEvent::at(now - hours(1), "d2"),
    ];
    let counter = access.request_counter();
    let report = logs.put_batch(&events).await.unwrap();
    assert_eq!(counter.operation(LOGS, "PutLogEvents"), 4);
    let failures: Vec<(usize, &str)> = report
        .failures()
        .into_iter()
        .map(|(i, f)| (i, f.code.as_str()))
        .collect();
    assert_eq!(failures, [(2, REJECTED_TOO_OLD), (4, REJECTED_TOO_NEW)]);
    let stored = read_back(&logs).await;
    let messages: Vec<&str> = stored.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(messages, ["a", "b", "c", "d", "d2"]);
    assert!(stored.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[tokio::test]
async fn the_batcher_sends_full_batches_and_flushes_the_rest() {
    let access = emulator_access().await;
    let logs = LogsAccess::new(&access, group_name("batcher")).unwrap();
    let batcher = logs.batcher().unwrap();
    let n = MAX_BATCH_EVENTS + 2_500;
    for i in 0..n {
        batcher.log(format!("b{i:06}")).unwrap();
    }
    batcher.flush().await.unwrap();
    let counter = access.request_counter();
    assert_eq!(counter.operation(LOGS, "PutLogEvents"), 2);
    let stats = batcher.stats();
    assert_eq!(stats.sent, n as u64, "{stats:?}");
    assert_eq!((stats.rejected, stats.not_sent, stats.dropped), (0, 0, 0));
    let stored = messages(&logs).await;
    assert_eq!(stored.len(), n);
    assert!(
        stored
            .iter()
            .enumerate()
            .all(|(i, m)| *m == format!("b{i:06}"))
    );

    // Invalid input is refused at once; a too-old event is reported by the next flush.
    assert!(matches!(
        batcher.log("").unwrap_err(),
        Error::InvalidInput { .. }
    ));
    let old = SystemTime::now() - Duration::from_secs(15 * 24 * 3600);
    batcher.log_event(LogEvent::at(old, "ancient")).unwrap();
    batcher.log("after").unwrap();
    let err = batcher.flush().await.unwrap_err();
    assert!(err.to_string().contains("1 log events"), "{err}");
    assert_eq!(batcher.stats().rejected, 1);
    batcher.flush().await.unwrap();

    // The interval sends without a flush; shutdown stops the batcher.
    let quick = logs
        .batcher_with(
            &awsimple_logs::BatcherOptions::default().flush_interval(Duration::from_millis(200)),
        )
        .unwrap();
    quick.log("by the timer").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while messages(&logs).await.last().map(String::as_str) != Some("by the timer") {
        assert!(std::time::Instant::now() < deadline, "the timer never sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    quick.log("last").unwrap();
    quick.shutdown().await.unwrap();
    assert!(quick.log("too late").is_err());
    quick.shutdown().await.unwrap();
    assert_eq!(messages(&logs).await.last().unwrap(), "last");
    batcher.shutdown().await.unwrap();
}
