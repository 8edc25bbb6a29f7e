//! A `Stream` of messages for long-running consumers.

use std::time::Duration;

use awsimple_core::Result;
use futures::Stream;
use tracing::warn;

use crate::access::{Message, SqsAccess};

/// Longest pause between retries after transient errors.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

struct Consumer {
    sqs: SqsAccess,
    url: Option<String>,
    ready: std::collections::VecDeque<Message>,
    handed_over: Vec<Message>,
    backoff: Duration,
    done: bool,
}

impl SqsAccess {
    /// Messages as they arrive, forever: long polls (20 s), backing off on transient errors
    /// (throttling, timeouts, unreachable endpoint, 5xx) and going on. A non-transient error is
    /// yielded and ends the stream.
    ///
    /// With immediate delete, a message is deleted only after it was handed to the caller (the
    /// messages of one poll are deleted together, before the next poll): a crash in between
    /// means the message is delivered again, never lost.
    pub fn messages(&self) -> impl Stream<Item = Result<Message>> + Send + 'static {
        let consumer = Consumer {
            sqs: self.clone(),
            url: None,
            ready: Default::default(),
            handed_over: Vec::new(),
            backoff: Duration::from_millis(100),
            done: false,
        };
        futures::stream::unfold(consumer, |mut c| async move {
            loop {
                if c.done {
                    return None;
                }
                if let Some(message) = c.ready.pop_front() {
                    if c.sqs.inner.immediate_delete {
                        c.handed_over.push(message.clone());
                    }
                    return Some((Ok(message), c));
                }
                let url = match &c.url {
                    Some(url) => url.clone(),
                    None => match c.sqs.url_for_stream().await {
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
                if !c.handed_over.is_empty() {
                    match c.sqs.delete_for_stream(&url, &c.handed_over).await {
                        Ok(()) => c.handed_over.clear(),
                        Err(e) => {
                            warn!(queue = %c.sqs.queue_name(), error = %e, "could not delete handed-over messages: they will be delivered again");
                            c.handed_over.clear();
                        }
                    }
                }
                match c.sqs.receive_for_stream(&url).await {
                    Ok(batch) => {
                        c.backoff = Duration::from_millis(100);
                        c.ready.extend(batch);
                    }
                    Err(e) if e.is_transient() => c.pause(&e).await,
                    Err(e) => {
                        c.done = true;
                        return Some((Err(e), c));
                    }
                }
            }
        })
    }
}

impl Consumer {
    async fn pause(&mut self, error: &awsimple_core::Error) {
        warn!(queue = %self.sqs.queue_name(), error = %error, backoff = ?self.backoff, "transient error: backing off");
        tokio::time::sleep(self.backoff).await;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }
}
