//! The worker's loop: receive when there is room, start handler tasks, settle their outcomes
//! (batched deletes and visibility changes), and the graceful stop.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use awsimple_core::{Error, Result};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::message::Message;
use crate::names::BATCH_SIZE;
use crate::worker::task::{Outcome, Shared, run_chain};
use crate::worker::{Worker, WorkerMetrics, WorkerStats};

/// Receive failures in a row after which the worker stops with the last error.
const MAX_RECEIVE_FAILURES: u32 = 5;

type Receiving<'a> = Pin<Box<dyn Future<Output = Result<Vec<Message>>> + Send + 'a>>;

/// Awaits the future when there is one, forever otherwise (for `select!`).
async fn maybe<F: Future + Unpin>(future: &mut Option<F>) -> F::Output {
    match future {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

/// The messages received and not settled yet, and the settling to do.
struct Book {
    in_flight: HashMap<String, Message>,
    to_delete: Vec<(Message, Duration)>,
    to_release: Vec<(Message, Duration)>,
    failure_visibility: Duration,
    metrics: Arc<WorkerMetrics>,
}

impl Book {
    fn settle(&mut self, message: Message, outcome: Outcome) {
        if self.in_flight.remove(&message.receipt_handle).is_none() {
            return;
        }
        WorkerMetrics::sub(&self.metrics.in_flight, 1);
        match outcome {
            Outcome::Done(work) => {
                WorkerMetrics::add(&self.metrics.handled, 1);
                self.to_delete.push((message, work));
            }
            Outcome::Failed => {
                WorkerMetrics::add(&self.metrics.failed, 1);
                self.to_release.push((message, self.failure_visibility));
            }
            Outcome::NotRun => {
                WorkerMetrics::add(&self.metrics.released, 1);
                self.to_release.push((message, Duration::ZERO));
            }
        }
    }
}

pub(super) async fn run<H, Fut, E>(worker: Worker<H>) -> Result<WorkerStats>
where
    H: Fn(Message) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
    E: Display + Send + 'static,
{
    let queue = worker.queue.clone();
    let url = queue.url().await?;
    let fifo = queue.inner.fifo;
    let (sender, mut outcomes) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        queue: queue.clone(),
        url: url.clone(),
        handler: Arc::clone(&worker.handler),
        metrics: Arc::clone(&worker.metrics),
        outcomes: sender,
    });
    let mut book = Book {
        in_flight: HashMap::new(),
        to_delete: Vec::new(),
        to_release: Vec::new(),
        failure_visibility: worker.failure_visibility,
        metrics: Arc::clone(&worker.metrics),
    };
    let mut tasks = JoinSet::new();
    let mut receiving: Option<Receiving<'_>> = None;
    let mut ctrl_c: Option<Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>> = worker
        .ctrl_c
        .then(|| Box::pin(tokio::signal::ctrl_c()) as _);
    let mut failures = 0u32;
    let mut fatal: Option<Error> = None;
    info!(queue = %queue.queue_name(), concurrency = worker.concurrency, "worker started");
    loop {
        while let Ok((message, outcome)) = outcomes.try_recv() {
            book.settle(message, outcome);
        }
        flush(&queue, &url, &mut book).await;
        if worker.stop.is_cancelled() || fatal.is_some() {
            break;
        }
        let room = worker.concurrency.saturating_sub(book.in_flight.len());
        if receiving.is_none() && room > 0 {
            let timeout = queue.visibility_timeout();
            let (queue, url, wait) = (&queue, &url, worker.poll_wait);
            receiving = Some(Box::pin(async move {
                let batch = queue.receive_once(url, room.min(BATCH_SIZE), wait).await;
                batch.inspect(|b| {
                    debug!(
                        received = b.len(),
                        timeout_s = timeout.as_secs(),
                        "worker receive"
                    );
                })
            }));
        }
        tokio::select! {
            _ = worker.stop.cancelled() => {}
            result = maybe(&mut ctrl_c) => {
                if result.is_ok() {
                    info!(queue = %queue.queue_name(), "ctrl-c: stopping the worker");
                    worker.stop.cancel();
                }
                ctrl_c = None;
            }
            Some((message, outcome)) = outcomes.recv() => book.settle(message, outcome),
            result = maybe(&mut receiving) => {
                receiving = None;
                WorkerMetrics::add(&worker.metrics.receive_calls, 1);
                match result {
                    Ok(batch) => {
                        failures = 0;
                        let timeout = queue.visibility_timeout();
                        for chain in chains(batch, fifo) {
                            WorkerMetrics::add(&worker.metrics.in_flight, chain.len() as u64);
                            for m in &chain {
                                book.in_flight.insert(m.receipt_handle.clone(), m.clone());
                            }
                            tasks.spawn(run_chain(Arc::clone(&shared), chain, timeout));
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        warn!(queue = %queue.queue_name(), error = %e, failures, "worker receive failed");
                        if failures >= MAX_RECEIVE_FAILURES || !e.is_transient() && e.is_not_found() {
                            fatal = Some(e);
                        } else {
                            tokio::select! {
                                _ = tokio::time::sleep(Duration::from_millis(200) * 2u32.pow(failures)) => {}
                                _ = worker.stop.cancelled() => {}
                            }
                        }
                    }
                }
            }
        }
        // Reap finished tasks so the set does not grow.
        while tasks.try_join_next().is_some() {}
    }
    // Stop: no new receive (one in progress is abandoned), running handlers get the deadline.
    drop(receiving);
    info!(queue = %queue.queue_name(), running = book.in_flight.len(), deadline_s = worker.shutdown_deadline.as_secs_f64(), "worker stopping");
    let deadline = tokio::time::Instant::now() + worker.shutdown_deadline;
    while !book.in_flight.is_empty() {
        tokio::select! {
            Some((message, outcome)) = outcomes.recv() => book.settle(message, outcome),
            _ = tokio::time::sleep_until(deadline) => break,
        }
        if book.to_delete.len() >= BATCH_SIZE {
            flush(&queue, &url, &mut book).await;
        }
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    while let Ok((message, outcome)) = outcomes.try_recv() {
        book.settle(message, outcome);
    }
    let unfinished: Vec<Message> = book.in_flight.drain().map(|(_, m)| m).collect();
    if !unfinished.is_empty() {
        warn!(queue = %queue.queue_name(), unfinished = unfinished.len(), "handlers past the shutdown deadline were dropped: their messages are visible again");
        WorkerMetrics::sub(&worker.metrics.in_flight, unfinished.len() as u64);
        WorkerMetrics::add(&worker.metrics.released, unfinished.len() as u64);
        book.to_release
            .extend(unfinished.into_iter().map(|m| (m, Duration::ZERO)));
    }
    flush(&queue, &url, &mut book).await;
    let stats = worker.metrics.snapshot();
    info!(queue = %queue.queue_name(), ?stats, "worker stopped");
    match fatal {
        Some(e) => Err(e),
        None => Ok(stats),
    }
}

/// The units of work: one message each, or for a FIFO queue the messages of one group in the
/// order received.
fn chains(batch: Vec<Message>, fifo: bool) -> Vec<Vec<Message>> {
    if !fifo {
        return batch.into_iter().map(|m| vec![m]).collect();
    }
    let mut chains: Vec<Vec<Message>> = Vec::new();
    let mut index: HashMap<Option<String>, usize> = HashMap::new();
    for m in batch {
        match index.get(&m.group_id) {
            Some(&i) => chains[i].push(m),
            None => {
                index.insert(m.group_id.clone(), chains.len());
                chains.push(vec![m]);
            }
        }
    }
    chains
}

/// Deletes what succeeded and releases what did not, batched.
async fn flush(queue: &crate::SqsAccess, url: &str, book: &mut Book) {
    if !book.to_delete.is_empty() {
        let done = std::mem::take(&mut book.to_delete);
        let messages: Vec<Message> = done.iter().map(|(m, _)| m.clone()).collect();
        let not_deleted = queue.delete_batch(url, &messages).await;
        if !not_deleted.is_empty() {
            warn!(queue = %queue.queue_name(), not_deleted = not_deleted.len(), "handled messages could not be deleted: they will be delivered again");
            WorkerMetrics::add(&book.metrics.not_deleted, not_deleted.len() as u64);
        }
        let failed: std::collections::BTreeSet<usize> =
            not_deleted.iter().map(|(i, _)| *i).collect();
        let deleted: Vec<(&Message, Duration)> = done
            .iter()
            .enumerate()
            .filter(|(i, _)| !failed.contains(i))
            .map(|(_, (m, work))| (m, *work))
            .collect();
        queue.record_work_times(&deleted);
    }
    if !book.to_release.is_empty() {
        let release = std::mem::take(&mut book.to_release);
        let mut by_timeout: HashMap<Duration, Vec<&Message>> = HashMap::new();
        for (m, timeout) in &release {
            by_timeout.entry(*timeout).or_default().push(m);
        }
        for (timeout, messages) in by_timeout {
            queue.change_visibility_batch(url, &messages, timeout).await;
        }
    }
}
