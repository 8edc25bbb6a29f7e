//! Bodies larger than SQS takes, kept in S3 in the format of the AWS "Amazon SQS Extended
//! Client" libraries (Java `amazon-sqs-java-extended-client-lib`, Python
//! `amazon-sqs-python-extended-client-lib`), so either side can send and the other receive.
//!
//! The message SQS carries has the body
//! `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"..","s3Key":".."}]`
//! and the message attribute `ExtendedPayloadSize` (`Number`, the payload's byte length); the S3
//! object holds the body. The pointer parsing and the receipt-handle forms are always built;
//! sending, fetching and deleting payloads need the `s3-offload` feature (and with it
//! `awsimple-s3`).

use std::borrow::Cow;
use std::collections::HashMap;

use aws_sdk_sqs::types::MessageAttributeValue;
use awsimple_core::{Error, Result};
use serde_json::{Value, json};

use crate::access::SqsAccess;
use crate::message::Message;
use crate::names::validate_body;

/// The message attribute giving the size of an offloaded payload.
pub const EXTENDED_PAYLOAD_SIZE: &str = "ExtendedPayloadSize";
/// Its older name (Java extended client 1.x), accepted on receive.
pub const LEGACY_PAYLOAD_SIZE: &str = "SQSLargePayloadSize";
/// The class name the pointer body starts with.
pub const POINTER_CLASS: &str = "software.amazon.payloadoffloading.PayloadS3Pointer";
/// Its older name (Java extended client 1.x), accepted on receive.
pub const LEGACY_POINTER_CLASS: &str = "com.amazon.sqs.javamessaging.MessageS3Pointer";

const BUCKET_MARKER: &str = "-..s3BucketName..-";
const KEY_MARKER: &str = "-..s3Key..-";

/// The pointer body of an offloaded payload.
pub fn pointer_body(bucket: &str, key: &str) -> String {
    json!([POINTER_CLASS, {"s3BucketName": bucket, "s3Key": key}]).to_string()
}

/// The bucket and key of a pointer body (either class name), or `None` when `body` is not one.
pub fn parse_pointer(body: &str) -> Option<(String, String)> {
    let value: Value = serde_json::from_str(body).ok()?;
    let [class, pointer] = value.as_array()?.as_slice() else {
        return None;
    };
    if !matches!(class.as_str()?, POINTER_CLASS | LEGACY_POINTER_CLASS) {
        return None;
    }
    let bucket = pointer.get("s3BucketName")?.as_str()?;
    let key = pointer.get("s3Key")?.as_str()?;
    Some((bucket.to_owned(), key.to_owned()))
}

/// The receipt handle the extended client libraries hand out for an offloaded message:
/// `-..s3BucketName..-<bucket>-..s3BucketName..--..s3Key..-<key>-..s3Key..-<handle>`.
pub fn extended_receipt_handle(bucket: &str, key: &str, handle: &str) -> String {
    format!("{BUCKET_MARKER}{bucket}{BUCKET_MARKER}{KEY_MARKER}{key}{KEY_MARKER}{handle}")
}

/// Bucket, key and SQS receipt handle of a handle in the extended client libraries' form
/// (see [`extended_receipt_handle`]); `None` for a plain SQS handle.
pub fn parse_receipt_handle(handle: &str) -> Option<(&str, &str, &str)> {
    let rest = handle.strip_prefix(BUCKET_MARKER)?;
    let (bucket, rest) = rest.split_once(BUCKET_MARKER)?;
    let rest = rest.strip_prefix(KEY_MARKER)?;
    let (key, original) = rest.split_once(KEY_MARKER)?;
    Some((bucket, key, original))
}

/// The handle to give SQS: the original one inside an extended client library's handle.
pub(crate) fn sqs_receipt_handle(handle: &str) -> &str {
    parse_receipt_handle(handle).map_or(handle, |(_, _, original)| original)
}

