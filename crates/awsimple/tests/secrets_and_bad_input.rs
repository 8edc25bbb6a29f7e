//! Secrets stay out of every output of a full run; bad input gets a typed error before any
//! request is sent.
#![cfg(feature = "full")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use awsimple::dynamodb::{AttributeType, CreateTable, DynamoDbAccess};
use awsimple::{AwsAccess, Error, S3Access, SnsAccess, SqsAccess};
use awsimple_testkit::{emulator_endpoint, unique_name};
use serde_json::json;

const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYFULLRUNSECRET";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEFULLRUNSESSIONTOKEN";

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

async fn access() -> AwsAccess {
    AwsAccess::builder()
        .credentials("AKIDFULLRUN", SECRET, Some(TOKEN.to_owned()))
        .region("us-east-1")
        .endpoint_url(emulator_endpoint())
        .build()
        .await
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_run_never_shows_the_secret_or_the_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let access = access().await;
    let mut seen = format!("{access:?}");

    let s3 = S3Access::new(&access, unique_name("sec")).unwrap();
    s3.create_bucket().await.unwrap();
    s3.write_string("x", "k").await.unwrap();
    seen.push_str(&format!(
        "{:?}",
        s3.read_string("missing").await.unwrap_err()
    ));
    let db = DynamoDbAccess::new(&access, unique_name("sec")).unwrap();
    db.create_table(&CreateTable::partition("id", AttributeType::String))
        .await
        .unwrap();
    db.put_item(&json!({"id": "a"})).await.unwrap();
    let queue = SqsAccess::new(&access, unique_name("sec")).unwrap();
    queue.send("m").await.unwrap();
    queue.receive_messages(None).await.unwrap();
    let topic = SnsAccess::builder(&access, unique_name("sec"))
        .auto_create(true)
        .build()
        .unwrap();
    topic.publish("m", None, None).await.unwrap();
    seen.push_str(&format!("{s3:?} {db:?} {queue:?} {topic:?}"));

    let traces = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        traces.contains("PutObject") || traces.contains("put_object"),
        "traces were captured"
    );
    assert!(
        traces.len() > 10_000,
        "TRACE level output of the SDK was captured: {}",
        traces.len()
    );
    for text in [&seen, &traces] {
        assert!(!text.contains(SECRET), "the secret key leaked");
        assert!(!text.contains(TOKEN), "the session token leaked");
    }
}

/// One row per kind of bad input: each must be an `InvalidInput` (or `Serialization` where the
/// bytes had to be read) and, except where said, send no request.
#[tokio::test]
async fn bad_input_table() {
    let access = access().await;
    let counter = access.request_counter().clone();
    let s3 = S3Access::new(&access, "valid-bucket-name").unwrap();
    let queue = SqsAccess::new(&access, "valid-queue").unwrap();
    let topic = SnsAccess::new(&access, "valid-topic").unwrap();
    let long_key = "k".repeat(1025);
    let big_body = "b".repeat(256 * 1024 + 1);
    let dir = tempfile::tempdir().unwrap();

    let rows: Vec<(&str, Error)> = vec![
        (
            "bucket name too short",
            S3Access::new(&access, "ab").unwrap_err(),
        ),
        (
            "bucket name too long",
            S3Access::new(&access, "a".repeat(64)).unwrap_err(),
        ),
        (
            "bucket name with capitals",
            S3Access::new(&access, "Bucket").unwrap_err(),
        ),
        (
            "bucket name with underscore",
            S3Access::new(&access, "a_b_c").unwrap_err(),
        ),
        (
            "bucket name like an IP",
            S3Access::new(&access, "192.168.5.4").unwrap_err(),
        ),
        ("empty key", s3.write_string("x", "").await.unwrap_err()),
        (
            "key over 1024 bytes",
            s3.read_string(&long_key).await.unwrap_err(),
        ),
        (
            "key escaping its folder",
            s3.download("../../etc/passwd", dir.path())
                .await
                .unwrap_err(),
        ),
        (
            "absolute key into a folder",
            s3.download("/etc/passwd", dir.path()).await.unwrap_err(),
        ),
        (
            "table name too short",
            DynamoDbAccess::new(&access, "ab").unwrap_err(),
        ),
        (
            "table name with spaces",
            DynamoDbAccess::new(&access, "my table").unwrap_err(),
        ),
        (
            "queue name with a dot",
            SqsAccess::new(&access, "a.b").unwrap_err(),
        ),
        (
            "queue name over 80",
            SqsAccess::new(&access, "q".repeat(81)).unwrap_err(),
        ),
        (
            "fifo suffix alone",
            SqsAccess::new(&access, ".fifo").unwrap_err(),
        ),
        (
            "group id on a standard queue",
            SqsAccess::builder(&access, "q")
                .message_group_id("g")
                .build()
                .unwrap_err(),
        ),
        (
            "SQS body over the limit",
            queue.send(&big_body).await.unwrap_err(),
        ),
        (
            "SQS body with a control character",
            queue.send("a\u{1}b").await.unwrap_err(),
        ),
        (
            "topic name with a space",
            SnsAccess::new(&access, "a b").unwrap_err(),
        ),
        (
            "topic name over 256",
            SnsAccess::new(&access, "t".repeat(257)).unwrap_err(),
        ),
        (
            "SNS subject with a newline",
            topic.publish("m", Some("a\nb"), None).await.unwrap_err(),
        ),
    ];
    for (what, err) in &rows {
        assert!(matches!(err, Error::InvalidInput { .. }), "{what}: {err:?}");
    }
    assert_eq!(
        counter.total(),
        0,
        "no request for any row: {:?}",
        counter.snapshot()
    );

    // Reading needs the bytes: invalid UTF-8 and JSON of another shape are typed errors.
    let endpoint_access = awsimple_testkit::emulator_access().await;
    let real = S3Access::new(&endpoint_access, unique_name("bytes")).unwrap();
    real.create_bucket().await.unwrap();
    real.write_bytes(vec![0xff, 0xfe, 0xfd], "latin")
        .await
        .unwrap();
    assert!(matches!(
        real.read_string("latin").await.unwrap_err(),
        Error::Serialization { .. }
    ));
    real.write_json(&json!({"a": 1}), "shape").await.unwrap();
    assert!(matches!(
        real.read_json::<Vec<String>>("shape").await.unwrap_err(),
        Error::Serialization { .. }
    ));
    let table = DynamoDbAccess::new(&endpoint_access, unique_name("keys")).unwrap();
    table
        .create_table(&CreateTable::partition("id", AttributeType::Number))
        .await
        .unwrap();
    // Item checks need the key schema, which a handle asks for once (DescribeTable); after
    // that, bad items cost no request.
    table.put_item(&json!({"id": 1})).await.unwrap();
    let before = endpoint_access.request_counter().service("DynamoDB");
    let big_item = json!({"id": 2, "blob": "y".repeat(400 * 1024)});
    for item in [
        json!({"other": 1}),
        json!({"id": "not a number"}),
        json!({"id": ""}),
        big_item,
    ] {
        let err = table.put_item(&item).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{item}: {err:?}");
    }
    assert_eq!(
        endpoint_access.request_counter().service("DynamoDB"),
        before,
        "key checks use the cached schema: no request"
    );
}
