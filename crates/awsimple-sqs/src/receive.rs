//! Receiving, deleting and changing the visibility of messages; the work-time history.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName,
};
use awsimple_core::{BackoffConfig, EntryFailure, Error, Result};
use tracing::warn;

use crate::access::SqsAccess;
use crate::message::{Message, received_attributes};
use crate::names::{BATCH_SIZE, LONG_POLL_WAIT};
use crate::offload::sqs_receipt_handle;
use crate::send::{BATCH_ENTRY_ATTEMPTS, entry_failure};
use crate::visibility::{self, Visibility};

/// Received-but-not-deleted messages remembered for the work-time history before old ones are
/// pruned.
const IN_FLIGHT_LIMIT: usize = 10_000;

impl SqsAccess {
    /// One receive call: up to `max` (1..=10) messages, waiting up to `wait`.
    pub(crate) async fn receive_once(
        &self,
        url: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Message>> {
        let timeout = self.visibility_timeout();
        let sent = Instant::now();
        let request = self
            .inner
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, BATCH_SIZE) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .visibility_timeout(timeout.as_secs() as i32)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId);
        let out = self.call("ReceiveMessage", request.send()).await?;
        let now = Instant::now();
        let mut messages: Vec<Message> = out
            .messages()
            .iter()
            .map(|m| Message {
                body: m.body().unwrap_or_default().to_owned(),
                message_id: m.message_id().unwrap_or_default().to_owned(),
                receipt_handle: m.receipt_handle().unwrap_or_default().to_owned(),
                attributes: received_attributes(m.message_attributes()),
                group_id: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                    .cloned(),
                receive_count: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
                received: now,
                visible_again: sent + timeout,
                offloaded: None,
            })
            .collect();
        self.fetch_payloads(&mut messages).await?;
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

    /// How long a receive call may wait: a long-poll handle waits up to 20 s for the first
    /// message of every `receive_*` call (as Python does); once a call has messages, it only
    /// collects what is there.
    fn wait_for(&self, received_so_far: usize) -> Duration {
        if self.inner.long_poll && received_so_far == 0 {
            LONG_POLL_WAIT
        } else {
            Duration::ZERO
        }
    }

    /// One message, or none when the queue has none (a long-poll handle waits up to 20 s for
    /// it). With immediate delete it is deleted before it is returned.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sqs::AwsAccess) -> awsimple_sqs::Result<()> {
    /// use awsimple_sqs::SqsAccess;
    ///
    /// let worker = SqsAccess::builder(access, "jobs").long_poll(true).build()?;
    /// match worker.receive_message().await? {
    ///     Some(job) => println!("working on {}", job.body), // already deleted
    ///     None => println!("nothing to do for 20 s"),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`receive_messages`](Self::receive_messages).
    pub async fn receive_message(&self) -> Result<Option<Message>> {
        Ok(self.receive_messages(Some(1)).await?.into_iter().next())
    }

