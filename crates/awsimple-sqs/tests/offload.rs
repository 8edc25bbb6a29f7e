//! Large messages offloaded to S3 in the format of the AWS SQS Extended Client libraries,
//! against the emulator: ours both ways, the libraries' format written and read with the bare
//! SDKs, object deletion, per-entry decisions in batches, the worker.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::types::MessageAttributeValue;
use awsimple_core::AwsAccess;
use awsimple_s3::S3Access;
use awsimple_sqs::{MessageAttribute, MessageAttributes, OffloadConfig, SqsAccess};
use awsimple_testkit::{emulator_access, unique_name};
use serde_json::Value;

const FIVE_MIB: usize = 5 << 20;

struct Setup {
    bucket: S3Access,
    history: tempfile::TempDir,
    access: AwsAccess,
}

async fn setup() -> Setup {
    let access = emulator_access().await;
    let bucket = S3Access::new(&access, unique_name("offload")).unwrap();
    bucket.create_bucket().await.unwrap();
    Setup {
        bucket,
        history: tempfile::tempdir().unwrap(),
        access,
    }
}

impl Setup {
    async fn queue(&self, config: OffloadConfig) -> SqsAccess {
        let queue = SqsAccess::builder(&self.access, unique_name("big"))
            .history_dir(self.history.path())
            .immediate_delete(false)
            .offload_to(config)
            .build()
            .unwrap();
        queue.create_queue().await.unwrap();
        queue
    }

    async fn object(&self, key: &str) -> Option<Vec<u8>> {
        let out = self
            .bucket
            .client()
            .get_object()
            .bucket(self.bucket.bucket_name())
            .key(key)
            .send()
            .await
            .ok()?;
        Some(out.body.collect().await.unwrap().into_bytes().to_vec())
    }
}

/// A large body with a recognisable pattern (ASCII and multi-byte characters).
fn large_body(bytes: usize) -> String {
    let mut body = String::with_capacity(bytes);
    let mut i = 0u64;
    while body.len() < bytes - 16 {
        body.push_str(&format!("{i:08}é,"));
        i += 1;
    }
    body
}

/// The raw messages of a queue (no payload fetching), with all attributes.
async fn raw_receive(queue: &SqsAccess, max: i32) -> Vec<aws_sdk_sqs::types::Message> {
    let url = queue.url().await.unwrap();
    let out = queue
        .client()
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(max)
        .message_attribute_names("All")
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    out.messages().to_vec()
}

