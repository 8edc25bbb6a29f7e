//! The tracing layer against the emulator: an application's events are shipped one line each,
//! the SDK's are not. Its own test binary: it installs the global subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use awsimple_logs::{AwsAccess, LogsAccess, LogsLayer};
use awsimple_testkit::emulator_access;
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use common::{group_name, messages};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Counts the events of the AWS SDK the subscriber sees, to show they were there to ship.
#[derive(Clone, Default)]
struct SdkEvents(Arc<AtomicU64>);

impl<S: Subscriber> Layer<S> for SdkEvents {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target().starts_with("aws_") {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_events_are_shipped_and_sdk_events_are_not() {
    let access = emulator_access().await;
    let group = group_name("layer");
    let everything = LogsAccess::builder(&access, &group)
        .stream_name("everything")
        .build()
        .unwrap();
    let info_only = LogsAccess::builder(&access, &group)
        .stream_name("info")
        .build()
        .unwrap();
    // A third stream, reached through the fault proxy, whose batcher will see a request fail.
    let upstream = tokio::task::spawn_blocking(awsimple_testkit::emulator_endpoint)
        .await
        .unwrap();
    let proxy = FaultProxy::start(&upstream).await.unwrap();
    let proxied = AwsAccess::builder()
        .endpoint_url(proxy.endpoint())
        .region(awsimple_testkit::TEST_REGION)
        .credentials("AKIDLAYER", "layer-secret", None)
        .max_attempts(1)
        .build()
        .await
        .unwrap();
    let failing = LogsAccess::builder(&proxied, &group)
        .stream_name("failing")
        .build()
        .unwrap();
    failing.put("setup").await.unwrap();

    let all_batcher = everything.batcher().unwrap();
    let info_batcher = info_only.batcher().unwrap();
    let failing_batcher = failing.batcher().unwrap();
    let sdk_events = SdkEvents::default();
    tracing_subscriber::registry()
        .with(LogsLayer::new(&all_batcher).level(Level::TRACE))
        .with(LogsLayer::new(&info_batcher))
        .with(LogsLayer::new(&failing_batcher).level(Level::TRACE))
        .with(sdk_events.clone())
        .init();
    // The failing stream's next PutLogEvents is refused (not retried): `awsimple_core` then
    // logs the failure from inside that batcher's task, which must not be shipped anywhere.
    proxy.add_rule(
        Rule::new(Fault::Respond {
            status: 400,
            content_type: "application/x-amz-json-1.1".to_owned(),
            body: r#"{"__type":"InvalidParameterException","message":"refused"}"#.to_owned(),
        })
        .head_contains("Logs_20140328.PutLogEvents")
        .first(1),
    );

    tracing::info!(target: "my_app", answer = 42, user = "ann", "hello from tracing");
    {
        let span = tracing::info_span!("request", id = 7);
        let _entered = span.enter();
        tracing::warn!(target: "my_app::db", "slow query");
    }
    tracing::debug!(target: "my_app", "details");
    // Events with the SDK's and the HTTP stack's targets are never shipped.
    tracing::error!(target: "aws_smithy_runtime::client", "looks like the SDK");
    tracing::error!(target: "hyper::proto::h1", "looks like hyper");
    // Real SDK traffic outside the batcher (its own traffic runs unshipped too).
    assert!(
        !LogsAccess::new(&access, group_name("other"))
            .unwrap()
            .log_group_exists()
            .await
            .unwrap()
    );

    let err = failing_batcher.flush().await.unwrap_err();
    assert!(
        err.to_string().contains("InvalidParameterException"),
        "{err}"
    );
    // Had the failure's own events been shipped, they would be waiting now.
    failing_batcher.flush().await.unwrap();
    all_batcher.flush().await.unwrap();
    info_batcher.flush().await.unwrap();
    assert_eq!(proxy.faults_applied(), 1);
    assert_eq!(messages(&failing).await, ["setup"]);
    assert!(
        sdk_events.0.load(Ordering::Relaxed) > 2,
        "the SDK emitted events the layer had to leave out"
    );
    assert_eq!(
        messages(&everything).await,
        [
            r#"INFO my_app: hello from tracing answer=42 user="ann""#,
            "WARN my_app::db: request: slow query",
            "DEBUG my_app: details",
        ]
    );
    assert_eq!(
        messages(&info_only).await,
        [
            r#"INFO my_app: hello from tracing answer=42 user="ann""#,
            "WARN my_app::db: request: slow query",
        ]
    );
    all_batcher.shutdown().await.unwrap();
    info_batcher.shutdown().await.unwrap();
    failing_batcher.shutdown().await.unwrap();
}
