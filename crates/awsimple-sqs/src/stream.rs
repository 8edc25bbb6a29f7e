//! A `Stream` of messages for long-running consumers.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use awsimple_core::{Backoff, BackoffConfig, Result};
use futures::Stream;
use tracing::{debug, warn};

use crate::access::SqsAccess;
use crate::message::Message;
use crate::names::{BATCH_SIZE, LONG_POLL_WAIT};

/// The pauses after transient errors: from 100 ms, growing with jitter up to 30 s, for as long
/// as the errors last; a new backoff starts after every successful receive.
fn outage_backoff() -> Backoff {
    BackoffConfig::default()
        .with_delays(Duration::from_millis(100), Duration::from_secs(30))
        .with_max_attempts(u32::MAX)
        .start()
}
/// A buffered message this close to becoming visible again is not handed over: another
/// consumer may be about to receive it.
const SAFETY_MARGIN: Duration = Duration::from_secs(1);

struct Consumer {
    sqs: SqsAccess,
    url: Option<String>,
    /// Received, not handed over yet.
    ready: VecDeque<Message>,
    /// Handed over, to delete (immediate delete only).
    handed_over: Vec<Message>,
    backoff: Backoff,
    done: bool,
}

impl SqsAccess {
    /// Messages as they arrive, forever: long polls (20 s, 10 messages at a time), backing off
    /// on transient errors (throttling, timeouts, unreachable endpoint, 5xx) and going on. A
    /// non-transient error is yielded and ends the stream.
    ///
    /// With immediate delete, a message is deleted only after it was handed over: when the
    /// caller asks for the next message (together with the others handed over, in one
    /// DeleteMessageBatch, before the next poll or once half their visibility timeout has
    /// passed), or when the stream is dropped (in a background task). A crash in between means
    /// the message is delivered again, never lost. A consumer that works longer than the 30 s
    /// immediate-delete visibility timeout on one message should turn immediate delete off and
    /// delete each message when done.
    ///
    /// Buffered messages whose visibility timeout is about to end are not handed over (SQS
    /// delivers them again), so a message is not worked on twice at the same time.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sqs::AwsAccess) -> awsimple_sqs::Result<()> {
    /// use awsimple_sqs::SqsAccess;
    /// use futures::StreamExt;
    ///
    /// let jobs = SqsAccess::new(access, "jobs")?;
    /// let mut messages = jobs.messages();
    /// while let Some(message) = messages.next().await {
    ///     let message = message?; // a non-transient error ends the stream
    ///     println!("{}", message.body);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The stream yields one `Err` for an error that is not transient
    /// ([`Error::NotFound`](crate::Error::NotFound) for a missing queue without auto create,
    /// [`Error::PermissionDenied`](crate::Error::PermissionDenied), bad credentials) and then
    /// ends; transient errors are retried with backoff, never yielded.
    pub fn messages(&self) -> impl Stream<Item = Result<Message>> + Send + Unpin + 'static {
        let consumer = Consumer {
            sqs: self.clone(),
            url: None,
            ready: VecDeque::new(),
            handed_over: Vec::new(),
            backoff: outage_backoff(),
            done: false,
        };
        Box::pin(futures::stream::unfold(consumer, |mut c| async move {
            loop {
                if c.done {
                    return None;
                }
                let now = Instant::now();
                if c.handed_over.iter().any(|m| half_gone(m, now)) {
                    c.delete_handed_over().await;
                }
                while let Some(message) = c.ready.pop_front() {
                    if message.visible_again_at() <= now + SAFETY_MARGIN {
                        debug!(queue = %c.sqs.queue_name(), id = %message.message_id, "buffered message about to become visible again: left to SQS");
                        continue;
                    }
                    if c.sqs.inner.immediate_delete {
                        c.handed_over.push(message.clone());
                    }
                    return Some((Ok(message), c));
                }
                let url = match &c.url {
                    Some(url) => url.clone(),
                    None => match c.sqs.url().await {
                        Ok(url) => {
                            c.url = Some(url.clone());
                            url
                        }
                        Err(e) if e.is_transient() => {
                            c.pause(&e).await;
                            continue;
                        }
                        Err(e) => {
                            c.done = true;
                            return Some((Err(e), c));
                        }
                    },
                };
                // Nothing buffered: delete what was handed over before polling again.
                if !c.handed_over.is_empty() {
                    c.delete_handed_over().await;
                }
                match c.sqs.receive_once(&url, BATCH_SIZE, LONG_POLL_WAIT).await {
                    Ok(batch) => {
                        c.backoff = outage_backoff();
                        c.ready.extend(batch);
                    }
                    Err(e) if e.is_transient() => c.pause(&e).await,
                    Err(e) => {
                        c.done = true;
                        return Some((Err(e), c));
                    }
                }
            }
        }))
    }
}

/// True once half of the message's visibility timeout has passed.
fn half_gone(message: &Message, now: Instant) -> bool {
    let window = message
        .visible_again_at()
        .saturating_duration_since(message.received_at());
    now >= message.received_at() + window / 2
}

impl Consumer {
    async fn pause(&mut self, error: &awsimple_core::Error) {
        warn!(queue = %self.sqs.queue_name(), error = %error, attempt = self.backoff.attempt(), "transient error: backing off");
        self.backoff.wait().await;
    }

    async fn delete_handed_over(&mut self) {
        let Some(url) = &self.url else {
            return;
        };
        let messages = std::mem::take(&mut self.handed_over);
        // Failures are logged there: those messages will be delivered again.
        self.sqs.delete_for_stream(url, &messages).await;
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        if self.handed_over.is_empty() {
            return;
        }
        let (Some(url), Ok(runtime)) = (self.url.take(), tokio::runtime::Handle::try_current())
        else {
            warn!(queue = %self.sqs.queue_name(), count = self.handed_over.len(), "stream dropped outside a runtime: its last messages will be delivered again");
            return;
        };
        let sqs = self.sqs.clone();
        let messages = std::mem::take(&mut self.handed_over);
        debug!(queue = %sqs.queue_name(), count = messages.len(), "stream dropped: deleting the messages it handed over");
        runtime.spawn(async move {
            sqs.delete_for_stream(&url, &messages).await;
        });
    }
}
