//! Sending: one message, with attributes or a deduplication id, and batches.

use std::borrow::Cow;
use std::collections::HashMap;

use aws_sdk_sqs::types::{
    BatchResultErrorEntry, MessageAttributeValue, SendMessageBatchRequestEntry,
};
use awsimple_core::{BackoffConfig, BatchReport, EntryFailure, Error, MessageAttributes, Result};
use tracing::{debug, warn};

use crate::access::SqsAccess;
use crate::message::attribute_values;
use crate::names::{BATCH_SIZE, DEFAULT_MAX_MESSAGE_SIZE};

/// Attempts for batch entries that failed (the SDK retries whole requests on its own).
pub(crate) const BATCH_ENTRY_ATTEMPTS: u32 = 3;
/// SendMessageBatch requests in flight at once for a standard queue.
const BATCH_CONCURRENCY: usize = 4;

impl SqsAccess {
    /// Sends a message (creating the queue when it does not exist); returns its message id.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sqs::AwsAccess) -> awsimple_sqs::Result<()> {
    /// use awsimple_sqs::SqsAccess;
    ///
    /// let jobs = SqsAccess::new(access, "jobs")?;
    /// let id = jobs.send("render frame 7").await?;
    /// # let _ = id; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`], before any request, for an empty body, one over the handle's
    /// message size limit or with characters SQS does not take; [`Error::Precondition`] when the
    /// queue was deleted less than 60 s ago and has to be created again;
    /// [`Error::PermissionDenied`] without `sqs:SendMessage`; and the errors every call can have (credentials, throttling, connection,
    /// timeout).
    pub async fn send(&self, body: &str) -> Result<String> {
        self.send_one(body, &MessageAttributes::new(), None).await
    }

    /// Sends a message with message attributes (strings, numbers, bytes; at most 10). The
    /// body and the attributes together must fit the message size limit.
    pub async fn send_with_attributes(
        &self,
        body: &str,
        attributes: &MessageAttributes,
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
        self.send_one(body, &MessageAttributes::new(), Some(deduplication_id))
            .await
    }

    async fn send_one(
        &self,
        body: &str,
        attributes: &MessageAttributes,
        deduplication_id: Option<&str>,
    ) -> Result<String> {
        let (mut values, attributes_size) = attribute_values(attributes)?;
        let body = self.outgoing(body, attributes_size, &mut values).await?;
        let mut url = self.url_or_create().await?;
        let mut retried = false;
        loop {
            let mut request = self
                .inner
                .client
                .send_message()
                .queue_url(&url)
                .message_body(body.as_ref())
                .set_message_attributes((!values.is_empty()).then(|| values.clone()))
                .set_message_deduplication_id(deduplication_id.map(str::to_owned));
            if self.inner.fifo {
                request = request.message_group_id(&self.inner.group_id);
            }
            match self.call("SendMessage", request.send()).await {
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
    ///
    /// ```no_run
    /// # async fn demo(jobs: &awsimple_sqs::SqsAccess) -> awsimple_sqs::Result<()> {
    /// let report = jobs.send_batch(&["frame 8", "frame 9", "frame 10"]).await?;
    /// for (index, failure) in report.failures() {
    ///     eprintln!("frame message {index} not sent: {failure:?}");
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request when a body is invalid; otherwise the error
    /// that kept every message from being sent (the queue could not be found or created, the
    /// first request failed).
    pub async fn send_batch<S: AsRef<str>>(&self, bodies: &[S]) -> Result<BatchReport> {
        use futures::StreamExt;
        use std::sync::atomic::{AtomicBool, Ordering};

        for body in bodies {
            self.validate_outgoing(body.as_ref())?;
        }
        let mut report = BatchReport {
            results: vec![Err(not_sent("the batch was not attempted")); bodies.len()],
        };
        if bodies.is_empty() {
            return Ok(report);
        }
        let url = self.url_or_create().await?;
        // Each body on its own: offloaded to S3 when configured and needed.
        let mut prepared: Vec<Outgoing<'_>> = Vec::with_capacity(bodies.len());
        for body in bodies {
            let mut values = HashMap::new();
            let body = self.outgoing(body.as_ref(), 0, &mut values).await?;
            prepared.push((body, values));
        }
        let bodies = &prepared;
        // Group indices into batches within both limits.
        let limit = self.inner.max_message_size.max(DEFAULT_MAX_MESSAGE_SIZE);
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut size = 0;
        for (i, body) in bodies.iter().enumerate() {
            let len = body.0.len() + outgoing_attribute_bytes(&body.1);
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
    async fn send_one_batch(
        &self,
        url: &str,
        bodies: &[Outgoing<'_>],
        batch: Vec<usize>,
    ) -> (
        Vec<(usize, std::result::Result<String, EntryFailure>)>,
        Option<Error>,
    ) {
        let mut results = Vec::with_capacity(batch.len());
        let mut pending = batch;
        let mut backoff = BackoffConfig::default()
            .with_max_attempts(BATCH_ENTRY_ATTEMPTS)
            .start();
        loop {
            let entries = pending.iter().map(|&i| {
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(bodies[i].0.as_ref())
                    .set_message_attributes((!bodies[i].1.is_empty()).then(|| bodies[i].1.clone()));
                if self.inner.fifo {
                    entry = entry.message_group_id(&self.inner.group_id);
                }
                entry.build()
            });
            let entries = match entries.collect::<std::result::Result<Vec<_>, _>>() {
                Ok(entries) => entries,
                Err(e) => {
                    results.extend(pending.iter().map(|&i| (i, Err(not_sent(&e.to_string())))));
                    return (results, None);
                }
            };
            let request = self
                .inner
                .client
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries));
            let out = match self.call("SendMessageBatch", request.send()).await {
                Ok(out) => out,
                Err(e) => {
                    let failure = not_sent(&e.to_string());
                    results.extend(pending.iter().map(|&i| (i, Err(failure.clone()))));
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
                if failed.sender_fault() {
                    results.push((i, Err(entry_failure(failed))));
                } else {
                    retry.push((i, entry_failure(failed)));
                }
            }
            if retry.is_empty() {
                break;
            }
            warn!(queue = %self.inner.name, failed = retry.len(), attempt = backoff.attempt(), "batch entries failed: retrying");
            if !backoff.wait().await {
                results.extend(retry.into_iter().map(|(i, failure)| (i, Err(failure))));
                break;
            }
            pending = retry.into_iter().map(|(i, _)| i).collect();
        }
        (results, None)
    }
}

/// A body ready to send, with its message attributes.
type Outgoing<'a> = (Cow<'a, str>, HashMap<String, MessageAttributeValue>);

/// The bytes the attributes of an outgoing entry add (names, data types, values).
fn outgoing_attribute_bytes(values: &HashMap<String, MessageAttributeValue>) -> usize {
    values
        .iter()
        .map(|(name, value)| {
            name.len()
                + value.data_type().len()
                + value.string_value().map_or(0, str::len)
                + value.binary_value().map_or(0, |b| b.as_ref().len())
        })
        .sum()
}

/// The failure of an entry the library did not get an answer for.
fn not_sent(reason: &str) -> EntryFailure {
    EntryFailure {
        code: "NotSent".to_owned(),
        message: reason.to_owned(),
        sender_fault: false,
    }
}

/// A failed entry of a batch answer, as SQS said it.
pub(crate) fn entry_failure(failed: &BatchResultErrorEntry) -> EntryFailure {
    EntryFailure {
        code: failed.code().to_owned(),
        message: failed.message().unwrap_or_default().to_owned(),
        sender_fault: failed.sender_fault(),
    }
}
