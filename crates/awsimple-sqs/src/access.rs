//! [`SqsAccess`]: one queue, its messages, and the visibility timeout.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use awsimple_core::{AwsAccess, Error, Result};
use tokio::sync::OnceCell;
use tracing::{Instrument, debug, info_span, warn};

use crate::policy;
use crate::visibility::{self, History, Visibility};

/// Largest message body, in bytes, awsimple sends by default (SQS's classic 256 KiB limit;
/// raise it with [`SqsAccessBuilder::max_message_size`] for queues configured larger).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 256 * 1024;
/// Messages per SQS batch request.
pub const BATCH_SIZE: usize = 10;
/// Longest long-poll wait SQS allows.
pub const LONG_POLL_WAIT: Duration = Duration::from_secs(20);
/// Attempts for batch entries that failed (the SDK retries whole requests on its own).
const BATCH_ENTRY_ATTEMPTS: usize = 3;
/// SendMessageBatch requests in flight at once for a standard queue.
const BATCH_CONCURRENCY: usize = 4;
/// Received-but-not-deleted messages remembered for the work-time history before old ones are
/// pruned.
const IN_FLIGHT_LIMIT: usize = 10_000;

/// Checks an SQS queue name: 1 to 80 ASCII letters, digits, `-` or `_`, plus `.fifo` at the end
/// of a FIFO queue's name (counted in the 80).
pub fn validate_queue_name(name: &str) -> Result<()> {
    let what = || format!("SQS queue name {name:?}");
    if name.is_empty() || name.len() > 80 {
        return Err(Error::invalid(what(), "must be 1 to 80 characters long"));
    }
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    if base.is_empty() {
        return Err(Error::invalid(what(), "needs a name before `.fifo`"));
    }
    if !base
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

/// Checks a message body: not empty, at most `max` bytes, and only characters SQS accepts
/// (tab, newline, carriage return, and U+0020 and up except U+FFFE and U+FFFF).
pub fn validate_body(body: &str, max: usize) -> Result<()> {
    if body.is_empty() {
        return Err(Error::invalid("SQS message body", "it is empty"));
    }
    if body.len() > max {
        return Err(Error::invalid(
            "SQS message body",
            format!("{} bytes is over the {max}-byte limit", body.len()),
        ));
    }
    if let Some(bad) = body.chars().find(|&c| {
        !(matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}'))
    }) {
        return Err(Error::invalid(
            "SQS message body",
            format!("character U+{:04X} is not allowed by SQS", u32::from(bad)),
        ));
    }
    Ok(())
}

/// A received message.
#[derive(Clone, Debug)]
pub struct Message {
    /// The body.
    pub body: String,
    /// SQS's id of the message.
    pub message_id: String,
    /// The handle to delete it or change its visibility with.
    pub receipt_handle: String,
    /// String message attributes sent with it.
    pub attributes: BTreeMap<String, String>,
    received: Instant,
    /// When SQS may hand it out again at the earliest (receive request sent + visibility
    /// timeout).
    visible_again: Instant,
}

impl Message {
    /// When this process received it.
    pub fn received_at(&self) -> Instant {
        self.received
    }

    /// The earliest moment SQS may deliver it again if it is not deleted (or its visibility
    /// changed) by then.
    pub fn visible_again_at(&self) -> Instant {
        self.visible_again
    }
}

/// What [`SqsAccess::send_batch`] did with each message: their ids in order, or the failures.
#[derive(Clone, Debug, Default)]
pub struct BatchReport {
    /// For each message sent, in input order: `Ok(message id)` or `Err(reason)` after retries.
    pub results: Vec<std::result::Result<String, String>>,
}

impl BatchReport {
    /// True when every message was sent.
    pub fn all_sent(&self) -> bool {
        self.results.iter().all(std::result::Result::is_ok)
    }

    /// Indices (into the input) and reasons of the messages not sent.
    pub fn failures(&self) -> Vec<(usize, &str)> {
        self.results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e.as_str())))
            .collect()
    }
}

/// Options of an [`SqsAccess`]; from [`SqsAccess::builder`].
#[derive(Debug)]
pub struct SqsAccessBuilder {
    access: AwsAccess,
    name: String,
    immediate_delete: bool,
    visibility_timeout: Option<Duration>,
    minimum_visibility_timeout: Option<Duration>,
    auto_create: bool,
    long_poll: bool,
    message_group_id: Option<String>,
    history_dir: Option<PathBuf>,
    max_message_size: usize,
    content_based_deduplication: bool,
}

impl SqsAccessBuilder {
    /// Delete messages as they are received (default true). With false the caller deletes
    /// them ([`SqsAccess::delete_message`]), and the receive -> delete time feeds the automatic
    /// visibility timeout.
    pub fn immediate_delete(mut self, on: bool) -> Self {
        self.immediate_delete = on;
        self
    }

