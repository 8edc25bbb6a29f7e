//! Dead-letter queues: create a queue with one, read its redrive policy, move messages back.
//!
//! Moving messages with the receive/send/delete loop never loses one: a message is deleted
//! from the dead-letter queue only after SQS accepted it into the destination. A failure midway
//! (or dropping the future) leaves the messages not yet moved in the dead-letter queue, the
//! ones received but not sent invisible until the dead-letter handle's visibility timeout; a
//! message sent whose delete failed is in both queues (at least once). For a FIFO destination
//! the deduplication id is the message id, so sending it again within 5 minutes is dropped.

use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use awsimple_core::{Error, Result};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::access::SqsAccess;
use crate::message::{Message, attribute_values};
use crate::names::{BATCH_SIZE, DEFAULT_MAX_MESSAGE_SIZE};

/// Longest wait of one receive call while draining a dead-letter queue.
const DRAIN_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// A queue's redrive policy: where messages go after `max_receive_count` receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedrivePolicy {
    /// The ARN of the dead-letter queue.
    #[serde(rename = "deadLetterTargetArn")]
    pub dead_letter_target_arn: String,
    /// Receives after which SQS moves a message to the dead-letter queue (1 to 1000).
    #[serde(rename = "maxReceiveCount", with = "number_or_string")]
    pub max_receive_count: u32,
}

/// SQS writes `maxReceiveCount` as a number or as a string.
mod number_or_string {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(n: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(*n)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| D::Error::custom("maxReceiveCount out of range")),
            serde_json::Value::String(s) => s.parse().map_err(D::Error::custom),
            _ => Err(D::Error::custom("maxReceiveCount is not a number")),
        }
    }
}

/// How [`SqsAccess::redrive_to`] moved the messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redrive {
    /// SQS runs a message move task (StartMessageMoveTask); its handle.
    Started {
        /// The task handle (to cancel it with the SDK).
        task_handle: String,
    },
    /// Moved by this process (receive, send, delete): how many.
    Moved(u64),
}