impl Message {
    /// Bucket and key of the S3 object the body was fetched from, when it was offloaded (or
    /// when the receipt handle is in the extended client libraries' form).
    pub fn offloaded(&self) -> Option<(&str, &str)> {
        match &self.offloaded {
            Some((bucket, key)) => Some((bucket, key)),
            None => parse_receipt_handle(&self.receipt_handle).map(|(b, k, _)| (b, k)),
        }
    }

    /// The receipt handle in the extended client libraries' form for an offloaded message
    /// (for a Java or Python process to delete it); the plain handle otherwise.
    pub fn extended_receipt_handle(&self) -> String {
        match &self.offloaded {
            Some((bucket, key)) => extended_receipt_handle(bucket, key, &self.receipt_handle),
            None => self.receipt_handle.clone(),
        }
    }
}

#[cfg(feature = "s3-offload")]
pub use enabled::OffloadConfig;

impl SqsAccess {
    /// The body to send for `body` with attributes of `attributes_size` bytes (`values`):
    /// checked, and offloaded to S3 (adding the size attribute) when configured and needed.
    pub(crate) async fn outgoing<'a>(
        &self,
        body: &'a str,
        attributes_size: usize,
        values: &mut HashMap<String, MessageAttributeValue>,
    ) -> Result<Cow<'a, str>> {
        #[cfg(feature = "s3-offload")]
        if let Some(config) = &self.inner.offload {
            self.validate_outgoing(body)?;
            if config.always || body.len() + attributes_size > config.threshold {
                let pointer = config.offload(&self.inner.name, body, values).await?;
                return Ok(Cow::Owned(pointer));
            }
        }
        #[cfg(not(feature = "s3-offload"))]
        let _ = values;
        validate_body(body, self.inner.max_message_size)?;
        let size = body.len() + attributes_size;
        if size > self.inner.max_message_size {
            return Err(Error::invalid(
                "SQS message with its attributes",
                format!(
                    "{size} bytes is over the {}-byte limit",
                    self.inner.max_message_size
                ),
            ));
        }
        Ok(Cow::Borrowed(body))
    }

    /// Checks a body before anything is sent: its characters, and its size unless it may be
    /// offloaded.
    pub(crate) fn validate_outgoing(&self, body: &str) -> Result<()> {
        #[cfg(feature = "s3-offload")]
        if self.inner.offload.is_some() {
            return validate_body(body, usize::MAX);
        }
        validate_body(body, self.inner.max_message_size)
    }

    /// Replaces the pointer bodies of offloaded messages by their payloads (with the
    /// `s3-offload` feature and an [`OffloadConfig`]; otherwise they are left as they came).
    #[cfg_attr(not(feature = "s3-offload"), allow(clippy::unused_async))]
    pub(crate) async fn fetch_payloads(&self, messages: &mut [Message]) -> Result<()> {
        #[cfg(feature = "s3-offload")]
        if let Some(config) = &self.inner.offload {
            for message in messages.iter_mut() {
                config.fetch(message).await?;
            }
        }
        let _ = messages;
        Ok(())
    }

    /// Deletes the S3 objects of deleted offloaded messages, when configured. Failures are
    /// logged; the first is returned.
    #[cfg_attr(not(feature = "s3-offload"), allow(clippy::unused_async))]
    pub(crate) async fn delete_payloads(&self, messages: &[&Message]) -> Result<()> {
        #[cfg(feature = "s3-offload")]
        if let Some(config) = self.inner.offload.as_ref().filter(|c| c.delete_objects) {
            let mut first = None;
            for (bucket, key) in messages.iter().filter_map(|m| m.offloaded()) {
                if let Err(e) = config.delete(bucket, key).await {
                    tracing::warn!(queue = %self.inner.name, bucket, key, error = %e, "could not delete an offloaded payload");
                    first.get_or_insert(e);
                }
            }
            return first.map_or(Ok(()), Err);
        }
        let _ = messages;
        Ok(())
    }
}

