//! Pub/sub over SNS + SQS, in the format shared with the Python package (feature `pubsub`).
//!
//! A channel is an SNS topic named `ps` + H(channel); each node (subscriber) has its own SQS
//! queue named topic name + H(node name), subscribed to the topic, whose policy gains the
//! statement `AllowSNSSendMessage<topic name>`. H(s) is the SHA-1 of the UTF-8 bytes, read as a
//! big-endian integer and written in base 36 (`0-9a-z`, no padding). Messages are JSON objects
//! published as the SNS message; subscribers read them from the `Message` field of the SNS
//! envelope. So a Python node and a Rust node can share a channel.
//!
//! Unlike the Python package, every channel and node name works (Python asserts that the
//! base-36 form has 30 or 31 characters, which fails for about one name in thirty).
//!
//! ```no_run
//! # async fn demo() -> awsimple::Result<()> {
//! use awsimple::AwsAccess;
//! use awsimple::pubsub::{Pub, Sub};
//! use futures::StreamExt;
//! use serde_json::{Value, json};
//!
//! let access = AwsAccess::new().await?;
//! let sub = Sub::builder(&access, "weather").node_name("station-7").build().await?;
//! let publisher = Pub::new(&access, "weather").await?;
//! publisher.publish(&json!({"temperature": 21.5}))?;
//! publisher.shutdown().await?; // flushes what is still queued
//! let mut messages = Box::pin(sub.stream::<Value>());
//! while let Some(message) = messages.next().await {
//!     println!("{}", message?);
//! }
//! # Ok(()) }
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsimple_core::{AwsAccess, BackoffConfig, Error, Result, retry_transient};
use awsimple_sns::SnsAccess;
use awsimple_sqs::SqsAccess;
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha1::{Digest, Sha1};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

/// Prefix of pub/sub topic and queue names.
pub const PREFIX: &str = "ps";
/// Queues of a channel unused for this long are deleted when a subscriber starts.
pub const QUEUE_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// The `service` of queue-use records in `__awsimple_metadata__`.
pub const METADATA_SERVICE: &str = "sqs";
/// Queue-use records are written at most this often per subscriber.
const USE_RECORD_INTERVAL: Duration = Duration::from_secs(60);

/// H(s): the SHA-1 digest of `s` as a big-endian integer, in base 36 (`0-9a-z`, no padding).
pub fn name_hash(s: &str) -> String {
    let mut digits: Vec<u8> = Sha1::digest(s.as_bytes()).to_vec(); // base-256, big-endian
    const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    while digits.iter().any(|d| *d != 0) {
        let mut remainder = 0u32;
        for d in digits.iter_mut() {
            let value = (remainder << 8) | u32::from(*d);
            *d = (value / 36) as u8;
            remainder = value % 36;
        }
        out.push(ALPHABET[remainder as usize]);
    }
    if out.is_empty() {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The channel's SNS topic name: `ps` + H(channel).
pub fn topic_name(channel: &str) -> String {
    format!("{PREFIX}{}", name_hash(channel))
}

/// A node's SQS queue name: the topic name + H(node name).
pub fn queue_name(channel: &str, node_name: &str) -> String {
    format!("{}{}", topic_name(channel), name_hash(node_name))
}

/// `<hostname>-<username>`, the default node name (the same as Python's for the same host and
/// user: see [`awsimple_core::user_name`]).
pub fn default_node_name() -> String {
    awsimple_core::default_node_name()
}

fn check_channel(channel: &str) -> Result<()> {
    if channel.is_empty() {
        return Err(Error::invalid("pub/sub channel", "it is empty"));
    }
    Ok(())
}

enum Command {
    Publish(String),
    Flush(oneshot::Sender<Result<()>>),
}

/// Publishes JSON messages to a channel. `publish` queues the message and returns at once; a
/// background task sends it (backing off on transient errors). If that task fails for good,
/// the next `publish`, `flush` or `shutdown` returns its error: failures are never swallowed.
#[derive(Debug)]
pub struct Pub {
    topic: SnsAccess,
    commands: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Publish(_) => "Publish",
            Command::Flush(_) => "Flush",
        })
    }
}