impl SqsAccess {
    /// Creates this queue (idempotent) with `dead_letter` as its dead-letter queue (created too
    /// when missing): after `max_receive_count` receives (1 to 1000) SQS moves a message there.
    /// Both must be standard queues, or both FIFO. Returns this queue's URL.
    pub async fn create_queue_with_dead_letter(
        &self,
        dead_letter: &SqsAccess,
        max_receive_count: u32,
    ) -> Result<String> {
        if !(1..=1000).contains(&max_receive_count) {
            return Err(Error::invalid(
                "maxReceiveCount",
                "must be 1 to 1000 (SQS's range)",
            ));
        }
        if self.inner.fifo != dead_letter.inner.fifo {
            return Err(Error::invalid(
                format!("dead-letter queue {}", dead_letter.queue_name()),
                "a FIFO queue needs a FIFO dead-letter queue, a standard one a standard one",
            ));
        }
        dead_letter.create_queue().await?;
        let policy = RedrivePolicy {
            dead_letter_target_arn: dead_letter.arn().await?,
            max_receive_count,
        };
        let url = self.create_queue().await?;
        let json = serde_json::to_string(&policy)
            .map_err(|e| Error::serialization(self.inner.resource.clone(), e))?;
        let request = self
            .inner
            .client
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::RedrivePolicy, json);
        self.call("SetQueueAttributes", request.send()).await?;
        info!(queue = %self.inner.name, dead_letter = %dead_letter.queue_name(), max_receive_count, "redrive policy set");
        Ok(url)
    }

    /// The queue's redrive policy, `None` when it has no dead-letter queue.
    pub async fn redrive_policy(&self) -> Result<Option<RedrivePolicy>> {
        let Some(json) = self.attribute(QueueAttributeName::RedrivePolicy).await? else {
            return Ok(None);
        };
        if json.trim().is_empty() {
            return Ok(None);
        }
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| Error::serialization(self.inner.resource.clone(), e))
    }

    /// Moves the messages of this (dead-letter) queue to `destination`: SQS's message move task
    /// (StartMessageMoveTask) for standard queues where the service has it, otherwise (FIFO
    /// queues, services without it) a receive/send/delete loop in this process that sends first
    /// and deletes after (see the module notes for what a failure midway leaves behind).
    pub async fn redrive_to(&self, destination: &SqsAccess) -> Result<Redrive> {
        if !self.inner.fifo {
            let request = self
                .inner
                .client
                .start_message_move_task()
                .source_arn(self.arn().await?)
                .destination_arn(destination.arn().await?);
            match self.call("StartMessageMoveTask", request.send()).await {
                Ok(out) => {
                    let task_handle = out.task_handle().unwrap_or_default().to_owned();
                    info!(queue = %self.inner.name, destination = %destination.queue_name(), "message move task started");
                    return Ok(Redrive::Started { task_handle });
                }
                Err(
                    e @ (Error::Credentials { .. }
                    | Error::PermissionDenied { .. }
                    | Error::Unreachable { .. }
                    | Error::Timeout { .. }),
                ) => return Err(e),
                Err(e) => {
                    warn!(queue = %self.inner.name, error = %e, "StartMessageMoveTask unavailable: moving the messages here");
                }
            }
        }
        self.move_messages_to(destination).await.map(Redrive::Moved)
    }

    /// Moves every message of this queue to `destination` with a receive/send/delete loop in
    /// this process (body and message attributes kept); returns how many were moved. Sends
    /// first, deletes after: nothing is lost; a failure returns the error after what was
    /// moved so far stays moved.
    pub async fn move_messages_to(&self, destination: &SqsAccess) -> Result<u64> {
        let url = self.url().await?;
        let destination_url = destination.url().await?;
        let mut moved = 0u64;
        loop {
            let batch = self.receive_once(&url, BATCH_SIZE, DRAIN_WAIT).await?;
            if batch.is_empty() {
                break;
            }
            let sent = destination.send_moved(&destination_url, &batch).await?;
            let sent_messages: Vec<Message> = sent.iter().map(|&i| batch[i].clone()).collect();
            let not_deleted = self.delete_batch(&url, &sent_messages).await;
            if !not_deleted.is_empty() {
                warn!(queue = %self.inner.name, not_deleted = not_deleted.len(), "moved messages could not be deleted from the source: they are in both queues");
            }
            moved += sent.len() as u64;
            if sent.len() < batch.len() {
                return Err(Error::other(format!(
                    "moving messages from {} to {}: {} of {} messages were not accepted (they stay in {})",
                    self.inner.resource,
                    destination.inner.resource,
                    batch.len() - sent.len(),
                    batch.len(),
                    self.inner.name
                )));
            }
        }
        info!(queue = %self.inner.name, destination = %destination.queue_name(), moved, "messages moved");
        Ok(moved)
    }

    /// Sends received messages on (SendMessageBatch, within the batch size limit); returns the
    /// indices SQS accepted.
    async fn send_moved(&self, url: &str, messages: &[Message]) -> Result<Vec<usize>> {
        let mut accepted = Vec::new();
        let mut chunks: Vec<Vec<usize>> = Vec::new();
        let mut size = 0;
        for (i, m) in messages.iter().enumerate() {
            let len = m.body.len();
            match chunks.last_mut() {
                Some(chunk) if size + len <= DEFAULT_MAX_MESSAGE_SIZE => {
                    chunk.push(i);
                    size += len;
                }
                _ => {
                    chunks.push(vec![i]);
                    size = len;
                }
            }
        }
        for chunk in chunks {
            let mut entries = Vec::with_capacity(chunk.len());
            for &i in &chunk {
                let m = &messages[i];
                let (values, _) = attribute_values(&m.attributes)?;
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&m.body)
                    .set_message_attributes((!values.is_empty()).then_some(values));
                if self.inner.fifo {
                    let group = m.group_id.as_deref().unwrap_or(&self.inner.group_id);
                    entry = entry
                        .message_group_id(group)
                        .message_deduplication_id(&m.message_id);
                }
                entries.push(
                    entry
                        .build()
                        .map_err(|e| Error::invalid("moved message", e.to_string()))?,
                );
            }
            let request = self
                .inner
                .client
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries));
            let out = self.call("SendMessageBatch", request.send()).await?;
            accepted.extend(
                out.successful()
                    .iter()
                    .filter_map(|ok| ok.id().parse::<usize>().ok()),
            );
            for failed in out.failed() {
                warn!(queue = %self.inner.name, code = %failed.code(), message = ?failed.message(), "a moved message was not accepted");
            }
        }
        Ok(accepted)
    }
}
