//! CloudWatch Logs behind the fault proxy: throttling retried with the backoff, a failed
//! request reported event by event, a `rejectedLogEventsInfo` answer reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use awsimple_logs::{
    AwsAccess, Error, LogEvent, LogsAccess, MAX_BATCH_EVENTS, NOT_SENT, REJECTED_TOO_NEW,
    REJECTED_TOO_OLD,
};
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use common::{LOGS, group_name, messages};

const PUT_LOG_EVENTS: &str = "Logs_20140328.PutLogEvents";

/// An access through the proxy with one attempt per request: the SDK does not retry, so what
/// the proxy injects reaches awsimple's own retry loop.
async fn via_proxy() -> (FaultProxy, AwsAccess) {
    let upstream = tokio::task::spawn_blocking(awsimple_testkit::emulator_endpoint)
        .await
        .unwrap();
    let proxy = FaultProxy::start(&upstream).await.unwrap();
    let access = AwsAccess::builder()
        .endpoint_url(proxy.endpoint())
        .region(awsimple_testkit::TEST_REGION)
        .credentials("AKIDLOGSFAULTS", "logs-fault-secret", None)
        .max_attempts(1)
        .connect_timeout(Duration::from_secs(2))
        .build()
        .await
        .unwrap();
    (proxy, access)
}

fn json_answer(status: u16, body: &str) -> Fault {
    Fault::Respond {
        status,
        content_type: "application/x-amz-json-1.1".to_owned(),
        body: body.to_owned(),
    }
}

fn throttling() -> Fault {
    json_answer(
        400,
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
    )
}

#[tokio::test]
async fn throttling_is_retried_and_every_event_arrives_once() {
    let (proxy, access) = via_proxy().await;
    let logs = LogsAccess::new(&access, group_name("throttle")).unwrap();
    logs.put("first").await.unwrap();
    proxy.add_rule(
        Rule::new(throttling())
            .head_contains(PUT_LOG_EVENTS)
            .first(3),
    );
    let counter = access.request_counter();
    counter.reset();
    let events: Vec<LogEvent> = (0..3).map(|i| LogEvent::new(format!("t{i}"))).collect();
    let report = logs.put_batch(&events).await.unwrap();
    assert!(report.all_succeeded(), "{:?}", report.failures());
    assert_eq!(proxy.faults_applied(), 3);
    assert_eq!(counter.operation(LOGS, "PutLogEvents"), 4);
    assert_eq!(messages(&logs).await, ["first", "t0", "t1", "t2"]);

    // Throttled past the backoff's attempts: the error says so, nothing is stored.
    proxy.add_rule(
        Rule::new(throttling())
            .head_contains(PUT_LOG_EVENTS)
            .first(50),
    );
    let err = logs.put("never").await.unwrap_err();
    assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
    proxy.clear_rules();
    assert_eq!(messages(&logs).await.len(), 4);
}

#[tokio::test]
async fn a_request_failing_mid_batch_reports_the_rest_as_not_sent() {
    let (proxy, access) = via_proxy().await;
    let logs = LogsAccess::new(&access, group_name("midbatch")).unwrap();
    let n = MAX_BATCH_EVENTS + 10;
    let events: Vec<LogEvent> = (0..n).map(|i| LogEvent::new(format!("m{i:05}"))).collect();
    // The first PutLogEvents goes through, every later one fails with a 500.
    proxy.add_rule(
        Rule::new(Fault::internal_error())
            .head_contains(PUT_LOG_EVENTS)
            .after(1)
            .first(100),
    );
    let report = logs.put_batch(&events).await.unwrap();
    let failures = report.failures();
    assert_eq!(failures.len(), 10);
    assert!(
        failures
            .iter()
            .enumerate()
            .all(|(k, (i, f))| *i == MAX_BATCH_EVENTS + k && f.code == NOT_SENT && !f.sender_fault),
        "{failures:?}"
    );
    proxy.clear_rules();
    let stored = messages(&logs).await;
    assert_eq!(stored.len(), MAX_BATCH_EVENTS);
    assert_eq!(
        stored.last().unwrap(),
        &format!("m{:05}", MAX_BATCH_EVENTS - 1)
    );

    // When the first request fails, the call fails: nothing was stored.
    proxy.add_rule(Rule::new(Fault::internal_error()).head_contains(PUT_LOG_EVENTS));
    let err = logs.put_batch(&events[..5]).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    proxy.clear_rules();
}

#[tokio::test]
async fn rejected_log_events_info_is_reported() {
    let (proxy, access) = via_proxy().await;
    let logs = LogsAccess::new(&access, group_name("rejected")).unwrap();
    logs.put("creates the group and stream").await.unwrap();
    // CloudWatch Logs' answer when events fall outside its window by its own clock.
    let answer = r#"{"nextSequenceToken":"1","rejectedLogEventsInfo":{"tooOldLogEventEndIndex":1,"tooNewLogEventStartIndex":3}}"#;
    proxy.add_rule(
        Rule::new(json_answer(200, answer))
            .head_contains(PUT_LOG_EVENTS)
            .first(1),
    );
    let events: Vec<LogEvent> = (0..4).map(|i| LogEvent::new(format!("r{i}"))).collect();
    let report = logs.put_batch(&events).await.unwrap();
    let failures: Vec<(usize, &str)> = report
        .failures()
        .into_iter()
        .map(|(i, f)| (i, f.code.as_str()))
        .collect();
    assert_eq!(failures, [(0, REJECTED_TOO_OLD), (3, REJECTED_TOO_NEW)]);

    // A single put whose event is rejected is an error.
    let answer = r#"{"rejectedLogEventsInfo":{"tooNewLogEventStartIndex":0}}"#;
    proxy.add_rule(
        Rule::new(json_answer(200, answer))
            .head_contains(PUT_LOG_EVENTS)
            .first(1),
    );
    let err = logs.put("rejected").await.unwrap_err();
    assert!(err.to_string().contains(REJECTED_TOO_NEW), "{err}");

    // The batcher counts rejections and its flush reports them.
    let batcher = logs.batcher().unwrap();
    proxy.add_rule(
        Rule::new(json_answer(200, answer))
            .head_contains(PUT_LOG_EVENTS)
            .first(1),
    );
    batcher.log("rejected too").unwrap();
    let err = batcher.flush().await.unwrap_err();
    assert!(err.to_string().contains(REJECTED_TOO_NEW), "{err}");
    assert_eq!(batcher.stats().rejected, 1);
    batcher.shutdown().await.unwrap();
}