impl Pub {
    /// A publisher on `channel` (the topic is created when missing). Messages are published by
    /// a background task, in order; [`shutdown`](Self::shutdown) waits for them.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `sns:CreateTopic`, and the errors every call can
    /// have (credentials, throttling, connection, timeout).
    pub async fn new(access: &AwsAccess, channel: &str) -> Result<Self> {
        check_channel(channel)?;
        let topic = SnsAccess::builder(access, topic_name(channel))
            .auto_create(true)
            .build()?;
        topic.arn().await?;
        let (commands, mut queue) = mpsc::unbounded_channel::<Command>();
        let sender = topic.clone();
        let task = tokio::spawn(async move {
            while let Some(command) = queue.recv().await {
                match command {
                    Command::Publish(message) => publish_with_backoff(&sender, &message).await?,
                    Command::Flush(done) => {
                        let _ = done.send(Ok(()));
                    }
                }
            }
            Ok(())
        });
        Ok(Self {
            topic,
            commands,
            task,
        })
    }

    /// The channel's topic.
    pub fn topic(&self) -> &SnsAccess {
        &self.topic
    }

    /// Queues `message` (serialized to a JSON object) for publishing; returns at once.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::pubsub::Pub;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Reading { station: String, celsius: f64 }
    ///
    /// let publisher = Pub::new(access, "weather").await?;
    /// publisher.publish(&Reading { station: "s7".into(), celsius: 21.5 })?;
    /// publisher.publish(&serde_json::json!({"station": "s8", "celsius": 19.0}))?;
    /// publisher.shutdown().await?; // waits until both are published
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the message is not a JSON object, holds NaN or an infinity
    /// (serde_json would write them as `null`), or is over SNS's 256 KiB;
    /// [`Error::Serialization`] when it does not serialize, [`Error::Other`] when the
    /// background publisher has stopped (its error comes from [`shutdown`](Self::shutdown)).
    /// Errors of the publishing itself come from [`flush`](Self::flush) and `shutdown`.
    pub fn publish<T: Serialize + ?Sized>(&self, message: &T) -> Result<()> {
        let bytes = awsimple_core::to_json_finite(message, "pub/sub message")?;
        if bytes.first() != Some(&b'{') {
            return Err(Error::invalid(
                "pub/sub message",
                "must serialize to a JSON object (the format shared with Python)",
            ));
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| Error::serialization("pub/sub message", e.utf8_error()))?;
        if text.len() > awsimple_sns::MAX_MESSAGE_SIZE {
            return Err(Error::invalid(
                "pub/sub message",
                format!("{} bytes is over SNS's 256 KiB limit", text.len()),
            ));
        }
        self.commands
            .send(Command::Publish(text))
            .map_err(|_| self.stopped())
    }

    fn stopped(&self) -> Error {
        Error::other(format!(
            "the background publisher of pub/sub topic {:?} has stopped: call shutdown() for \
             its error",
            self.topic.topic_name()
        ))
    }

    /// Waits until everything queued so far is published.
    ///
    /// # Errors
    /// The first publishing error (the topic was deleted, permissions, ...), or
    /// [`Error::Other`] when the background publisher has stopped.
    pub async fn flush(&self) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.commands
            .send(Command::Flush(done))
            .map_err(|_| self.stopped())?;
        wait.await.map_err(|_| self.stopped())?
    }

    /// Publishes what is still queued, stops the background task, and returns its error if it
    /// failed.
    ///
    /// # Errors
    /// The error that stopped the background publisher, if any.
    pub async fn shutdown(self) -> Result<()> {
        drop(self.commands);
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(Error::Other {
                context: format!(
                    "the background publisher of pub/sub topic {:?} failed",
                    self.topic.topic_name()
                ),
                source: Some(Box::new(e)),
            }),
        }
    }
}

async fn publish_with_backoff(topic: &SnsAccess, message: &str) -> Result<()> {
    let mut backoff = BackoffConfig::default()
        .with_delays(Duration::from_millis(100), Duration::from_secs(30))
        .with_max_attempts(8)
        .start();
    retry_transient(&mut backoff, |attempt| async move {
        let result = topic.publish(message, None, None).await.map(drop);
        if let Err(e) = &result {
            warn!(error = %e, attempt, "publish failed");
        }
        result
    })
    .await
}

/// Options of a [`Sub`].
#[derive(Debug)]
pub struct SubBuilder {
    access: AwsAccess,
    channel: String,
    node_name: Option<String>,
    cleanup: bool,
}