#[cfg(feature = "s3-offload")]
mod enabled {
    use std::collections::HashMap;

    use aws_sdk_sqs::types::MessageAttributeValue;
    use awsimple_core::{Error, MAX_MESSAGE_ATTRIBUTES, Result, Service};
    use awsimple_s3::S3Access;
    use tracing::debug;

    use super::{EXTENDED_PAYLOAD_SIZE, LEGACY_PAYLOAD_SIZE, parse_pointer, pointer_body};
    use crate::message::Message;
    use crate::names::DEFAULT_MAX_MESSAGE_SIZE;

    const S3: Service = Service::new("s3");

    /// Where and when message bodies go to S3 (feature `s3-offload`), in the format of the
    /// AWS SQS Extended Client libraries.
    ///
    /// ```no_run
    /// # async fn demo() -> awsimple_core::Result<()> {
    /// use awsimple_sqs::{OffloadConfig, SqsAccess};
    ///
    /// let access = awsimple_core::AwsAccess::new().await?;
    /// let bucket = awsimple_s3::S3Access::new(&access, "my-large-messages")?;
    /// let queue = SqsAccess::builder(&access, "jobs")
    ///     .offload_to(OffloadConfig::new(bucket))
    ///     .build()?;
    /// queue.send(&"x".repeat(5 << 20)).await?; // 5 MiB: the body goes to S3
    /// # Ok(()) }
    /// ```
    #[derive(Clone, Debug)]
    pub struct OffloadConfig {
        pub(crate) s3: S3Access,
        pub(crate) threshold: usize,
        pub(crate) always: bool,
        pub(crate) delete_objects: bool,
    }

    impl OffloadConfig {
        /// Offload to the bucket of `s3` the bodies over 256 KiB (with their attributes),
        /// deleting the object when the message is deleted.
        pub fn new(s3: S3Access) -> Self {
            Self {
                s3,
                threshold: DEFAULT_MAX_MESSAGE_SIZE,
                always: false,
                delete_objects: true,
            }
        }

        /// Offload when body and attributes (names, data types, values) together are over
        /// this many bytes (default 256 KiB, as the extended client libraries; SQS now takes
        /// up to 1 MiB: raise the handle's `max_message_size` along with it).
        pub fn threshold(mut self, bytes: usize) -> Self {
            self.threshold = bytes;
            self
        }

        /// Offload every body, whatever its size (default false).
        pub fn always(mut self, on: bool) -> Self {
            self.always = on;
            self
        }

        /// Delete the S3 object when its message is deleted (default true).
        pub fn delete_objects(mut self, on: bool) -> Self {
            self.delete_objects = on;
            self
        }

        /// The bucket bodies are written to.
        pub fn bucket_name(&self) -> &str {
            self.s3.bucket_name()
        }

        /// Writes `body` to a new object; adds the size attribute; returns the pointer body.
        pub(crate) async fn offload(
            &self,
            queue: &str,
            body: &str,
            values: &mut HashMap<String, MessageAttributeValue>,
        ) -> Result<String> {
            if values.contains_key(EXTENDED_PAYLOAD_SIZE)
                || values.contains_key(LEGACY_PAYLOAD_SIZE)
            {
                return Err(Error::invalid(
                    "message attributes",
                    format!("{EXTENDED_PAYLOAD_SIZE} is reserved for offloaded messages"),
                ));
            }
            if values.len() >= MAX_MESSAGE_ATTRIBUTES {
                return Err(Error::invalid(
                    "message attributes",
                    format!(
                        "an offloaded message takes one attribute ({EXTENDED_PAYLOAD_SIZE}): \
                         at most {} others",
                        MAX_MESSAGE_ATTRIBUTES - 1
                    ),
                ));
            }
            let key = random_uuid();
            self.s3.write_bytes(body.as_bytes().to_vec(), &key).await?;
            let size = MessageAttributeValue::builder()
                .data_type("Number")
                .string_value(body.len().to_string())
                .build()
                .map_err(|e| Error::invalid(EXTENDED_PAYLOAD_SIZE, e.to_string()))?;
            values.insert(EXTENDED_PAYLOAD_SIZE.to_owned(), size);
            let bucket = self.s3.bucket_name();
            debug!(
                queue,
                bucket,
                key,
                bytes = body.len(),
                "message body offloaded to S3"
            );
            Ok(pointer_body(bucket, &key))
        }

