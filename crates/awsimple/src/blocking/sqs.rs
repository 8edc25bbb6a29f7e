//! The blocking [`SqsAccess`].

use std::time::Duration;

use super::{AwsAccess, Iter, run};
use crate::Result;
use crate::sqs::{BatchReport, Message, MessageAttributes};

/// One SQS queue: the blocking form of [`crate::SqsAccess`], whose methods it runs. Cheap to
/// clone. Options (long polling, visibility, FIFO) go through the async builder and `From`.
#[derive(Clone, Debug)]
pub struct SqsAccess {
    inner: crate::SqsAccess,
}

impl From<crate::SqsAccess> for SqsAccess {
    fn from(inner: crate::SqsAccess) -> Self {
        Self { inner }
    }
}

impl SqsAccess {
    /// A handle of `queue_name` with the default options, as [`crate::SqsAccess::new`].
    pub fn new(access: &AwsAccess, queue_name: impl Into<String>) -> Result<Self> {
        crate::SqsAccess::new(access.as_async(), queue_name).map(Self::from)
    }

    /// The async handle, for the async API.
    pub fn as_async(&self) -> &crate::SqsAccess {
        &self.inner
    }

    /// The async handle, for the async API.
    pub fn into_async(self) -> crate::SqsAccess {
        self.inner
    }

    /// The queue's name.
    pub fn queue_name(&self) -> &str {
        self.inner.queue_name()
    }

    /// See [`crate::SqsAccess::visibility_timeout`].
    pub fn visibility_timeout(&self) -> Duration {
        self.inner.visibility_timeout()
    }

    /// See [`crate::SqsAccess::create_queue`].
    pub fn create_queue(&self) -> Result<String> {
        run(self.inner.create_queue())
    }

    /// See [`crate::SqsAccess::url`].
    pub fn url(&self) -> Result<String> {
        run(self.inner.url())
    }

    /// See [`crate::SqsAccess::arn`].
    pub fn arn(&self) -> Result<String> {
        run(self.inner.arn())
    }

    /// See [`crate::SqsAccess::delete_queue`].
    pub fn delete_queue(&self) -> Result<bool> {
        run(self.inner.delete_queue())
    }

    /// See [`crate::SqsAccess::queue_exists`].
    pub fn queue_exists(&self) -> Result<bool> {
        run(self.inner.queue_exists())
    }

    /// See [`crate::SqsAccess::approximate_message_count`].
    pub fn approximate_message_count(&self) -> Result<u64> {
        run(self.inner.approximate_message_count())
    }

    /// See [`crate::SqsAccess::purge`].
    pub fn purge(&self) -> Result<()> {
        run(self.inner.purge())
    }

    /// See [`crate::SqsAccess::queue_names`].
    pub fn queue_names(&self, prefix: &str) -> Result<Vec<String>> {
        run(self.inner.queue_names(prefix))
    }

    /// See [`crate::SqsAccess::send`].
    ///
    /// ```no_run
    /// # fn demo(access: &awsimple::blocking::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::blocking::SqsAccess;
    ///
    /// let jobs = SqsAccess::new(access, "jobs")?;
    /// jobs.send("render frame 7")?;
    /// while let Some(job) = jobs.receive_message()? {
    ///     println!("{}", job.body); // deleted on receipt (immediate delete, the default)
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The errors of [`crate::SqsAccess::send`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn send(&self, body: &str) -> Result<String> {
        run(self.inner.send(body))
    }

    /// See [`crate::SqsAccess::send_with_attributes`].
    pub fn send_with_attributes(
        &self,
        body: &str,
        attributes: &MessageAttributes,
    ) -> Result<String> {
        run(self.inner.send_with_attributes(body, attributes))
    }

    /// See [`crate::SqsAccess::send_with_deduplication_id`].
    pub fn send_with_deduplication_id(&self, body: &str, deduplication_id: &str) -> Result<String> {
        run(self
            .inner
            .send_with_deduplication_id(body, deduplication_id))
    }

    /// See [`crate::SqsAccess::send_batch`].
    pub fn send_batch<S: AsRef<str>>(&self, bodies: &[S]) -> Result<BatchReport> {
        run(self.inner.send_batch(bodies))
    }

    /// See [`crate::SqsAccess::receive_message`].
    ///
    /// # Errors
    /// The errors of [`crate::SqsAccess::receive_message`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn receive_message(&self) -> Result<Option<Message>> {
        run(self.inner.receive_message())
    }

    /// See [`crate::SqsAccess::receive_messages`].
    ///
    /// # Errors
    /// The errors of [`crate::SqsAccess::receive_messages`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn receive_messages(&self, max: Option<usize>) -> Result<Vec<Message>> {
        run(self.inner.receive_messages(max))
    }

    /// See [`crate::SqsAccess::delete_message`].
    ///
    /// # Errors
    /// The errors of [`crate::SqsAccess::delete_message`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn delete_message(&self, message: &Message) -> Result<()> {
        run(self.inner.delete_message(message))
    }

    /// See [`crate::SqsAccess::delete_messages`].
    pub fn delete_messages(&self, messages: &[Message]) -> Result<()> {
        run(self.inner.delete_messages(messages))
    }

    /// See [`crate::SqsAccess::change_visibility`].
    pub fn change_visibility(&self, message: &Message, timeout: Duration) -> Result<()> {
        run(self.inner.change_visibility(message, timeout))
    }

    /// Messages as they arrive, forever: the blocking iterator of
    /// [`crate::SqsAccess::messages`] ([`Iter::next_timeout`] waits a bounded time).
    ///
    /// ```no_run
    /// # fn demo(jobs: &awsimple::blocking::SqsAccess) -> awsimple::Result<()> {
    /// use std::time::Duration;
    ///
    /// let mut messages = jobs.messages();
    /// while let Some(job) = messages.next_timeout(Duration::from_secs(60))? {
    ///     println!("{}", job.body);
    /// }
    /// println!("nothing for a minute");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Each item is a `Result`: an error that is not transient is yielded and ends the iterator
    /// (see [`crate::SqsAccess::messages`]), and so is [`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)
    /// when it is used inside an async runtime.
    pub fn messages(&self) -> Iter<'static, Message> {
        Iter::new(self.inner.messages())
    }
}