impl SubBuilder {
    /// The node name (default `<hostname>-<username>`): one queue per node.
    pub fn node_name(mut self, name: impl Into<String>) -> Self {
        self.node_name = Some(name.into());
        self
    }

    /// Delete the channel's queues unused for 30 days at start-up (default true; queues with
    /// no use record are never deleted).
    pub fn cleanup_unused_queues(mut self, on: bool) -> Self {
        self.cleanup = on;
        self
    }

    /// Creates the topic and this node's queue (when missing), subscribes the queue with the
    /// shared policy statement, records the queue's use, and cleans up unused queues.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without the SNS, SQS or DynamoDB permissions these steps
    /// need (`sns:CreateTopic`, `sns:Subscribe`, `sqs:CreateQueue`, `sqs:SetQueueAttributes`,
    /// and `dynamodb:PutItem` on `__awsimple_metadata__`); [`Error::Precondition`] when this
    /// node's queue was deleted less than 60 s ago; and the errors every call can have.
    pub async fn build(self) -> Result<Sub> {
        check_channel(&self.channel)?;
        let node = self.node_name.unwrap_or_else(default_node_name);
        let topic = SnsAccess::builder(&self.access, topic_name(&self.channel))
            .auto_create(true)
            .build()?;
        let queue_name = queue_name(&self.channel, &node);
        let queue = SqsAccess::builder(&self.access, &queue_name)
            .long_poll(true)
            .build()?;
        queue.create_queue().await?;
        topic.subscribe_sqs(&queue, false).await?;
        awsimple_dynamodb::record_use(&self.access, METADATA_SERVICE, &queue_name).await?;
        if self.cleanup {
            remove_unused_queues(&self.access, topic.topic_name(), &queue_name).await?;
        }
        info!(channel = %self.channel, node = %node, queue = %queue_name, "subscribed");
        Ok(Sub {
            access: self.access,
            queue,
            last_record: std::sync::Mutex::new(std::time::Instant::now()),
        })
    }
}

/// Deletes the queues of a channel (name prefix = topic name) whose recorded use is older than
/// [`QUEUE_RETENTION`]; queues without a record are left alone, and so is the queue named
/// `keep` (the caller's own node queue, which is about to be used). Returns the deleted names.
pub async fn remove_unused_queues(
    access: &AwsAccess,
    topic_name: &str,
    keep: &str,
) -> Result<Vec<String>> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut removed = Vec::new();
    for name in SqsAccess::new(access, topic_name)?
        .queue_names(topic_name)
        .await?
    {
        if name == keep {
            continue;
        }
        let Some(used) = awsimple_dynamodb::recorded_use(access, METADATA_SERVICE, &name).await?
        else {
            continue;
        };
        if now - used > QUEUE_RETENTION.as_secs_f64() {
            match SqsAccess::new(access, &name)?.delete_queue().await {
                Ok(_) => {
                    info!(queue = %name, "deleted a pub/sub queue unused for 30 days");
                    removed.push(name);
                }
                Err(e) => warn!(queue = %name, error = %e, "could not delete an unused queue"),
            }
        }
    }
    Ok(removed)
}

/// A subscriber: this node's queue on a channel.
#[derive(Debug)]
pub struct Sub {
    access: AwsAccess,
    queue: SqsAccess,
    last_record: std::sync::Mutex<std::time::Instant>,
}

/// The message of an SNS envelope, parsed into `T`; `None` (logged) when malformed.
fn unwrap_envelope<T: DeserializeOwned>(body: &str) -> Option<T> {
    let envelope: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => {
            warn!(error = %e, "pub/sub: skipping a message that is not JSON");
            return None;
        }
    };
    let Some(message) = envelope.get("Message").and_then(|m| m.as_str()) else {
        warn!("pub/sub: skipping a message without an SNS `Message`");
        return None;
    };
    match serde_json::from_str(message) {
        Ok(value) => Some(value),
        Err(e) => {
            warn!(error = %e, "pub/sub: skipping a message that does not deserialize");
            None
        }
    }
}

impl Sub {
    /// A subscriber on `channel` with the default node name.
    pub async fn new(access: &AwsAccess, channel: &str) -> Result<Self> {
        Self::builder(access, channel).build().await
    }

    /// A builder for the options.
    pub fn builder(access: &AwsAccess, channel: &str) -> SubBuilder {
        SubBuilder {
            access: access.clone(),
            channel: channel.to_owned(),
            node_name: None,
            cleanup: true,
        }
    }