        /// Replaces a pointer body by the payload (messages without the size attribute are
        /// left alone).
        pub(crate) async fn fetch(&self, message: &mut Message) -> Result<()> {
            let marked = message.attributes.remove(EXTENDED_PAYLOAD_SIZE).is_some()
                | message.attributes.remove(LEGACY_PAYLOAD_SIZE).is_some();
            if !marked {
                return Ok(());
            }
            let Some((bucket, key)) = parse_pointer(&message.body) else {
                return Err(Error::invalid(
                    format!("SQS message {}", message.message_id),
                    format!("it has {EXTENDED_PAYLOAD_SIZE} but its body is no S3 pointer"),
                ));
            };
            let resource = format!("s3://{bucket}/{key}");
            let request = self.s3.client().get_object().bucket(&bucket).key(&key);
            let out = S3.call("GetObject", &resource, request.send()).await?;
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| Error::other(format!("reading {resource}: {e}")))?
                .into_bytes();
            message.body = String::from_utf8(bytes.to_vec()).map_err(|_| {
                Error::invalid(resource.clone(), "the offloaded payload is not UTF-8")
            })?;
            debug!(
                bucket,
                key,
                bytes = message.body.len(),
                "offloaded message body fetched from S3"
            );
            message.offloaded = Some((bucket, key));
            Ok(())
        }

        pub(crate) async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
            let request = self.s3.client().delete_object().bucket(bucket).key(key);
            S3.call(
                "DeleteObject",
                format!("s3://{bucket}/{key}"),
                request.send(),
            )
            .await?;
            debug!(bucket, key, "offloaded message body deleted from S3");
            Ok(())
        }
    }

    /// A random (version 4) UUID, as the extended client libraries name their objects.
    fn random_uuid() -> String {
        let mut bits = fastrand::u128(..);
        bits = (bits & !(0xF << 76)) | (0x4 << 76);
        bits = (bits & !(0b11 << 62)) | (0b10 << 62);
        let hex = format!("{bits:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_round_trip_and_legacy_class() {
        let body = pointer_body("b", "k-1");
        assert_eq!(
            body,
            r#"["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k-1"}]"#
        );
        assert_eq!(parse_pointer(&body), Some(("b".into(), "k-1".into())));
        let legacy = r#"["com.amazon.sqs.javamessaging.MessageS3Pointer", {"s3BucketName": "b", "s3Key": "k"}]"#;
        assert_eq!(parse_pointer(legacy), Some(("b".into(), "k".into())));
        assert_eq!(
            parse_pointer(r#"["other",{"s3BucketName":"b","s3Key":"k"}]"#),
            None
        );
        assert_eq!(parse_pointer("hello"), None);
    }

    #[test]
    fn receipt_handles_of_the_extended_libraries() {
        let handle = extended_receipt_handle("bucket", "key", "AQEB+x/y==");
        assert_eq!(
            handle,
            "-..s3BucketName..-bucket-..s3BucketName..--..s3Key..-key-..s3Key..-AQEB+x/y=="
        );
        assert_eq!(
            parse_receipt_handle(&handle),
            Some(("bucket", "key", "AQEB+x/y=="))
        );
        assert_eq!(sqs_receipt_handle(&handle), "AQEB+x/y==");
        assert_eq!(sqs_receipt_handle("AQEB"), "AQEB");
    }
}
