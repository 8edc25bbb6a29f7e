//! One chain of messages (one message, or the messages of one FIFO group from one receive, in
//! order): runs the handler on each, extending the visibility of what is not settled yet.

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::sync::mpsc::UnboundedSender;
use tracing::{debug, warn};

use crate::access::SqsAccess;
use crate::message::Message;
use crate::worker::WorkerMetrics;

/// How a message ended in a handler task.
#[derive(Debug)]
pub(super) enum Outcome {
    /// The handler succeeded after this long.
    Done(Duration),
    /// The handler failed (error or panic).
    Failed,
    /// Not run: an earlier message of its FIFO group failed.
    NotRun,
}

/// What every handler task shares.
pub(super) struct Shared<H> {
    pub(super) queue: SqsAccess,
    pub(super) url: String,
    pub(super) handler: Arc<H>,
    pub(super) metrics: Arc<WorkerMetrics>,
    pub(super) outcomes: UnboundedSender<(Message, Outcome)>,
}

/// When to extend next: half-way through the visibility timeout.
fn half(timeout: Duration) -> Duration {
    (timeout / 2).max(Duration::from_millis(200))
}

pub(super) async fn run_chain<H, Fut, E>(
    shared: Arc<Shared<H>>,
    chain: Vec<Message>,
    timeout: Duration,
) where
    H: Fn(Message) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
    E: Display + Send + 'static,
{
    let Some(first) = chain.first() else {
        return;
    };
    let heartbeat = timeout >= Duration::from_secs(1);
    let mut next_extension = tokio::time::Instant::from_std(first.received + half(timeout));
    for (i, message) in chain.iter().enumerate() {
        let started = Instant::now();
        let work = AssertUnwindSafe((shared.handler)(message.clone())).catch_unwind();
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                _ = tokio::time::sleep_until(next_extension), if heartbeat => {
                    extend(&shared, &chain[i..], timeout).await;
                    next_extension = tokio::time::Instant::now() + half(timeout);
                }
            }
        };
        let outcome = match result {
            Ok(Ok(())) => Outcome::Done(started.elapsed()),
            Ok(Err(e)) => {
                warn!(queue = %shared.queue.queue_name(), message_id = %message.message_id, error = %e, "handler failed: the message goes back to the queue");
                Outcome::Failed
            }
            Err(_) => {
                warn!(queue = %shared.queue.queue_name(), message_id = %message.message_id, "handler panicked: the message goes back to the queue");
                Outcome::Failed
            }
        };
        let failed = matches!(outcome, Outcome::Failed);
        let _ = shared.outcomes.send((message.clone(), outcome));
        if failed {
            // Later messages of the group must not overtake this one.
            for later in &chain[i + 1..] {
                let _ = shared.outcomes.send((later.clone(), Outcome::NotRun));
            }
            return;
        }
    }
}

/// Extends the visibility of the messages not settled yet.
async fn extend<H>(shared: &Shared<H>, pending: &[Message], timeout: Duration) {
    let refs: Vec<&Message> = pending.iter().collect();
    let failed = shared
        .queue
        .change_visibility_batch(&shared.url, &refs, timeout)
        .await;
    let extended = refs.len().saturating_sub(failed) as u64;
    WorkerMetrics::add(&shared.metrics.extended, extended);
    debug!(queue = %shared.queue.queue_name(), extended, failed, timeout_s = timeout.as_secs(), "visibility extended");
}
