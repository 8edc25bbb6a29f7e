//! Simple async Amazon SNS: topics, publishing (single and batched), and subscriptions of
//! e-mail addresses and, with the `sqs` feature, SQS queues.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple).
//!
//! ```no_run
//! use awsimple_sns::{AwsAccess, SnsAccess};
//!
//! # async fn demo() -> awsimple_sns::Result<()> {
//! let access = AwsAccess::new().await?;
//! let alerts = SnsAccess::builder(&access, "alerts").auto_create(true).build()?;
//! alerts.subscribe_email("ops@example.com").await?;
//! let id = alerts.publish("disk almost full", Some("disk"), None).await?;
//! # let _ = id; Ok(()) }
//! ```
//!
//! Depending on this crate alone does not compile the SQS SDK: the queue subscription
//! ([`SnsAccess::subscribe_sqs`]) is behind the `sqs` feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_sns::Client;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
pub use awsimple_core::{AwsAccess, Error, Result};
use tokio::sync::OnceCell;
use tracing::{Instrument, debug, info_span, warn};

/// Largest message SNS accepts, in bytes.
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024;
/// Messages per PublishBatch request.
pub const BATCH_SIZE: usize = 10;
/// Attempts for batch entries that failed (the SDK retries whole requests on its own).
const BATCH_ENTRY_ATTEMPTS: usize = 3;

/// Checks a topic name: 1 to 256 ASCII letters, digits, `-` or `_`, plus `.fifo` at the end of
/// a FIFO topic's name.
pub fn validate_topic_name(name: &str) -> Result<()> {
    let what = || format!("SNS topic name {name:?}");
    if name.is_empty() || name.len() > 256 {
        return Err(Error::invalid(what(), "must be 1 to 256 characters long"));
    }
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    if base.is_empty()
        || !base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(
            what(),
            "only ASCII letters, digits, '-' and '_' are allowed (and a final `.fifo`)",
        ));
    }
    Ok(())
}

fn validate_message(message: &str) -> Result<()> {
    if message.is_empty() {
        return Err(Error::invalid("SNS message", "it is empty"));
    }
    if message.len() > MAX_MESSAGE_SIZE {
        return Err(Error::invalid(
            "SNS message",
            format!(
                "{} bytes is over the {MAX_MESSAGE_SIZE}-byte limit",
                message.len()
            ),
        ));
    }
    Ok(())
}

fn validate_subject(subject: &str) -> Result<()> {
    if subject.is_empty() || subject.len() > 100 {
        return Err(Error::invalid(
            format!("SNS subject {subject:?}"),
            "must be 1 to 100 characters long",
        ));
    }
    if !subject
        .chars()
        .all(|c| c.is_ascii() && !c.is_ascii_control())
    {
        return Err(Error::invalid(
            format!("SNS subject {subject:?}"),
            "only printable ASCII without line breaks is allowed",
        ));
    }
    Ok(())
}

/// The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// What [`SnsAccess::publish_batch`] did with each message, in input order.
#[derive(Clone, Debug, Default)]
pub struct PublishReport {
    /// `Ok(message id)` or `Err(reason)` per message.
    pub results: Vec<std::result::Result<String, String>>,
}

impl PublishReport {
    /// True when every message was published.
    pub fn all_published(&self) -> bool {
        self.results.iter().all(std::result::Result::is_ok)
    }

    /// Indices (into the input) and reasons of the messages not published.
    pub fn failures(&self) -> Vec<(usize, &str)> {
        self.results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e.as_str())))
            .collect()
    }
}

/// Options of an [`SnsAccess`]; from [`SnsAccess::builder`].
#[derive(Debug)]
pub struct SnsAccessBuilder {
    access: AwsAccess,
    name: String,
    auto_create: bool,
}

impl SnsAccessBuilder {
    /// Create the topic at first use when it does not exist (default false).
    pub fn auto_create(mut self, on: bool) -> Self {
        self.auto_create = on;
        self
    }

    /// Validates the name (no request is sent).
    pub fn build(self) -> Result<SnsAccess> {
        validate_topic_name(&self.name)?;
        let conf = aws_sdk_sns::config::Builder::from(self.access.sdk_config())
            .interceptor(self.access.request_counter().clone())
            .build();
        Ok(SnsAccess {
            inner: Arc::new(Inner {
                client: Client::from_conf(conf),
                resource: format!("SNS topic {:?}", self.name),
                access: self.access,
                name: self.name,
                auto_create: self.auto_create,
                arn: OnceCell::new(),
            }),
        })
    }
}

