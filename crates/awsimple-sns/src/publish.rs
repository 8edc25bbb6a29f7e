//! Publishing: one message, and batches.

use std::collections::HashMap;

use aws_sdk_sns::primitives::Blob;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use awsimple_core::{
    BackoffConfig, BatchReport, EntryFailure, Error, MessageAttribute, MessageAttributes, Result,
    validate_message_attributes,
};
use tracing::{debug, warn};

use crate::names::{BATCH_SIZE, MAX_MESSAGE_SIZE, validate_message, validate_subject};
use crate::topic::{SNS, SnsAccess};

/// Attempts for batch entries that failed (the SDK retries whole requests on its own).
const BATCH_ENTRY_ATTEMPTS: u32 = 3;

impl SnsAccess {
    /// Publishes a message; returns its message id. `subject` is the e-mail subject line
    /// (1 to 100 printable ASCII characters); `attributes` are SNS message attributes (at most
    /// 10, used by subscription filter policies). On a FIFO topic (`.fifo`) every message goes
    /// to the message group `default`.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sns::AwsAccess) -> awsimple_sns::Result<()> {
    /// use awsimple_sns::{MessageAttribute, MessageAttributes, SnsAccess};
    ///
    /// let alerts = SnsAccess::builder(access, "alerts").auto_create(true).build()?;
    /// let id = alerts.publish("disk almost full", Some("disk"), None).await?;
    ///
    /// let mut attributes = MessageAttributes::new();
    /// attributes.insert("severity".into(), MessageAttribute::String("high".into()));
    /// alerts.publish("disk full", None, Some(&attributes)).await?;
    /// # let _ = id; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`](awsimple_core::Error::InvalidInput), before any request, for an
    /// empty message or one over [`MAX_MESSAGE_SIZE`](crate::MAX_MESSAGE_SIZE) bytes (message
    /// and attributes together), a bad subject or bad attributes;
    /// [`Error::NotFound`](awsimple_core::Error::NotFound) when the topic does not exist and
    /// the handle was not built with [`auto_create`](crate::SnsAccessBuilder::auto_create);
    /// [`Error::PermissionDenied`](awsimple_core::Error::PermissionDenied) without
    /// `sns:Publish`; and the errors every call can have (credentials, throttling, connection,
    /// timeout).
    pub async fn publish(
        &self,
        message: &str,
        subject: Option<&str>,
        attributes: Option<&MessageAttributes>,
    ) -> Result<String> {
        validate_message(message)?;
        if let Some(subject) = subject {
            validate_subject(subject)?;
        }
        let values = attribute_values(message, attributes)?;
        let arn = self.arn().await?;
        let mut request = self
            .inner
            .client
            .publish()
            .topic_arn(arn)
            .message(message)
            .set_subject(subject.map(str::to_owned))
            .set_message_attributes(values);
        if self.inner.name.ends_with(".fifo") {
            request = request.message_group_id("default");
        }
        let out = SNS
            .call("Publish", &self.inner.resource, request.send())
            .await?;
        let id = out.message_id().unwrap_or_default().to_owned();
        debug!(topic = %self.inner.name, id = %id, "published");
        Ok(id)
    }

