//! [`Worker`]: runs an async handler for every message of a queue, with bounded concurrency, a
//! visibility heartbeat, batched deletes, failure handling, FIFO group order and a graceful stop.
//!
//! What a stop leaves behind: nothing is lost and nothing that succeeded comes back. Messages
//! whose handler succeeded are deleted (batched); messages whose handler failed, did not finish
//! by the shutdown deadline (their handler is dropped there) or had not started (later messages
//! of a FIFO group) are made visible again at once (visibility 0). A receive call in progress
//! when the stop comes is abandoned: if SQS had already picked messages for it, they come back
//! after their visibility timeout (on an idle long-polling queue there are none). A delete that
//! SQS refuses (say, after the 12-hour limit of a message) is logged and counted: that message
//! comes back (SQS delivers at least once).

mod run;
mod task;

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use awsimple_core::Result;
use tokio_util::sync::CancellationToken;

use crate::access::SqsAccess;
use crate::message::Message;

/// Default number of handlers running at once.
pub const DEFAULT_WORKER_CONCURRENCY: usize = 8;
/// Default time running handlers get to finish after a stop.
pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

/// Runs a handler per message; from [`SqsAccess::worker`]. Configure, then [`Worker::run`].
///
/// ```no_run
/// # async fn demo(queue: awsimple_sqs::SqsAccess) -> awsimple_sqs::Result<()> {
/// use tokio_util::sync::CancellationToken;
///
/// let stop = CancellationToken::new();
/// let stats = queue
///     .worker(|message: awsimple_sqs::Message| async move {
///         println!("working on {}", message.body);
///         Ok::<(), String>(())
///     })
///     .concurrency(8)
///     .stop_on(stop.clone())
///     .stop_on_ctrl_c(true)
///     .run()
///     .await?;
/// println!("{} handled", stats.handled);
/// # Ok(()) }
/// ```
pub struct Worker<H> {
    pub(crate) queue: SqsAccess,
    pub(crate) handler: Arc<H>,
    pub(crate) concurrency: usize,
    pub(crate) stop: CancellationToken,
    pub(crate) ctrl_c: bool,
    pub(crate) shutdown_deadline: Duration,
    pub(crate) failure_visibility: Duration,
    pub(crate) poll_wait: Duration,
    pub(crate) metrics: Arc<WorkerMetrics>,
}

impl<H> std::fmt::Debug for Worker<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("queue", &self.queue.queue_name())
            .field("concurrency", &self.concurrency)
            .field("shutdown_deadline", &self.shutdown_deadline)
            .field("failure_visibility", &self.failure_visibility)
            .field("poll_wait", &self.poll_wait)
            .finish_non_exhaustive()
    }
}

impl SqsAccess {
    /// A worker that runs `handler` for every message of this queue (see [`Worker`]). A handler
    /// returning `Ok` has its message deleted; `Err` (or a panic) returns it to the queue, and
    /// after the queue's `maxReceiveCount` SQS moves it to the dead-letter queue.
    ///
    /// The worker receives with this handle's visibility timeout (fixed, or the automatic one:
    /// handler times feed its history) and deletes by itself, whatever `immediate_delete` says.
    pub fn worker<H>(&self, handler: H) -> Worker<H> {
        Worker {
            queue: self.clone(),
            handler: Arc::new(handler),
            concurrency: DEFAULT_WORKER_CONCURRENCY,
            stop: CancellationToken::new(),
            ctrl_c: false,
            shutdown_deadline: DEFAULT_SHUTDOWN_DEADLINE,
            failure_visibility: Duration::ZERO,
            poll_wait: crate::names::LONG_POLL_WAIT,
            metrics: Arc::default(),
        }
    }
}

impl<H> Worker<H> {
    /// How many messages are handled at once (default 8; at least 1). The worker receives only
    /// when it has room, up to 10 messages per call.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Stop when this token is cancelled (the worker also has its own: [`Worker::stop_token`]).
    pub fn stop_on(mut self, token: CancellationToken) -> Self {
        self.stop = token;
        self
    }

    /// The token that stops this worker.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Stop on ctrl-c / SIGINT too (default false).
    pub fn stop_on_ctrl_c(mut self, on: bool) -> Self {
        self.ctrl_c = on;
        self
    }

    /// How long running handlers may go on after a stop (default 30 s); past it they are
    /// dropped and their messages made visible again at once.
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.shutdown_deadline = deadline;
        self
    }

    /// Visibility timeout given to a message whose handler failed, as a backoff before it is
    /// delivered again (default 0: at once).
    pub fn failure_backoff(mut self, backoff: Duration) -> Self {
        self.failure_visibility = backoff;
        self
    }

    /// How long one receive call waits for messages (default 20 s, long polling; 1 to 20 s).
    pub fn poll_wait(mut self, wait: Duration) -> Self {
        self.poll_wait = wait.clamp(Duration::from_secs(1), crate::names::LONG_POLL_WAIT);
        self
    }

    /// The live counters of this worker (readable while it runs).
    pub fn metrics(&self) -> Arc<WorkerMetrics> {
        Arc::clone(&self.metrics)
    }

    /// Runs until stopped (token, ctrl-c when asked) and returns the final counts. `Err` when
    /// the queue cannot be found, or after receive calls kept failing (5 in a row): running
    /// handlers still finish and their messages are settled first.
    pub async fn run<Fut, E>(self) -> Result<WorkerStats>
    where
        H: Fn(Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        run::run(self).await
    }
}

/// Live counters of a [`Worker`].
#[derive(Debug, Default)]
pub struct WorkerMetrics {
    pub(crate) handled: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) extended: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    pub(crate) released: AtomicU64,
    pub(crate) not_deleted: AtomicU64,
    pub(crate) receive_calls: AtomicU64,
}

impl WorkerMetrics {
    /// The counts now.
    pub fn snapshot(&self) -> WorkerStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WorkerStats {
            handled: get(&self.handled),
            failed: get(&self.failed),
            extended: get(&self.extended),
            in_flight: get(&self.in_flight),
            released: get(&self.released),
            not_deleted: get(&self.not_deleted),
            receive_calls: get(&self.receive_calls),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sub(counter: &AtomicU64, n: u64) {
        counter.fetch_sub(n, Ordering::Relaxed);
    }
}

/// Counts of a [`Worker`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Handlers that succeeded (their message is deleted; see `not_deleted`).
    pub handled: u64,
    /// Handlers that failed (error or panic); their message went back to the queue.
    pub failed: u64,
    /// Visibility extensions sent by the heartbeat (one per message per extension).
    pub extended: u64,
    /// Messages received and not yet settled.
    pub in_flight: u64,
    /// Messages made visible again without being handled (stop, FIFO group after a failure).
    pub released: u64,
    /// Messages handled whose delete SQS refused (they come back).
    pub not_deleted: u64,
    /// ReceiveMessage calls made.
    pub receive_calls: u64,
}