/// Bucket and key of a body in the extended libraries' pointer format (parsed here by hand).
fn pointer_of(body: &str) -> (String, String) {
    let value: Value = serde_json::from_str(body).unwrap();
    let array = value.as_array().unwrap();
    assert_eq!(array.len(), 2, "{body}");
    assert_eq!(
        array[0],
        "software.amazon.payloadoffloading.PayloadS3Pointer"
    );
    (
        array[1]["s3BucketName"].as_str().unwrap().to_owned(),
        array[1]["s3Key"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_5_mib_message_goes_through_s3_and_delete_removes_the_object() {
    let setup = setup().await;
    let queue = setup.queue(OffloadConfig::new(setup.bucket.clone())).await;
    let body = large_body(FIVE_MIB);
    let mut attributes = MessageAttributes::new();
    attributes.insert("kind".into(), MessageAttribute::String("render".into()));
    queue
        .send_with_attributes(&body, &attributes)
        .await
        .unwrap();

    let message = queue.receive_message().await.unwrap().unwrap();
    assert_eq!(message.body.len(), body.len());
    assert!(message.body == body, "the payload comes back as sent");
    assert_eq!(
        message.attributes, attributes,
        "the size attribute is not shown"
    );
    let (bucket, key) = message.offloaded().unwrap();
    assert_eq!(bucket, setup.bucket.bucket_name());
    assert_eq!(key.len(), 36, "a UUID: {key}");
    assert_eq!(key.as_bytes()[14], b'4', "version 4: {key}");
    let key = key.to_owned();
    assert_eq!(setup.object(&key).await.unwrap(), body.as_bytes());
    let handle = message.extended_receipt_handle();
    assert_eq!(
        awsimple_sqs::parse_receipt_handle(&handle),
        Some((
            setup.bucket.bucket_name(),
            key.as_str(),
            message.receipt_handle.as_str()
        ))
    );

    queue.delete_message(&message).await.unwrap();
    assert!(
        !setup.bucket.object_exists(&key).await.unwrap(),
        "deleting the message deleted the object"
    );
    assert!(queue.receive_message().await.unwrap().is_none());
}

#[tokio::test]
async fn ours_is_read_by_the_bare_sdks_as_the_extended_libraries_would() {
    let setup = setup().await;
    let queue = setup.queue(OffloadConfig::new(setup.bucket.clone())).await;
    let body = large_body(FIVE_MIB);
    queue.send(&body).await.unwrap();

    let raw = raw_receive(&queue, 1).await;
    assert_eq!(raw.len(), 1);
    let (bucket, key) = pointer_of(raw[0].body().unwrap());
    assert_eq!(bucket, setup.bucket.bucket_name());
    let size = &raw[0].message_attributes().unwrap()["ExtendedPayloadSize"];
    assert_eq!(size.data_type(), "Number");
    assert_eq!(size.string_value(), Some(body.len().to_string().as_str()));
    assert_eq!(setup.object(&key).await.unwrap(), body.as_bytes());
}

#[tokio::test]
async fn the_extended_libraries_format_written_by_hand_is_read_by_ours() {
    let setup = setup().await;
    // Keep the objects on delete this time.
    let queue = setup
        .queue(OffloadConfig::new(setup.bucket.clone()).delete_objects(false))
        .await;
    let url = queue.url().await.unwrap();
    let bucket = setup.bucket.bucket_name();
    let body = large_body(FIVE_MIB);
    // Current class and attribute names, then the legacy ones (Java extended client 1.x).
    let cases = [
        (
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "software.amazon.payloadoffloading.PayloadS3Pointer",
            "ExtendedPayloadSize",
        ),
        (
            "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "com.amazon.sqs.javamessaging.MessageS3Pointer",
            "SQSLargePayloadSize",
        ),
    ];
    for (key, class, attribute) in cases {
        setup
            .bucket
            .client()
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.clone().into_bytes().into())
            .send()
            .await
            .unwrap();
        let pointer = format!(r#"["{class}",{{"s3BucketName":"{bucket}","s3Key":"{key}"}}]"#);
        let size = MessageAttributeValue::builder()
            .data_type("Number")
            .string_value(body.len().to_string())
            .build()
            .unwrap();
        queue
            .client()
            .send_message()
            .queue_url(&url)
            .message_body(pointer)
            .message_attributes(attribute, size)
            .send()
            .await
            .unwrap();
        let message = queue.receive_message().await.unwrap().unwrap();
        assert!(message.body == body, "{class}: the payload was fetched");
        assert!(message.attributes.is_empty(), "{:?}", message.attributes);
        assert_eq!(message.offloaded(), Some((bucket, key)));
        queue.delete_message(&message).await.unwrap();
        assert!(
            setup.bucket.object_exists(key).await.unwrap(),
            "delete_objects(false) keeps the object"
        );
    }
    assert!(queue.receive_message().await.unwrap().is_none());
}

#[tokio::test]
async fn small_messages_stay_in_sqs_and_batches_decide_per_entry() {
    let setup = setup().await;
    let queue = setup
        .queue(OffloadConfig::new(setup.bucket.clone()).threshold(1024))
        .await;
    queue.send("small").await.unwrap();
    let big = large_body(2048);
    let report = queue
        .send_batch(&["one".to_owned(), big.clone(), "three".to_owned()])
        .await
        .unwrap();
    assert!(report.results.iter().all(Result::is_ok), "{report:?}");

    let raw = raw_receive(&queue, 10).await;
    assert_eq!(raw.len(), 4);
    let mut plain = Vec::new();
    let mut pointers = Vec::new();
    for m in &raw {
        let body = m.body().unwrap();
        if body.starts_with('[') {
            pointers.push(pointer_of(body));
            assert!(
                m.message_attributes()
                    .unwrap()
                    .contains_key("ExtendedPayloadSize")
            );
        } else {
            assert!(m.message_attributes().is_none_or(|a| a.is_empty()));
            plain.push(body.to_owned());
        }
    }
    plain.sort();
    assert_eq!(plain, ["one", "small", "three"]);
    assert_eq!(pointers.len(), 1);
    assert_eq!(setup.object(&pointers[0].1).await.unwrap(), big.as_bytes());
    let keys = setup.bucket.keys("").await.unwrap();
    assert_eq!(
        keys,
        [pointers[0].1.clone()],
        "only the big body went to S3"
    );
}

#[tokio::test]
async fn always_offloads_every_body_and_the_worker_gets_the_payloads() {
    let setup = setup().await;
    let queue = setup
        .queue(OffloadConfig::new(setup.bucket.clone()).always(true))
        .await;
    let bodies = ["alpha".to_owned(), large_body(300 * 1024)];
    queue.send_batch(&bodies).await.unwrap();
    assert_eq!(setup.bucket.keys("").await.unwrap().len(), 2);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let worker = queue
        .worker(move |message: awsimple_sqs::Message| {
            let record = Arc::clone(&record);
            async move {
                record.lock().unwrap().push(message.body.clone());
                Ok::<(), String>(())
            }
        })
        .poll_wait(Duration::from_secs(1));
    let stop = worker.stop_token();
    let running = tokio::spawn(worker.run());
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    let stats = running.await.unwrap().unwrap();
    assert_eq!(stats.handled, 2, "{stats:?}");
    let mut got = seen.lock().unwrap().clone();
    got.sort();
    let mut expected = bodies.to_vec();
    expected.sort();
    assert_eq!(
        got, expected,
        "the worker got the payloads, not the pointers"
    );
    assert!(
        setup.bucket.keys("").await.unwrap().is_empty(),
        "the worker's deletes removed the objects"
    );
}