    /// Messages until `max` (all when `None`) or until a receive call returns none; more than
    /// 10 takes several calls. With immediate delete, each call's messages are deleted with one
    /// DeleteMessageBatch. A failure after some messages were received (and deleted) returns
    /// those messages rather than losing them; the error is logged.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sqs::AwsAccess) -> awsimple_sqs::Result<()> {
    /// use awsimple_sqs::SqsAccess;
    ///
    /// // Delete each message when its work is done (a crash means it is delivered again).
    /// let worker = SqsAccess::builder(access, "jobs").immediate_delete(false).build()?;
    /// let jobs = worker.receive_messages(Some(25)).await?; // three ReceiveMessage calls at most
    /// for job in &jobs {
    ///     println!("working on {}", job.body);
    ///     worker.delete_message(job).await?;
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::NotFound`] when the queue does not exist (unless the handle creates it:
    /// `auto_create`); [`Error::PermissionDenied`] without `sqs:ReceiveMessage` (or
    /// `sqs:DeleteMessage` with immediate delete); and the errors every call can have (credentials, throttling, connection,
    /// timeout), when no
    /// message was received before it.
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
            let batch = match self
                .receive_once(&url, want, self.wait_for(received.len()))
                .await
            {
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
    pub(crate) async fn delete_batch(
        &self,
        url: &str,
        messages: &[Message],
    ) -> Vec<(usize, EntryFailure)> {
        let mut not_deleted = Vec::new();
        for (chunk_index, chunk) in messages.chunks(BATCH_SIZE).enumerate() {
            // Indices into `messages` still to delete.
            let mut pending: Vec<usize> =
                (chunk_index * BATCH_SIZE..chunk_index * BATCH_SIZE + chunk.len()).collect();
            let mut backoff = BackoffConfig::default()
                .with_max_attempts(BATCH_ENTRY_ATTEMPTS)
                .start();
            loop {
                let entries = pending.iter().map(|&i| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(sqs_receipt_handle(&messages[i].receipt_handle))
                        .build()
                });
                let entries = match entries.collect::<std::result::Result<Vec<_>, _>>() {
                    Ok(entries) => entries,
                    Err(e) => {
                        let failure = not_attempted(&e.to_string());
                        not_deleted.extend(pending.drain(..).map(|i| (i, failure.clone())));
                        break;
                    }
                };
                let request = self
                    .inner
                    .client
                    .delete_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries));
                let out = match self.call("DeleteMessageBatch", request.send()).await {
                    Ok(out) => out,
                    Err(e) => {
                        let failure = not_attempted(&e.to_string());
                        not_deleted.extend(pending.drain(..).map(|i| (i, failure.clone())));
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
                    if failed.sender_fault() {
                        // An expired receipt handle, say: retrying would not help.
                        not_deleted.push((i, entry_failure(failed)));
                    } else {
                        retry.push((i, entry_failure(failed)));
                    }
                }
                if retry.is_empty() {
                    break;
                }
                warn!(queue = %self.inner.name, failed = retry.len(), attempt = backoff.attempt(), "batch delete entries failed: retrying");
                if !backoff.wait().await {
                    not_deleted.extend(retry);
                    break;
                }
                pending = retry.into_iter().map(|(i, _)| i).collect();
            }
        }
        let failed: BTreeSet<usize> = not_deleted.iter().map(|(i, _)| *i).collect();
        let deleted: Vec<&Message> = (messages.iter().enumerate())
            .filter(|(i, m)| !failed.contains(i) && m.offloaded().is_some())
            .map(|(_, m)| m)
            .collect();
        // Failures are logged; the messages themselves are gone.
        let _ = self.delete_payloads(&deleted).await;
        not_deleted
    }

    /// The error for messages a batch delete left behind.
    fn not_deleted_error(&self, total: usize, not_deleted: &[(usize, EntryFailure)]) -> Error {
        let reasons: BTreeSet<String> = not_deleted.iter().map(|(_, f)| f.to_string()).collect();
        Error::other(format!(
            "DeleteMessageBatch on {}: {} of {total} messages could not be deleted: {}",
            self.inner.resource,
            not_deleted.len(),
            reasons.into_iter().collect::<Vec<_>>().join("; ")
        ))
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
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_sqs::AwsAccess) -> awsimple_sqs::Result<()> {
    /// use awsimple_sqs::SqsAccess;
    ///
    /// let worker = SqsAccess::builder(access, "jobs").immediate_delete(false).build()?;
    /// while let Some(job) = worker.receive_message().await? {
    ///     println!("working on {}", job.body);
    ///     worker.delete_message(&job).await?; // done: it is not delivered again
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Service`] (AWS code `ReceiptHandleIsInvalid`) when SQS refuses the receipt
    /// handle (not one of this queue's); [`Error::NotFound`] when the queue is gone; and the
    /// errors every call can have (credentials, throttling, connection, timeout).
    pub async fn delete_message(&self, message: &Message) -> Result<()> {
        let url = self.url().await?;
        let request = self
            .inner
            .client
            .delete_message()
            .queue_url(url)
            .receipt_handle(sqs_receipt_handle(&message.receipt_handle));
        self.call("DeleteMessage", request.send()).await?;
        self.record_work(std::slice::from_ref(message));
        self.delete_payloads(&[message]).await
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
        let request = self
            .inner
            .client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(sqs_receipt_handle(&message.receipt_handle))
            .visibility_timeout(timeout.as_secs() as i32);
        self.call("ChangeMessageVisibility", request.send()).await?;
        Ok(())
    }

    /// Work times measured by the worker (handler start -> end) for messages it deleted.
    pub(crate) fn record_work_times(&self, done: &[(&Message, Duration)]) {
        let history = {
            let mut state = self.state();
            for (m, _) in done {
                state.in_flight.remove(&m.receipt_handle);
            }
            if !matches!(self.inner.visibility, Visibility::Automatic { .. }) || done.is_empty() {
                return;
            }
            for (_, work) in done {
                state.history.record(*work);
            }
            state.history.clone()
        };
        visibility::save(&self.inner.history_path, &history);
    }

    /// Changes the visibility of many messages to one timeout, 10 per
    /// ChangeMessageVisibilityBatch request; returns how many could not be changed (logged).
    pub(crate) async fn change_visibility_batch(
        &self,
        url: &str,
        messages: &[&Message],
        timeout: Duration,
    ) -> usize {
        let seconds = timeout.min(visibility::MAX_VISIBILITY).as_secs() as i32;
        let mut failed = 0;
        for chunk in messages.chunks(BATCH_SIZE) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(sqs_receipt_handle(&m.receipt_handle))
                        .visibility_timeout(seconds)
                        .build()
                })
                .collect::<std::result::Result<Vec<_>, _>>();
            let entries = match entries {
                Ok(entries) => entries,
                Err(e) => {
                    warn!(queue = %self.inner.name, error = %e, "cannot build a visibility change");
                    failed += chunk.len();
                    continue;
                }
            };
            let request = self
                .inner
                .client
                .change_message_visibility_batch()
                .queue_url(url)
                .set_entries(Some(entries));
            match self
                .call("ChangeMessageVisibilityBatch", request.send())
                .await
            {
                Ok(out) => {
                    for f in out.failed() {
                        warn!(queue = %self.inner.name, code = %f.code(), message = ?f.message(), "visibility change of a message failed");
                    }
                    failed += out.failed().len();
                }
                Err(e) => {
                    warn!(queue = %self.inner.name, error = %e, "ChangeMessageVisibilityBatch failed");
                    failed += chunk.len();
                }
            }
        }
        failed
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
}

/// The failure of an entry whose request got no answer.
fn not_attempted(reason: &str) -> EntryFailure {
    EntryFailure {
        code: "NotAttempted".to_owned(),
        message: reason.to_owned(),
        sender_fault: false,
    }
}
