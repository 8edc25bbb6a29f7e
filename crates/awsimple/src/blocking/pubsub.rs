//! Blocking pub/sub over SNS + SQS (feature `pubsub`): [`Pub`] and [`Sub`] run the async
//! [`crate::pubsub`] types, in the same message format (shared with the Python package).
//!
//! ```no_run
//! use awsimple::blocking::AwsAccess;
//! use awsimple::blocking::pubsub::{Pub, Sub};
//! use serde_json::{Value, json};
//!
//! fn main() -> awsimple::Result<()> {
//!     let access = AwsAccess::new()?;
//!     let sub = Sub::builder(&access, "weather").node_name("station-7").build()?;
//!     let publisher = Pub::new(&access, "weather")?;
//!     publisher.publish(&json!({"temperature": 21.5}))?;
//!     publisher.shutdown()?; // flushes what is still queued
//!     for message in sub.messages::<Value>() {
//!         println!("{}", message?);
//!     }
//!     Ok(())
//! }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{AwsAccess, Iter, SqsAccess, run};
use crate::Result;
use crate::sns::SnsAccess;

/// Publishes JSON messages to a channel: the blocking form of [`crate::pubsub::Pub`].
/// [`Pub::publish`] queues the message and returns at once; a background task on the blocking
/// API's runtime sends it. Call [`Pub::shutdown`] (or [`Pub::flush`]) before the program ends,
/// or what is still queued is lost.
#[derive(Debug)]
pub struct Pub {
    inner: crate::pubsub::Pub,
}

impl Pub {
    /// A publisher on `channel` (the topic is created when missing).
    pub fn new(access: &AwsAccess, channel: &str) -> Result<Self> {
        run(crate::pubsub::Pub::new(access.as_async(), channel)).map(|inner| Self { inner })
    }

    /// The async publisher, for the async API.
    pub fn as_async(&self) -> &crate::pubsub::Pub {
        &self.inner
    }

    /// The channel's topic.
    pub fn topic(&self) -> &SnsAccess {
        self.inner.topic()
    }

    /// Queues a message (it does not block): see [`crate::pubsub::Pub::publish`].
    ///
    /// ```no_run
    /// # fn demo(access: &awsimple::blocking::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::blocking::pubsub::{Pub, Sub};
    /// use serde_json::{Value, json};
    ///
    /// let sub = Sub::builder(access, "weather").node_name("station-7").build()?;
    /// let publisher = Pub::new(access, "weather")?;
    /// publisher.publish(&json!({"temperature": 21.5}))?;
    /// publisher.shutdown()?; // waits until it is published
    /// for message in sub.drain::<Value>()? {
    ///     println!("{message}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`crate::pubsub::Pub::publish`] (it does not block, so it works inside a runtime too).
    pub fn publish<T: Serialize + ?Sized>(&self, message: &T) -> Result<()> {
        self.inner.publish(message)
    }

    /// Waits until everything queued so far is published.
    pub fn flush(&self) -> Result<()> {
        run(self.inner.flush())
    }

    /// Publishes what is still queued, stops the background task, and returns its error if it
    /// failed.
    pub fn shutdown(self) -> Result<()> {
        run(self.inner.shutdown())
    }
}

/// Options of a [`Sub`]: the blocking form of [`crate::pubsub::SubBuilder`].
#[derive(Debug)]
pub struct SubBuilder {
    inner: crate::pubsub::SubBuilder,
}

impl SubBuilder {
    /// The node name (default `<hostname>-<username>`): one queue per node.
    pub fn node_name(self, name: impl Into<String>) -> Self {
        Self {
            inner: self.inner.node_name(name),
        }
    }

    /// Delete the channel's queues unused for 30 days at start-up (default true; queues with
    /// no use record are never deleted).
    pub fn cleanup_unused_queues(self, on: bool) -> Self {
        Self {
            inner: self.inner.cleanup_unused_queues(on),
        }
    }

    /// Creates the topic and this node's queue (when missing), subscribes the queue, records
    /// its use and cleans up unused queues: see [`crate::pubsub::SubBuilder::build`].
    ///
    /// # Errors
    /// The errors of [`crate::pubsub::SubBuilder::build`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn build(self) -> Result<Sub> {
        run(self.inner.build()).map(Sub::from)
    }
}

/// A subscriber, this node's queue on a channel: the blocking form of
/// [`crate::pubsub::Sub`].
#[derive(Debug)]
pub struct Sub {
    inner: crate::pubsub::Sub,
    queue: SqsAccess,
}

impl From<crate::pubsub::Sub> for Sub {
    fn from(inner: crate::pubsub::Sub) -> Self {
        let queue = SqsAccess::from(inner.queue().clone());
        Self { inner, queue }
    }
}

impl Sub {
    /// A subscriber on `channel` with the default node name.
    pub fn new(access: &AwsAccess, channel: &str) -> Result<Self> {
        Self::builder(access, channel).build()
    }

    /// A builder for the options.
    pub fn builder(access: &AwsAccess, channel: &str) -> SubBuilder {
        SubBuilder {
            inner: crate::pubsub::Sub::builder(access.as_async(), channel),
        }
    }

    /// The async subscriber, for the async API.
    pub fn as_async(&self) -> &crate::pubsub::Sub {
        &self.inner
    }

    /// This node's queue.
    pub fn queue(&self) -> &SqsAccess {
        &self.queue
    }

    /// Every message that has arrived (without waiting for more); malformed ones are skipped.
    ///
    /// # Errors
    /// The errors of [`crate::pubsub::Sub::drain`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn drain<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        run(self.inner.drain())
    }

    /// Messages as they arrive, forever (long polls; transient errors back off and go on;
    /// malformed messages are logged and skipped): a blocking iterator;
    /// [`Iter::next_timeout`] waits a bounded time.
    pub fn messages<T: DeserializeOwned>(&self) -> Iter<'_, T> {
        Iter::new(self.inner.stream())
    }
}

/// Deletes the channel's queues unused for 30 days: see
/// [`crate::pubsub::remove_unused_queues`].
pub fn remove_unused_queues(
    access: &AwsAccess,
    topic_name: &str,
    keep: &str,
) -> Result<Vec<String>> {
    run(crate::pubsub::remove_unused_queues(
        access.as_async(),
        topic_name,
        keep,
    ))
}