    /// This node's queue.
    pub fn queue(&self) -> &SqsAccess {
        &self.queue
    }

    async fn record_use(&self) {
        let due = {
            let mut last = self
                .last_record
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.elapsed() >= USE_RECORD_INTERVAL {
                *last = std::time::Instant::now();
                true
            } else {
                false
            }
        };
        if due
            && let Err(e) = awsimple_dynamodb::record_use(
                &self.access,
                METADATA_SERVICE,
                self.queue.queue_name(),
            )
            .await
        {
            warn!(error = %e, "pub/sub: could not record the queue's use");
        }
    }

    /// Every message that has arrived (without waiting for more); malformed ones are skipped.
    /// The counterpart of Python's `PubSub.get_messages()`.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::pubsub::Sub;
    /// use serde_json::Value;
    ///
    /// let sub = Sub::builder(access, "weather").node_name("station-7").build().await?;
    /// for message in sub.drain::<Value>().await? {
    ///     println!("{message}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotFound`] when this node's queue was deleted, and the errors every call can
    /// have (credentials, throttling, connection, timeout).
    pub async fn drain<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let messages = self.queue.receive_messages(None).await?;
        if !messages.is_empty() {
            self.record_use().await;
        }
        Ok(messages
            .iter()
            .filter_map(|m| unwrap_envelope(&m.body))
            .collect())
    }

    /// Messages as they arrive, forever (long polls; transient errors back off and go on;
    /// malformed messages are logged and skipped). See the [module](self) example.
    ///
    /// # Errors
    /// An error that is not transient (the queue was deleted, permissions) is yielded and ends
    /// the stream.
    pub fn stream<T: DeserializeOwned>(&self) -> impl Stream<Item = Result<T>> + '_ {
        self.queue.messages().filter_map(move |item| async move {
            match item {
                Ok(message) => {
                    self.record_use().await;
                    unwrap_envelope::<T>(&message.body).map(Ok)
                }
                Err(e) => Some(Err(e)),
            }
        })
    }

    /// Calls `callback` for every message, in a background task, until the task is aborted or
    /// the stream fails; the join handle gives that error. Must be called inside a Tokio
    /// runtime.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::pubsub::Sub;
    ///
    /// let sub = Sub::new(access, "weather").await?;
    /// let task = sub.on_message(|message: serde_json::Value| println!("{message}"));
    /// // ... later:
    /// task.abort();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The join handle gives the error that ended the stream (see [`stream`](Self::stream)).
    pub fn on_message<T, F>(self, callback: F) -> tokio::task::JoinHandle<Result<()>>
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(T) + Send + 'static,
    {
        tokio::spawn(async move {
            let mut stream = Box::pin(self.stream::<T>());
            while let Some(item) = stream.next().await {
                callback(item?);
            }
            debug!("pub/sub stream ended");
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_the_python_package() {
        // Values of strif.hash_string(s).base36, as Python awsimple uses them.
        assert_eq!(name_hash("test"), "jrwjerxiekdtj9k82lg930wpkr6tq6r");
        assert_eq!(name_hash("channel-a"), "mmwc0mrdd7qp2qsh5q5xx6ln3m0089p");
        assert_eq!(name_hash(""), "phoiac9h4m842xq45sp7s6u21eteeq1");
        assert_eq!(topic_name("test"), "psjrwjerxiekdtj9k82lg930wpkr6tq6r");
        assert_eq!(topic_name("mychannel"), "psqxp15vwuhr7rwp8thy85r9824upc1");
        assert_eq!(
            name_hash(&topic_name("test")),
            "rj5atefp44c77s7s26s3cpzhjyk08sr"
        );
    }

    #[test]
    fn every_name_gives_valid_topic_and_queue_names() {
        let mut short = 0;
        for i in 0..3000 {
            let channel = format!("channel {i} ünïcode/{i}");
            let hash = name_hash(&channel);
            if hash.len() < 30 {
                short += 1; // the names Python crashes on
            }
            awsimple_sns::validate_topic_name(&topic_name(&channel)).unwrap();
            awsimple_sqs::validate_queue_name(&queue_name(&channel, &channel)).unwrap();
        }
        assert!(short > 0, "the sample holds names Python cannot handle");
    }
}