    /// Publishes many messages: 10 per PublishBatch request, and fewer when 10 would pass the
    /// 256 KiB a batch may hold. Entries SNS fails through no fault of the request are
    /// retried; each message's outcome is reported (never dropped silently). Messages are
    /// validated before anything is sent.
    ///
    /// `Err` means nothing was published (invalid input, or the first request failed); once
    /// some are published, a failed request marks its messages and the ones after it as not
    /// published in the report instead.
    ///
    /// ```no_run
    /// # async fn demo(alerts: &awsimple_sns::SnsAccess) -> awsimple_sns::Result<()> {
    /// let report = alerts.publish_batch(&["first", "second", "third"]).await?;
    /// for failure in report.failures() {
    ///     eprintln!("not published: {failure:?}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`](awsimple_core::Error::InvalidInput) before any request when a
    /// message is empty or too large; [`Error::NotFound`](awsimple_core::Error::NotFound) when
    /// the topic does not exist (without auto create); otherwise the error of the first request.
    pub async fn publish_batch<S: AsRef<str>>(&self, messages: &[S]) -> Result<BatchReport> {
        for message in messages {
            validate_message(message.as_ref())?;
        }
        let mut report = BatchReport {
            results: vec![Err(not_published("the batch was not attempted")); messages.len()],
        };
        if messages.is_empty() {
            return Ok(report);
        }
        let arn = self.arn().await?;
        let fifo = self.inner.name.ends_with(".fifo");
        // Group indices into batches within both limits.
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut size = 0;
        for (i, message) in messages.iter().enumerate() {
            let len = message.as_ref().len();
            match batches.last_mut() {
                Some(batch) if batch.len() < BATCH_SIZE && size + len <= MAX_MESSAGE_SIZE => {
                    batch.push(i);
                    size += len;
                }
                _ => {
                    batches.push(vec![i]);
                    size = len;
                }
            }
        }
        let mut any_published = false;
        for (batch_index, batch) in batches.iter().enumerate() {
            let mut pending = batch.clone();
            let mut backoff = BackoffConfig::default()
                .with_max_attempts(BATCH_ENTRY_ATTEMPTS)
                .start();
            loop {
                let entries = pending
                    .iter()
                    .map(|&i| {
                        let mut entry = PublishBatchRequestEntry::builder()
                            .id(i.to_string())
                            .message(messages[i].as_ref());
                        if fifo {
                            entry = entry.message_group_id("default");
                        }
                        entry
                            .build()
                            .map_err(|e| Error::invalid(format!("batch entry {i}"), e.to_string()))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let request = self
                    .inner
                    .client
                    .publish_batch()
                    .topic_arn(&arn)
                    .set_publish_batch_request_entries(Some(entries));
                let out = match SNS
                    .call("PublishBatch", &self.inner.resource, request.send())
                    .await
                {
                    Ok(out) => out,
                    Err(e) if !any_published => return Err(e),
                    Err(e) => {
                        warn!(topic = %self.inner.name, error = %e, "batch publish failed: reporting the rest as not published");
                        let failure = not_published(&e.to_string());
                        for &i in pending
                            .iter()
                            .chain(batches[batch_index + 1..].iter().flatten())
                        {
                            report.results[i] = Err(failure.clone());
                        }
                        return Ok(report);
                    }
                };
                for ok in out.successful() {
                    if let Some(i) = ok.id().and_then(|id| id.parse::<usize>().ok()) {
                        report.results[i] = Ok(ok.message_id().unwrap_or_default().to_owned());
                        any_published = true;
                    }
                }
                let mut retry = Vec::new();
                for failed in out.failed() {
                    if let Ok(i) = failed.id().parse::<usize>() {
                        report.results[i] = Err(EntryFailure {
                            code: failed.code().to_owned(),
                            message: failed.message().unwrap_or_default().to_owned(),
                            sender_fault: failed.sender_fault(),
                        });
                        if !failed.sender_fault() {
                            retry.push(i);
                        }
                    }
                }
                if retry.is_empty() {
                    break;
                }
                warn!(topic = %self.inner.name, failed = retry.len(), attempt = backoff.attempt(), "batch entries failed: retrying");
                if !backoff.wait().await {
                    break;
                }
                pending = retry;
            }
        }
        Ok(report)
    }
}

/// The SDK form of the attributes, checked first (names, count, values, and the message
/// size with them).
fn attribute_values(
    message: &str,
    attributes: Option<&MessageAttributes>,
) -> Result<Option<HashMap<String, MessageAttributeValue>>> {
    let Some(attributes) = attributes.filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let size = validate_message_attributes(attributes)? + message.len();
    if size > MAX_MESSAGE_SIZE {
        return Err(Error::invalid(
            "SNS message with its attributes",
            format!("{size} bytes is over the {MAX_MESSAGE_SIZE}-byte limit"),
        ));
    }
    attributes
        .iter()
        .map(|(name, value)| {
            let builder = MessageAttributeValue::builder().data_type(value.data_type());
            let builder = match value {
                MessageAttribute::Binary(bytes) => builder.binary_value(Blob::new(bytes.clone())),
                other => builder.set_string_value(other.string_value()),
            };
            builder
                .build()
                .map(|built| (name.clone(), built))
                .map_err(|e| Error::invalid(format!("message attribute {name:?}"), e.to_string()))
        })
        .collect::<Result<HashMap<_, _>>>()
        .map(Some)
}

/// The failure of an entry the library did not get an answer for.
fn not_published(reason: &str) -> EntryFailure {
    EntryFailure {
        code: "NotPublished".to_owned(),
        message: reason.to_owned(),
        sender_fault: false,
    }
}
