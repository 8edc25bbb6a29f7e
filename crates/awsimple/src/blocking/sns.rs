//! The blocking [`SnsAccess`].

use std::collections::HashMap;

use super::{AwsAccess, run};
use crate::Result;
use crate::sns::{BatchReport, MessageAttributes};

/// One SNS topic: the blocking form of [`crate::SnsAccess`], whose methods it runs. Cheap to
/// clone. Options (`auto_create`) go through the async builder and `From`.
#[derive(Clone, Debug)]
pub struct SnsAccess {
    inner: crate::SnsAccess,
}

impl From<crate::SnsAccess> for SnsAccess {
    fn from(inner: crate::SnsAccess) -> Self {
        Self { inner }
    }
}

impl SnsAccess {
    /// A handle of `topic_name` with the default options, as [`crate::SnsAccess::new`].
    pub fn new(access: &AwsAccess, topic_name: impl Into<String>) -> Result<Self> {
        crate::SnsAccess::new(access.as_async(), topic_name).map(Self::from)
    }

    /// The async handle, for the async API.
    pub fn as_async(&self) -> &crate::SnsAccess {
        &self.inner
    }

    /// The async handle, for the async API.
    pub fn into_async(self) -> crate::SnsAccess {
        self.inner
    }

    /// The topic's name.
    pub fn topic_name(&self) -> &str {
        self.inner.topic_name()
    }

    /// See [`crate::SnsAccess::create_topic`].
    ///
    /// # Errors
    /// The errors of [`crate::SnsAccess::create_topic`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn create_topic(&self) -> Result<String> {
        run(self.inner.create_topic())
    }

    /// See [`crate::SnsAccess::arn`].
    pub fn arn(&self) -> Result<String> {
        run(self.inner.arn())
    }

    /// See [`crate::SnsAccess::attributes`].
    pub fn attributes(&self) -> Result<HashMap<String, String>> {
        run(self.inner.attributes())
    }

    /// See [`crate::SnsAccess::topic_exists`].
    pub fn topic_exists(&self) -> Result<bool> {
        run(self.inner.topic_exists())
    }

    /// See [`crate::SnsAccess::delete_topic`].
    pub fn delete_topic(&self) -> Result<bool> {
        run(self.inner.delete_topic())
    }

    /// See [`crate::SnsAccess::publish`].
    ///
    /// ```no_run
    /// # fn demo(access: &awsimple::blocking::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::blocking::SnsAccess;
    ///
    /// let alerts = SnsAccess::new(access, "alerts")?;
    /// alerts.create_topic()?;
    /// let id = alerts.publish("disk almost full", Some("disk"), None)?;
    /// # let _ = id; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The errors of [`crate::SnsAccess::publish`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn publish(
        &self,
        message: &str,
        subject: Option<&str>,
        attributes: Option<&MessageAttributes>,
    ) -> Result<String> {
        run(self.inner.publish(message, subject, attributes))
    }

    /// See [`crate::SnsAccess::publish_batch`].
    pub fn publish_batch<S: AsRef<str>>(&self, messages: &[S]) -> Result<BatchReport> {
        run(self.inner.publish_batch(messages))
    }

    /// See [`crate::SnsAccess::subscribe_email`].
    pub fn subscribe_email(&self, address: &str) -> Result<String> {
        run(self.inner.subscribe_email(address))
    }

    /// See [`crate::SnsAccess::subscribe_sqs`] (where the async one is: features `pubsub` or
    /// `full`, which give `awsimple-sns` its `sqs` feature).
    #[cfg(feature = "pubsub")]
    #[cfg_attr(docsrs, doc(cfg(feature = "pubsub")))]
    /// # Errors
    /// The errors of [`crate::SnsAccess::subscribe_sqs`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn subscribe_sqs(&self, queue: &super::SqsAccess, raw_delivery: bool) -> Result<String> {
        run(self.inner.subscribe_sqs(queue.as_async(), raw_delivery))
    }
}