/// One SNS topic. Cheap to clone; the ARN is looked up once per handle.
#[derive(Clone, Debug)]
pub struct SnsAccess {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    access: AwsAccess,
    name: String,
    resource: String,
    auto_create: bool,
    arn: OnceCell<String>,
}

impl SnsAccess {
    /// A handle without auto create.
    pub fn new(access: &AwsAccess, topic_name: impl Into<String>) -> Result<Self> {
        Self::builder(access, topic_name).build()
    }

    /// A builder for the options.
    pub fn builder(access: &AwsAccess, topic_name: impl Into<String>) -> SnsAccessBuilder {
        SnsAccessBuilder {
            access: access.clone(),
            name: topic_name.into(),
            auto_create: false,
        }
    }

    /// The topic name.
    pub fn topic_name(&self) -> &str {
        &self.inner.name
    }

    /// The SDK client, for what awsimple does not wrap.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    fn sdk_err<E>(
        &self,
        operation: &'static str,
    ) -> impl FnOnce(aws_sdk_sns::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> Error
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        let resource = self.inner.resource.clone();
        move |e| Error::from_sdk(e, operation, resource)
    }

    /// Creates the topic (idempotent; DisplayName = name) and returns its ARN.
    pub async fn create_topic(&self) -> Result<String> {
        let mut request = self
            .inner
            .client
            .create_topic()
            .name(&self.inner.name)
            .attributes(
                "DisplayName",
                self.inner.name.chars().take(100).collect::<String>(),
            );
        if self.inner.name.ends_with(".fifo") {
            request = request
                .attributes("FifoTopic", "true")
                .attributes("ContentBasedDeduplication", "true");
        }
        let span = info_span!("sns.create_topic", topic = %self.inner.name);
        let out = request
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("CreateTopic"))?;
        let arn = out.topic_arn().unwrap_or_default().to_owned();
        let _ = self.inner.arn.set(arn.clone());
        Ok(arn)
    }

    /// The topic's ARN, looked up once: with auto create, CreateTopic (idempotent) gives it;
    /// otherwise it is built from the account and region and confirmed with one
    /// GetTopicAttributes, without listing every topic.
    pub async fn arn(&self) -> Result<String> {
        self.inner
            .arn
            .get_or_try_init(|| async {
                if self.inner.auto_create {
                    return self.create_topic().await;
                }
                let arn = self.expected_arn().await?;
                self.attributes_of(&arn).await?;
                Ok(arn)
            })
            .await
            .cloned()
    }

    async fn expected_arn(&self) -> Result<String> {
        let region = self.inner.access.region();
        let account = self.inner.access.account_id().await?;
        Ok(format!(
            "arn:{}:sns:{region}:{account}:{}",
            partition(region),
            self.inner.name
        ))
    }

    async fn attributes_of(&self, arn: &str) -> Result<HashMap<String, String>> {
        let span = info_span!("sns.get_topic_attributes", topic = %self.inner.name);
        let out = self
            .inner
            .client
            .get_topic_attributes()
            .topic_arn(arn)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("GetTopicAttributes"))?;
        Ok(out.attributes().cloned().unwrap_or_default())
    }

    /// The topic's attributes (DisplayName, Policy, SubscriptionsConfirmed, ...).
    pub async fn attributes(&self) -> Result<HashMap<String, String>> {
        let arn = self.arn().await?;
        self.attributes_of(&arn).await
    }

    /// True when the topic exists.
    pub async fn exists(&self) -> Result<bool> {
        let arn = match self.inner.arn.get() {
            Some(arn) => arn.clone(),
            None => self.expected_arn().await?,
        };
        match self.attributes_of(&arn).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the topic (SNS answers success for a topic that does not exist).
    pub async fn delete_topic(&self) -> Result<()> {
        let arn = match self.inner.arn.get() {
            Some(arn) => arn.clone(),
            None => self.expected_arn().await?,
        };
        let span = info_span!("sns.delete_topic", topic = %self.inner.name);
        match self
            .inner
            .client
            .delete_topic()
            .topic_arn(arn)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("DeleteTopic"))
        {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn subscribe(
        &self,
        protocol: &str,
        endpoint: &str,
        attributes: &[(&str, &str)],
    ) -> Result<String> {
        let arn = self.arn().await?;
        let mut request = self
            .inner
            .client
            .subscribe()
            .topic_arn(arn)
            .protocol(protocol)
            .endpoint(endpoint)
            .return_subscription_arn(true);
        for (key, value) in attributes {
            request = request.attributes(*key, *value);
        }
        let span = info_span!("sns.subscribe", topic = %self.inner.name, protocol);
        let out = request
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("Subscribe"))?;
        Ok(out.subscription_arn().unwrap_or_default().to_owned())
    }

    /// Subscribes an e-mail address (AWS mails a confirmation link); returns the subscription
    /// ARN.
    pub async fn subscribe_email(&self, address: &str) -> Result<String> {
        let valid = address
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
            && !address.chars().any(char::is_whitespace);
        if !valid {
            return Err(Error::invalid(
                format!("e-mail address {address:?}"),
                "expected user@domain",
            ));
        }
        self.subscribe("email", address, &[]).await
    }

    /// Subscribes an SQS queue: the queue's policy gains a statement allowing this topic to
    /// send (merged into what the queue has), then the subscription is made; returns its ARN.
    /// With `raw_delivery` the queue receives the bare message instead of SNS's JSON envelope.
    #[cfg(feature = "sqs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
    pub async fn subscribe_sqs(
        &self,
        queue: &awsimple_sqs::SqsAccess,
        raw_delivery: bool,
    ) -> Result<String> {
        let topic_arn = self.arn().await?;
        queue.add_permission(&topic_arn).await?;
        let queue_arn = queue.arn().await?;
        let raw = if raw_delivery { "true" } else { "false" };
        self.subscribe("sqs", &queue_arn, &[("RawMessageDelivery", raw)])
            .await
    }

    /// Publishes a message; returns its message id.
    pub async fn publish(
        &self,
        message: &str,
        subject: Option<&str>,
        attributes: Option<&BTreeMap<String, String>>,
    ) -> Result<String> {
        validate_message(message)?;
        if let Some(subject) = subject {
            validate_subject(subject)?;
        }
        let values = attribute_values(attributes)?;
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
        let span = info_span!("sns.publish", topic = %self.inner.name, bytes = message.len());
        let out = request
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("Publish"))?;
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
    pub async fn publish_batch<S: AsRef<str>>(&self, messages: &[S]) -> Result<PublishReport> {
        for message in messages {
            validate_message(message.as_ref())?;
        }
        let mut report = PublishReport {
            results: vec![Err("not published".to_owned()); messages.len()],
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
            for attempt in 1..=BATCH_ENTRY_ATTEMPTS {
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
                let span = info_span!("sns.publish_batch", topic = %self.inner.name, entries = entries.len());
                let out = match self
                    .inner
                    .client
                    .publish_batch()
                    .topic_arn(&arn)
                    .set_publish_batch_request_entries(Some(entries))
                    .send()
                    .instrument(span)
                    .await
                    .map_err(self.sdk_err("PublishBatch"))
                {
                    Ok(out) => out,
                    Err(e) if !any_published => return Err(e),
                    Err(e) => {
                        warn!(topic = %self.inner.name, error = %e, "batch publish failed: reporting the rest as not published");
                        let reason = format!("not published: {e}");
                        for &i in pending
                            .iter()
                            .chain(batches[batch_index + 1..].iter().flatten())
                        {
                            report.results[i] = Err(reason.clone());
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
                        report.results[i] = Err(format!(
                            "{}: {}",
                            failed.code(),
                            failed.message().unwrap_or_default()
                        ));
                        if !failed.sender_fault() {
                            retry.push(i);
                        }
                    }
                }
                if retry.is_empty() {
                    break;
                }
                warn!(topic = %self.inner.name, failed = retry.len(), attempt, "batch entries failed: retrying");
                if attempt < BATCH_ENTRY_ATTEMPTS {
                    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                }
                pending = retry;
            }
        }
        Ok(report)
    }
}

fn attribute_values(
    attributes: Option<&BTreeMap<String, String>>,
) -> Result<Option<HashMap<String, MessageAttributeValue>>> {
    let Some(attributes) = attributes.filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    attributes
        .iter()
        .map(|(k, v)| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map(|value| (k.clone(), value))
                .map_err(|e| Error::invalid(format!("message attribute {k:?}"), e.to_string()))
        })
        .collect::<Result<HashMap<_, _>>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_subjects_and_partitions() {
        assert!(validate_topic_name("alerts-1_x").is_ok());
        assert!(validate_topic_name("orders.fifo").is_ok());
        for bad in ["", "a b", "a.b", ".fifo", &"x".repeat(257)] {
            assert!(validate_topic_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_subject("disk").is_ok());
        assert!(validate_subject("two\nlines").is_err());
        assert!(validate_subject(&"s".repeat(101)).is_err());
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
