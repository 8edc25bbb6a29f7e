//! Secrets never appear in `Debug`, `Display`, errors or tracing output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use awsimple_core::AwsAccess;
use awsimple_testkit::{self as testkit, emulator};

const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRETKEY";
const TOKEN: &str = "FwoGZXIvYXdzEBcaDSESSIONTOKENSECRET";

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

#[tokio::test]
async fn secrets_stay_out_of_debug_display_errors_and_traces() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let builder = AwsAccess::builder()
        .credentials("AKIDSECRETTEST", SECRET, Some(TOKEN.to_owned()))
        .region("us-east-1")
        .endpoint_url(testkit::emulator_endpoint());
    let mut seen = format!("{builder:?}");
    let access = builder.build().await.unwrap();
    seen.push_str(&format!("{access:?} {:?}", access.sdk_config()));
    assert!(access.test().await.unwrap());

    // A failing call too: its error, in both forms.
    let port = emulator::free_port().unwrap();
    let unreachable = AwsAccess::builder()
        .credentials("AKIDSECRETTEST", SECRET, Some(TOKEN.to_owned()))
        .region("us-east-1")
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .max_attempts(1)
        .build()
        .await
        .unwrap();
    let err = unreachable.test().await.unwrap_err();
    seen.push_str(&format!("{err} {err:?}"));

    let traces = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        traces.contains("GetCallerIdentity") || traces.contains("get_caller_identity"),
        "tracing captured the calls (else this test proves nothing)"
    );
    for text in [&seen, &traces] {
        assert!(!text.contains(SECRET), "secret key leaked");
        assert!(!text.contains(TOKEN), "session token leaked");
    }
    assert!(seen.contains("us-east-1"), "Debug output is useful: {seen}");
}
