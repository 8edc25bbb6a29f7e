//! Every public operation runs in one `dynamodb.op` span around its requests' `aws` spans,
//! recording how the whole operation ended.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use awsimple_dynamodb::{Item, Update};
use common::{access, string_key, table};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The "close" lines of the `dynamodb.op` spans of `operation`.
fn closed<'a>(traces: &'a str, operation: &str) -> Vec<&'a str> {
    let head = format!("dynamodb.op{{operation=\"{operation}\"");
    traces
        .lines()
        .filter(|l| l.contains(&head) && l.contains("awsimple_dynamodb::op: close"))
        .collect()
}

#[tokio::test]
async fn operations_run_in_one_span_recording_their_outcome() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    db.put_item(&json!({"id": "a", "name": "x"})).await.unwrap();
    db.scan_table_cached::<Item>().await.unwrap();
    // A failure from the service: adding a number to a string.
    let err = db
        .update_item("a", &Update::new().add("name", 1))
        .await
        .unwrap_err();
    let request_id = err.request_id().expect("the service answered").to_owned();
    db.delete_table().await.unwrap();

    let traces = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let put = closed(&traces, "put_item");
    assert_eq!(put.len(), 1, "one span for the put: {traces}");
    assert!(put[0].contains("outcome=\"ok\""), "{}", put[0]);
    assert!(put[0].contains(db.table_name()), "{}", put[0]);

    // The cached scan's requests (the metadata read, the pages) close inside its span.
    let scan = closed(&traces, "scan_table_cached");
    assert_eq!(scan.len(), 1, "{traces}");
    assert!(scan[0].contains("outcome=\"ok\""), "{}", scan[0]);
    let scan_requests: Vec<_> = traces
        .lines()
        .filter(|l| {
            l.contains("dynamodb.op{operation=\"scan_table_cached\"") && l.contains(":aws{")
        })
        .collect();
    assert!(
        scan_requests
            .iter()
            .any(|l| l.contains("operation=\"Scan\"")),
        "the Scan request is a child of the operation: {traces}"
    );

    let update = closed(&traces, "update_item");
    assert_eq!(update.len(), 1, "{traces}");
    assert!(update[0].contains("outcome=\"error\""), "{}", update[0]);
    assert!(
        update[0].contains("code=\"ValidationException\""),
        "{}",
        update[0]
    );
    assert!(update[0].contains(&request_id), "{}", update[0]);
}