    /// A fixed visibility timeout (only without immediate delete and without a minimum).
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = Some(timeout);
        self
    }

    /// The least the automatic visibility timeout may be.
    pub fn minimum_visibility_timeout(mut self, minimum: Duration) -> Self {
        self.minimum_visibility_timeout = Some(minimum);
        self
    }

    /// Create the queue when it does not exist, at the first use (default false; `send`
    /// creates it anyway, as in Python).
    pub fn auto_create(mut self, on: bool) -> Self {
        self.auto_create = on;
        self
    }

    /// Long poll: the first receive call waits up to 20 s for a message, later calls do not
    /// wait (default false).
    pub fn long_poll(mut self, on: bool) -> Self {
        self.long_poll = on;
        self
    }

    /// Message group of a FIFO queue (default `"default"`).
    pub fn message_group_id(mut self, group: impl Into<String>) -> Self {
        self.message_group_id = Some(group.into());
        self
    }

    /// Folder of the work-time history (default: the per-user data folder of awsimple).
    pub fn history_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.history_dir = Some(dir.into());
        self
    }

    /// Whether [`SqsAccess::create_queue`] turns on content-based deduplication for a FIFO
    /// queue (default true). Without it, every message sent to the queue needs a
    /// deduplication id ([`SqsAccess::send_with_deduplication_id`]).
    pub fn content_based_deduplication(mut self, on: bool) -> Self {
        self.content_based_deduplication = on;
        self
    }

    /// Largest body accepted before sending (default [`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Validates the name and the options (no request is sent).
    pub fn build(self) -> Result<SqsAccess> {
        validate_queue_name(&self.name)?;
        let what = || format!("visibility options of SQS queue {:?}", self.name);
        let visibility = match (
            self.immediate_delete,
            self.visibility_timeout,
            self.minimum_visibility_timeout,
        ) {
            (true, Some(_), _) => {
                return Err(Error::invalid(
                    what(),
                    "a visibility timeout cannot be given together with immediate delete",
                ));
            }
            (_, Some(_), Some(_)) => {
                return Err(Error::invalid(
                    what(),
                    "give either a visibility timeout or a minimum visibility timeout, not both",
                ));
            }
            (true, None, Some(_)) => {
                return Err(Error::invalid(
                    what(),
                    "a minimum visibility timeout has no effect with immediate delete",
                ));
            }
            (true, None, None) => Visibility::ImmediateDelete,
            (false, Some(timeout), None) => {
                if timeout > visibility::MAX_VISIBILITY {
                    return Err(Error::invalid(what(), "SQS allows at most 12 hours"));
                }
                Visibility::Fixed(timeout)
            }
            (false, None, minimum) => Visibility::Automatic {
                minimum: minimum.unwrap_or(Duration::ZERO),
            },
        };
        let fifo = self.name.ends_with(".fifo");
        if self.message_group_id.is_some() && !fifo {
            return Err(Error::invalid(
                what(),
                "a message group id is for FIFO queues (names ending in `.fifo`)",
            ));
        }
        let history_path = match &self.history_dir {
            Some(dir) => visibility::history_path(dir, &self.name),
            None => visibility::history_path(&awsimple_core::paths::data_dir()?, &self.name),
        };
        let history = match visibility {
            Visibility::Automatic { .. } => visibility::load(&history_path),
            _ => History::default(),
        };
        let conf = aws_sdk_sqs::config::Builder::from(self.access.sdk_config())
            .interceptor(self.access.request_counter().clone())
            .build();
        Ok(SqsAccess {
            inner: Arc::new(Inner {
                client: Client::from_conf(conf),
                resource: format!("SQS queue {:?}", self.name),
                access: self.access,
                fifo,
                group_id: self
                    .message_group_id
                    .unwrap_or_else(|| "default".to_owned()),
                name: self.name,
                immediate_delete: self.immediate_delete,
                visibility,
                auto_create: self.auto_create,
                long_poll: self.long_poll,
                max_message_size: self.max_message_size,
                content_based_deduplication: self.content_based_deduplication,
                url: Mutex::new(None),
                arn: OnceCell::new(),
                first_receive_done: std::sync::atomic::AtomicBool::new(false),
                history_path,
                state: Mutex::new(State {
                    history,
                    in_flight: HashMap::new(),
                }),
            }),
        })
    }
}

/// One SQS queue. Cheap to clone; the queue URL is looked up once per handle.
///
/// ```no_run
/// # async fn demo() -> awsimple_core::Result<()> {
/// use awsimple_sqs::SqsAccess;
///
/// let access = awsimple_core::AwsAccess::new().await?;
/// let queue = SqsAccess::new(&access, "jobs")?;
/// queue.send("render frame 7").await?;          // creates the queue when missing
/// for message in queue.receive_messages(None).await? {
///     println!("{}", message.body);              // already deleted (immediate delete)
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SqsAccess {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    access: AwsAccess,
    pub(crate) name: String,
    pub(crate) resource: String,
    pub(crate) immediate_delete: bool,
    visibility: Visibility,
    auto_create: bool,
    long_poll: bool,
    fifo: bool,
    group_id: String,
    max_message_size: usize,
    content_based_deduplication: bool,
    /// The queue URL once looked up; forgotten when the queue is deleted or found missing.
    url: Mutex<Option<String>>,
    arn: OnceCell<String>,
    pub(crate) first_receive_done: std::sync::atomic::AtomicBool,
    history_path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    history: History,
    /// Receipt handle -> when it was received (without immediate delete).
    in_flight: HashMap<String, Instant>,
}

fn string_attributes(
    attributes: Option<&HashMap<String, MessageAttributeValue>>,
) -> BTreeMap<String, String> {
    attributes
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn attribute_values(
    attributes: &BTreeMap<String, String>,
) -> Result<HashMap<String, MessageAttributeValue>> {
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
        .collect()
}

impl SqsAccess {
    /// A handle with the default options (immediate delete, no long poll).
    pub fn new(access: &AwsAccess, queue_name: impl Into<String>) -> Result<Self> {
        Self::builder(access, queue_name).build()
    }

    /// A builder for the options.
    pub fn builder(access: &AwsAccess, queue_name: impl Into<String>) -> SqsAccessBuilder {
        SqsAccessBuilder {
            access: access.clone(),
            name: queue_name.into(),
            immediate_delete: true,
            visibility_timeout: None,
            minimum_visibility_timeout: None,
            auto_create: false,
            long_poll: false,
            message_group_id: None,
            history_dir: None,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            content_based_deduplication: true,
        }
    }

    /// The queue name.
    pub fn queue_name(&self) -> &str {
        &self.inner.name
    }

    /// The SDK client, for what awsimple does not wrap.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The visibility timeout the next receive will use.
    pub fn visibility_timeout(&self) -> Duration {
        let state = self.state();
        self.inner.visibility.timeout(&state.history)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Maps an SDK error; a "queue does not exist" answer also forgets the cached URL, so the
    /// next call looks the queue up again (it may have been deleted and created anew).
    fn sdk_err<E>(
        &self,
        operation: &'static str,
    ) -> impl FnOnce(aws_sdk_sqs::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> Error + '_
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        move |e| {
            let error = Error::from_sdk(e, operation, self.inner.resource.clone());
            if error.is_not_found() {
                self.forget_url();
            }
            error
        }
    }

    fn cached_url(&self) -> Option<String> {
        self.inner
            .url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn store_url(&self, url: &str) {
        *self
            .inner
            .url
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(url.to_owned());
    }

    fn forget_url(&self) {
        if self
            .inner
            .url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some()
        {
            debug!(queue = %self.inner.name, "queue URL forgotten");
        }
    }

    /// Creates the queue (idempotent) and returns its URL. A FIFO queue (`.fifo`) gets
    /// content-based deduplication unless the builder turned it off.
    ///
    /// SQS does not let a queue be created again less than 60 s after it was deleted: that is
    /// returned at once (no waiting) as [`Error::Precondition`], whose message says so; create
    /// it again after a minute.
    pub async fn create_queue(&self) -> Result<String> {
        let mut request = self
            .inner
            .client
            .create_queue()
            .queue_name(&self.inner.name);
        if self.inner.fifo {
            request = request.attributes(QueueAttributeName::FifoQueue, "true");
            if self.inner.content_based_deduplication {
                request = request.attributes(QueueAttributeName::ContentBasedDeduplication, "true");
            }
        }
        let span = info_span!("sqs.create_queue", queue = %self.inner.name);
        let out = request.send().instrument(span).await.map_err(|e| {
            use aws_sdk_sqs::error::ProvideErrorMetadata;
            use aws_sdk_sqs::operation::create_queue::CreateQueueError;
            // The SDK models the error by its query-compatible code (an SQS response header);
            // an answer with only the JSON `__type` (some emulators) has the bare code.
            let recently = e.as_service_error().is_some_and(|s| {
                matches!(s, CreateQueueError::QueueDeletedRecently(_))
                    || s.code() == Some("QueueDeletedRecently")
            });
            if recently {
                return Error::Precondition {
                    resource: self.inner.resource.clone(),
                    message: "the queue was deleted less than 60 s ago; SQS lets it be \
                              created again after a minute"
                        .to_owned(),
                };
            }
            Error::from_sdk(e, "CreateQueue", self.inner.resource.clone())
        })?;
        let url = out.queue_url().unwrap_or_default().to_owned();
        debug!(queue = %self.inner.name, url = %url, "queue created (or it existed)");
        self.store_url(&url);
        Ok(url)
    }

    /// The queue URL: looked up once per handle (created first when `auto_create` is on), and
    /// looked up again only after the queue was deleted or found missing.
    pub async fn url(&self) -> Result<String> {
        if let Some(url) = self.cached_url() {
            return Ok(url);
        }
        debug!(queue = %self.inner.name, "queue URL not cached: looking it up");
        let span = info_span!("sqs.get_queue_url", queue = %self.inner.name);
        match self
            .inner
            .client
            .get_queue_url()
            .queue_name(&self.inner.name)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("GetQueueUrl"))
        {
            Ok(out) => {
                let url = out.queue_url().unwrap_or_default().to_owned();
                self.store_url(&url);
                Ok(url)
            }
            Err(Error::NotFound { .. }) if self.inner.auto_create => {
                debug!(queue = %self.inner.name, "auto-creating the queue");
                self.create_queue().await
            }
            Err(e) => Err(e),
        }
    }

    /// The URL, creating the queue when it does not exist (what `send` does, as in Python).
    async fn url_or_create(&self) -> Result<String> {
        match self.url().await {
            Err(Error::NotFound { .. }) => self.create_queue().await,
            other => other,
        }
    }

    /// Deletes the queue; false when it did not exist.
    pub async fn delete_queue(&self) -> Result<bool> {
        let url = match self.url().await {
            Ok(url) => url,
            Err(Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        let span = info_span!("sqs.delete_queue", queue = %self.inner.name);
        let result = self
            .inner
            .client
            .delete_queue()
            .queue_url(url)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("DeleteQueue"));
        self.forget_url();
        match result {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// True when the queue exists (asks SQS every time).
    pub async fn exists(&self) -> Result<bool> {
        let span = info_span!("sqs.get_queue_url", queue = %self.inner.name);
        match self
            .inner
            .client
            .get_queue_url()
            .queue_name(&self.inner.name)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("GetQueueUrl"))
        {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn attribute(&self, name: QueueAttributeName) -> Result<Option<String>> {
        let url = self.url().await?;
        let span = info_span!("sqs.get_queue_attributes", queue = %self.inner.name);
        let out = self
            .inner
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(name.clone())
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("GetQueueAttributes"))?;
        Ok(out.attributes().and_then(|a| a.get(&name)).cloned())
    }

    /// The queue's ARN (asked once per handle: it follows from the name).
    pub async fn arn(&self) -> Result<String> {
        self.inner
            .arn
            .get_or_try_init(|| async {
                self.attribute(QueueAttributeName::QueueArn)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("ARN of {}", self.inner.resource)))
            })
            .await
            .cloned()
    }

    /// The approximate number of visible messages.
    pub async fn approximate_message_count(&self) -> Result<u64> {
        Ok(self
            .attribute(QueueAttributeName::ApproximateNumberOfMessages)
            .await?
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Removes every message (SQS allows one purge a minute per queue).
    pub async fn purge(&self) -> Result<()> {
        let url = self.url().await?;
        let span = info_span!("sqs.purge_queue", queue = %self.inner.name);
        self.inner
            .client
            .purge_queue()
            .queue_url(url)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("PurgeQueue"))?;
        Ok(())
    }

    /// Lets `source_arn` (an SNS topic, say) send messages to this queue: a statement is
    /// MERGED into the queue's policy (others are kept; one with the same Sid is replaced).
    pub async fn add_permission(&self, source_arn: &str) -> Result<()> {
        let queue_arn = self.arn().await?;
        let statement = policy::send_message_statement(&queue_arn, source_arn)?;
        let current = self.attribute(QueueAttributeName::Policy).await?;
        let merged = policy::merge_statement(current.as_deref(), statement)?;
        let url = self.url().await?;
        let span = info_span!("sqs.set_queue_attributes", queue = %self.inner.name);
        self.inner
            .client
            .set_queue_attributes()
            .queue_url(url)
            .attributes(QueueAttributeName::Policy, merged)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("SetQueueAttributes"))?;
        Ok(())
    }

    /// The queue's access policy document, if it has one.
    pub async fn policy(&self) -> Result<Option<String>> {
        self.attribute(QueueAttributeName::Policy).await
    }

    /// Sends a message (creating the queue when it does not exist); returns its message id.
    pub async fn send(&self, body: &str) -> Result<String> {
        self.send_with_attributes(body, &BTreeMap::new()).await
    }

    /// Sends a message with string message attributes.
    pub async fn send_with_attributes(
        &self,
        body: &str,
        attributes: &BTreeMap<String, String>,
    ) -> Result<String> {
        self.send_one(body, attributes, None).await
    }

    /// Sends a message to a FIFO queue with an explicit deduplication id (1 to 128 ASCII
    /// letters, digits and punctuation): SQS drops another message with the same id sent within
    /// 5 minutes. Needed for FIFO queues without content-based deduplication.
    pub async fn send_with_deduplication_id(
        &self,
        body: &str,
        deduplication_id: &str,
    ) -> Result<String> {
        if !self.inner.fifo {
            return Err(Error::invalid(
                format!("deduplication id for {}", self.inner.resource),
                "deduplication ids are for FIFO queues (names ending in `.fifo`)",
            ));
        }
        if deduplication_id.is_empty()
            || deduplication_id.len() > 128
            || !deduplication_id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(Error::invalid(
                format!("deduplication id {deduplication_id:?}"),
                "must be 1 to 128 ASCII letters, digits or punctuation characters",
            ));
        }
        self.send_one(body, &BTreeMap::new(), Some(deduplication_id))
            .await
    }

    async fn send_one(
        &self,
        body: &str,
        attributes: &BTreeMap<String, String>,
        deduplication_id: Option<&str>,
    ) -> Result<String> {
        validate_body(body, self.inner.max_message_size)?;
        let values = attribute_values(attributes)?;
        let mut url = self.url_or_create().await?;
        let mut retried = false;
        loop {
            let mut request = self
                .inner
                .client
                .send_message()
                .queue_url(&url)
                .message_body(body)
                .set_message_attributes((!values.is_empty()).then(|| values.clone()))
                .set_message_deduplication_id(deduplication_id.map(str::to_owned));
            if self.inner.fifo {
                request = request.message_group_id(&self.inner.group_id);
            }
            let span = info_span!("sqs.send_message", queue = %self.inner.name, bytes = body.len());
            match request
                .send()
                .instrument(span)
                .await
                .map_err(self.sdk_err("SendMessage"))
            {
                Ok(out) => return Ok(out.message_id().unwrap_or_default().to_owned()),
                // The cached URL was stale (the queue was deleted since): create it and retry once.
                Err(Error::NotFound { .. }) if !retried => {
                    debug!(queue = %self.inner.name, "queue gone since its URL was looked up: creating it");
                    retried = true;
                    url = self.url_or_create().await?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends many messages: 10 per request, and fewer when 10 would pass the 256 KiB batch
    /// size; up to 4 requests at a time (one at a time for a FIFO queue, to keep the order).
    /// Entries SQS rejects through no fault of the sender are retried; what still fails is
    /// reported per message (never dropped silently). Bodies are validated before anything is
    /// sent.
    ///
    /// `Err` means nothing was sent (invalid input, the queue could not be found or created,
    /// or every request failed). After a request fails, no new request is started: its
    /// messages and the ones after it are reported as not sent, so the caller knows exactly
    /// which to send again.
    pub async fn send_batch<S: AsRef<str>>(&self, bodies: &[S]) -> Result<BatchReport> {
        use futures::StreamExt;
        use std::sync::atomic::{AtomicBool, Ordering};

        for body in bodies {
            validate_body(body.as_ref(), self.inner.max_message_size)?;
        }
        let mut report = BatchReport {
            results: vec![Err("not sent".to_owned()); bodies.len()],
        };
        if bodies.is_empty() {
            return Ok(report);
        }
        let url = self.url_or_create().await?;
        // Group indices into batches within both limits.
        let limit = self.inner.max_message_size.max(DEFAULT_MAX_MESSAGE_SIZE);
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut size = 0;
        for (i, body) in bodies.iter().enumerate() {
            let len = body.as_ref().len();
            match batches.last_mut() {
                Some(batch) if batch.len() < BATCH_SIZE && size + len <= limit => {
                    batch.push(i);
                    size += len;
                }
                _ => {
                    batches.push(vec![i]);
                    size = len;
                }
            }
        }
        let concurrency = if self.inner.fifo {
            1
        } else {
            BATCH_CONCURRENCY
        };
        let stop = AtomicBool::new(false);
        let mut outcomes = futures::stream::iter(batches)
            .map(|batch| {
                let (url, stop) = (&url, &stop);
                async move {
                    if stop.load(Ordering::SeqCst) {
                        return (Vec::new(), None);
                    }
                    let outcome = self.send_one_batch(url, bodies, batch).await;
                    if outcome.1.is_some() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    outcome
                }
            })
            .buffered(concurrency);
        let mut any_sent = false;
        let mut first_error = None;
        while let Some((results, error)) = outcomes.next().await {
            for (i, result) in results {
                any_sent |= result.is_ok();
                report.results[i] = result;
            }
            if let Some(e) = error {
                warn!(queue = %self.inner.name, error = %e, "batch send failed: the messages not sent are reported");
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) if !any_sent => Err(e),
            _ => Ok(report),
        }
    }

    /// One batch (indices into `bodies`), retrying entries that failed through no fault of the
    /// sender: the outcome of each index, and the error of a request that failed.
    async fn send_one_batch<S: AsRef<str>>(
        &self,
        url: &str,
        bodies: &[S],
        batch: Vec<usize>,
    ) -> (
        Vec<(usize, std::result::Result<String, String>)>,
        Option<Error>,
    ) {
        let mut results = Vec::with_capacity(batch.len());
        let mut pending = batch;
        for attempt in 1..=BATCH_ENTRY_ATTEMPTS {
            let entries = pending.iter().map(|&i| {
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(bodies[i].as_ref());
                if self.inner.fifo {
                    entry = entry.message_group_id(&self.inner.group_id);
                }
                entry.build()
            });
            let entries = match entries.collect::<std::result::Result<Vec<_>, _>>() {
                Ok(entries) => entries,
                Err(e) => {
                    results.extend(pending.iter().map(|&i| (i, Err(e.to_string()))));
                    return (results, None);
                }
            };
            let span = info_span!("sqs.send_message_batch", queue = %self.inner.name, entries = entries.len());
            let out = match self
                .inner
                .client
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .instrument(span)
                .await
                .map_err(self.sdk_err("SendMessageBatch"))
            {
                Ok(out) => out,
                Err(e) => {
                    let reason = format!("not sent: {e}");
                    results.extend(pending.iter().map(|&i| (i, Err(reason.clone()))));
                    return (results, Some(e));
                }
            };
            for ok in out.successful() {
                if let Ok(i) = ok.id().parse::<usize>() {
                    results.push((i, Ok(ok.message_id().to_owned())));
                }
            }
            let mut retry = Vec::new();
            for failed in out.failed() {
                let Ok(i) = failed.id().parse::<usize>() else {
                    continue;
                };
                if failed.sender_fault() || attempt == BATCH_ENTRY_ATTEMPTS {
                    let reason = format!(
                        "{}: {}",
                        failed.code(),
                        failed.message().unwrap_or_default()
                    );
                    results.push((i, Err(reason)));
                } else {
                    retry.push(i);
                }
            }
            if retry.is_empty() {
                break;
            }
            warn!(queue = %self.inner.name, failed = retry.len(), attempt, "batch entries failed: retrying");
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            pending = retry;
        }
        (results, None)
    }

    /// One receive call: up to `max` (1..=10) messages, waiting up to `wait`.
    async fn receive_once(&self, url: &str, max: usize, wait: Duration) -> Result<Vec<Message>> {
        let timeout = self.visibility_timeout();
        let sent = Instant::now();
        let span = info_span!("sqs.receive_message", queue = %self.inner.name, max, wait_s = wait.as_secs());
        let out = self
            .inner
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, BATCH_SIZE) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .visibility_timeout(timeout.as_secs() as i32)
            .message_attribute_names("All")
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("ReceiveMessage"))?;
        let now = Instant::now();
        let messages: Vec<Message> = out
            .messages()
            .iter()
            .map(|m| Message {
                body: m.body().unwrap_or_default().to_owned(),
                message_id: m.message_id().unwrap_or_default().to_owned(),
                receipt_handle: m.receipt_handle().unwrap_or_default().to_owned(),
                attributes: string_attributes(m.message_attributes()),
                received: now,
                visible_again: sent + timeout,
            })
            .collect();
        if !self.inner.immediate_delete && !messages.is_empty() {
            let mut state = self.state();
            if state.in_flight.len() > IN_FLIGHT_LIMIT {
                // Messages never deleted (abandoned, or deleted through another handle).
                state
                    .in_flight
                    .retain(|_, received| received.elapsed() < visibility::MAX_VISIBILITY);
            }
            for m in &messages {
                state.in_flight.insert(m.receipt_handle.clone(), now);
            }
        }
        Ok(messages)
    }

    /// How long the next receive call may wait: up to 20 s on the first call of a long-poll
    /// handle, no wait afterwards.
    fn next_wait(&self) -> Duration {
        use std::sync::atomic::Ordering;
        if self.inner.long_poll && !self.inner.first_receive_done.swap(true, Ordering::SeqCst) {
            LONG_POLL_WAIT
        } else {
            Duration::ZERO
        }
    }

    /// One message, or none when the queue has none (waits on the first call of a long-poll
    /// handle). With immediate delete it is deleted before it is returned.
    pub async fn receive_message(&self) -> Result<Option<Message>> {
        Ok(self.receive_messages(Some(1)).await?.into_iter().next())
    }

    /// Messages until `max` (all when `None`) or until a receive call returns none; more than
    /// 10 takes several calls. With immediate delete, each call's messages are deleted with one
    /// DeleteMessageBatch. A failure after some messages were received (and deleted) returns
    /// those messages rather than losing them; the error is logged.
    pub async fn receive_messages(&self, max: Option<usize>) -> Result<Vec<Message>> {
        let url = self.url().await?;
        let mut received: Vec<Message> = Vec::new();
        loop {
            let want = max.map_or(BATCH_SIZE, |m| {
                m.saturating_sub(received.len()).min(BATCH_SIZE)
            });
            if want == 0 {
                break;
            }
            let batch = match self.receive_once(&url, want, self.next_wait()).await {
                Ok(batch) => batch,
                Err(e) if !received.is_empty() => {
                    warn!(queue = %self.inner.name, error = %e, "receive failed: returning what was received");
                    break;
                }
                Err(e) => return Err(e),
            };
            if batch.is_empty() {
                break;
            }
            if self.inner.immediate_delete {
                // Before the next receive call, not along with it: a FIFO queue holds back a
                // group's later messages while earlier ones are in flight, so that call would
                // come back empty and end the loop early.
                let not_deleted = self.delete_batch(&url, &batch).await;
                if !not_deleted.is_empty() {
                    // Not lost: they come back after the visibility timeout (at least once).
                    let e = self.not_deleted_error(batch.len(), &not_deleted);
                    warn!(queue = %self.inner.name, error = %e, "immediate delete failed: those messages will be delivered again");
                }
            }
            received.extend(batch);
        }
        Ok(received)
    }

    /// Deletes messages with DeleteMessageBatch, 10 per request. Entries failing through no
    /// fault of the request are retried; a request that fails does not stop the other chunks.
    /// Returns the indices (into `messages`) not deleted, with the reason of each.
    async fn delete_batch(&self, url: &str, messages: &[Message]) -> Vec<(usize, String)> {
        let mut not_deleted = Vec::new();
        for (chunk_index, chunk) in messages.chunks(BATCH_SIZE).enumerate() {
            // Indices into `messages` still to delete.
            let mut pending: Vec<usize> =
                (chunk_index * BATCH_SIZE..chunk_index * BATCH_SIZE + chunk.len()).collect();
            for attempt in 1..=BATCH_ENTRY_ATTEMPTS {
                let entries = pending.iter().map(|&i| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(&messages[i].receipt_handle)
                        .build()
                });
                let entries = match entries.collect::<std::result::Result<Vec<_>, _>>() {
                    Ok(entries) => entries,
                    Err(e) => {
                        not_deleted.extend(pending.drain(..).map(|i| (i, e.to_string())));
                        break;
                    }
                };
                let span = info_span!("sqs.delete_message_batch", queue = %self.inner.name, entries = entries.len());
                let out = match self
                    .inner
                    .client
                    .delete_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries))
                    .send()
                    .instrument(span)
                    .await
                    .map_err(self.sdk_err("DeleteMessageBatch"))
                {
                    Ok(out) => out,
                    Err(e) => {
                        let reason = e.to_string();
                        not_deleted.extend(pending.drain(..).map(|i| (i, reason.clone())));
                        break;
                    }
                };
                let mut retry = Vec::new();
                for failed in out.failed() {
                    let Some(i) = failed
                        .id()
                        .parse::<usize>()
                        .ok()
                        .filter(|i| pending.contains(i))
                    else {
                        continue;
                    };
                    let reason = format!(
                        "{}: {}",
                        failed.code(),
                        failed.message().unwrap_or_default()
                    );
                    if failed.sender_fault() || attempt == BATCH_ENTRY_ATTEMPTS {
                        // An expired receipt handle, say: retrying would not help.
                        not_deleted.push((i, reason));
                    } else {
                        retry.push(i);
                    }
                }
                if retry.is_empty() {
                    break;
                }
                warn!(queue = %self.inner.name, failed = retry.len(), attempt, "batch delete entries failed: retrying");
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                pending = retry;
            }
        }
        not_deleted
    }

    /// The error for messages a batch delete left behind.
    fn not_deleted_error(&self, total: usize, not_deleted: &[(usize, String)]) -> Error {
        let reasons: BTreeSet<&str> = not_deleted.iter().map(|(_, r)| r.as_str()).collect();
        Error::Service {
            resource: self.inner.resource.clone(),
            operation: "DeleteMessageBatch",
            code: "BatchEntriesFailed".to_owned(),
            message: format!(
                "{} of {total} messages could not be deleted: {}",
                not_deleted.len(),
                reasons.into_iter().collect::<Vec<_>>().join("; ")
            ),
            status: None,
            request_id: None,
        }
    }

    fn record_work(&self, messages: &[Message]) {
        if !matches!(self.inner.visibility, Visibility::Automatic { .. }) {
            return;
        }
        let history = {
            let mut state = self.state();
            for m in messages {
                if let Some(received) = state.in_flight.remove(&m.receipt_handle) {
                    state.history.record(received.elapsed());
                }
            }
            state.history.clone()
        };
        visibility::save(&self.inner.history_path, &history);
    }

    /// Deletes a message the caller has finished with (without immediate delete); its work
    /// time goes into the history of the automatic visibility timeout.
    pub async fn delete_message(&self, message: &Message) -> Result<()> {
        let url = self.url().await?;
        let span = info_span!("sqs.delete_message", queue = %self.inner.name);
        self.inner
            .client
            .delete_message()
            .queue_url(url)
            .receipt_handle(&message.receipt_handle)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("DeleteMessage"))?;
        self.record_work(std::slice::from_ref(message));
        Ok(())
    }

    /// Deletes many messages, 10 per DeleteMessageBatch request. When some cannot be deleted
    /// (an expired receipt handle, a failed request), the others still are, and the error says
    /// how many and why.
    pub async fn delete_messages(&self, messages: &[Message]) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let url = self.url().await?;
        let not_deleted = self.delete_batch(&url, messages).await;
        let failed: BTreeSet<usize> = not_deleted.iter().map(|(i, _)| *i).collect();
        let deleted: Vec<Message> = messages
            .iter()
            .enumerate()
            .filter(|(i, _)| !failed.contains(i))
            .map(|(_, m)| m.clone())
            .collect();
        self.record_work(&deleted);
        if not_deleted.is_empty() {
            Ok(())
        } else {
            Err(self.not_deleted_error(messages.len(), &not_deleted))
        }
    }

    /// Changes how long a received message stays invisible (0 makes it visible again now).
    pub async fn change_visibility(&self, message: &Message, timeout: Duration) -> Result<()> {
        if timeout > visibility::MAX_VISIBILITY {
            return Err(Error::invalid(
                "visibility timeout",
                "SQS allows at most 12 hours",
            ));
        }
        let url = self.url().await?;
        let span = info_span!("sqs.change_message_visibility", queue = %self.inner.name);
        self.inner
            .client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(&message.receipt_handle)
            .visibility_timeout(timeout.as_secs() as i32)
            .send()
            .instrument(span)
            .await
            .map_err(self.sdk_err("ChangeMessageVisibility"))?;
        Ok(())
    }

    /// Names of the queues whose names start with `prefix`, across every page, sorted.
    pub async fn queue_names(access: &AwsAccess, prefix: &str) -> Result<Vec<String>> {
        let conf = aws_sdk_sqs::config::Builder::from(access.sdk_config())
            .interceptor(access.request_counter().clone())
            .build();
        let client = Client::from_conf(conf);
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let span = info_span!("sqs.list_queues", prefix);
            let out = client
                .list_queues()
                .queue_name_prefix(prefix)
                .max_results(1000)
                .set_next_token(token.take())
                .send()
                .instrument(span)
                .await
                .map_err(|e| Error::from_sdk(e, "ListQueues", format!("SQS queues {prefix:?}*")))?;
            names.extend(
                out.queue_urls()
                    .iter()
                    .filter_map(|url| url.rsplit('/').next().map(str::to_owned)),
            );
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        names.sort();
        Ok(names)
    }

    pub(crate) async fn url_for_stream(&self) -> Result<String> {
        self.url().await
    }

    pub(crate) async fn receive_for_stream(&self, url: &str) -> Result<Vec<Message>> {
        self.receive_once(url, BATCH_SIZE, LONG_POLL_WAIT).await
    }

    /// Deletes for the stream; returns how many could not be deleted (logged).
    pub(crate) async fn delete_for_stream(&self, url: &str, messages: &[Message]) -> usize {
        let not_deleted = self.delete_batch(url, messages).await;
        if !not_deleted.is_empty() {
            let e = self.not_deleted_error(messages.len(), &not_deleted);
            warn!(queue = %self.inner.name, error = %e, "stream: could not delete handed-over messages; they will be delivered again");
        }
        not_deleted.len()
    }

    /// The access this handle was made from.
    pub fn access(&self) -> &AwsAccess {
        &self.inner.access
    }
}
