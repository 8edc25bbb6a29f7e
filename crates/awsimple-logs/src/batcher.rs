//! [`LogBatcher`]: a background task that gathers events and puts them in batches, for
//! programs (and the tracing layer) that log often and must not wait for AWS.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use awsimple_core::{Error, Result};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::warn;

use crate::access::LogsAccess;
use crate::event::{LogEvent, MAX_BATCH_EVENTS, MAX_BATCH_SIZE, check_message};
use crate::guard::Shipping;
use crate::put::NOT_SENT;

/// How long an event waits in a [`LogBatcher`] at most before it is sent.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(5);
/// How many events a [`LogBatcher`] holds while a request is under way; past that,
/// [`LogBatcher::log`] drops the event and says so.
pub const DEFAULT_BATCHER_CAPACITY: usize = 100_000;

/// The largest [`BatcherOptions::capacity`].
pub const MAX_BATCHER_CAPACITY: usize = 1 << 28;

/// Options of [`LogsAccess::batcher_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatcherOptions {
    flush_interval: Duration,
    capacity: usize,
}

impl Default for BatcherOptions {
    fn default() -> Self {
        BatcherOptions {
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            capacity: DEFAULT_BATCHER_CAPACITY,
        }
    }
}

impl BatcherOptions {
    /// The longest an event waits before it is sent (default [`DEFAULT_FLUSH_INTERVAL`]). A
    /// batch is sent sooner when it is full (10 000 events or 1 MiB).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// How many events may wait to be taken into a batch (default
    /// [`DEFAULT_BATCHER_CAPACITY`]; at least 1, at most [`MAX_BATCHER_CAPACITY`]).
    pub fn capacity(mut self, events: usize) -> Self {
        self.capacity = events.clamp(1, MAX_BATCHER_CAPACITY);
        self
    }
}

/// What a [`LogBatcher`] did with the events it was given, since it started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatcherStats {
    /// Events CloudWatch Logs accepted.
    pub sent: u64,
    /// Events not stored because of their timestamp: outside the accepted window (not sent), or
    /// rejected by CloudWatch Logs (`rejectedLogEventsInfo`).
    pub rejected: u64,
    /// Events not sent because their request failed after the retries.
    pub not_sent: u64,
    /// Events dropped by [`LogBatcher::log`] because the batcher was full.
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct State {
    stats: BatcherStats,
    /// Events not delivered since the last flush, and the first reason.
    undelivered: u64,
    first_reason: Option<String>,
}

impl State {
    fn undelivered(&mut self, events: u64, reason: impl FnOnce() -> String) {
        self.undelivered += events;
        if self.first_reason.is_none() {
            self.first_reason = Some(reason());
        }
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding the lock leaves only counters: keep counting.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

enum Command {
    Event(LogEvent),
    Flush(oneshot::Sender<Result<()>>),
    Shutdown(oneshot::Sender<Result<()>>),
}

/// Gathers events and puts them to one log stream in the background: [`LogBatcher::log`]
/// returns at once; a batch goes out when it is full (10 000 events or 1 MiB, the limits of one
/// request) or when its first event has waited the flush interval, whichever comes first.
/// Requests go one at a time, in order, through [`LogsAccess::put_batch`] (so sorted,
/// split within the limits, retried on throttling and transient errors).
///
/// Nothing is dropped silently: [`LogBatcher::flush`] and [`LogBatcher::shutdown`] fail when
/// any event given since the previous flush was not stored (rejected, its request failed, or
/// dropped because the batcher was full), and [`LogBatcher::stats`] counts every outcome.
///
/// Cheap to clone; every clone feeds the same task. The task ends when
/// [`LogBatcher::shutdown`] is called or every clone is dropped (sending what it holds first);
/// call `shutdown().await` before the program exits, since the tokio runtime cancels what is
/// still running when it shuts down.
#[derive(Clone)]
pub struct LogBatcher {
    commands: mpsc::Sender<Command>,
    state: Arc<Mutex<State>>,
    resource: Arc<str>,
}

impl fmt::Debug for LogBatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogBatcher")
            .field("stream", &self.resource)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl LogsAccess {
    /// A [`LogBatcher`] for this stream with the default options. Must be called inside a
    /// tokio runtime (an [`Error::Config`] otherwise): it spawns the batcher's task.
    pub fn batcher(&self) -> Result<LogBatcher> {
        self.batcher_with(&BatcherOptions::default())
    }

    /// A [`LogBatcher`] for this stream with `options`.
    pub fn batcher_with(&self, options: &BatcherOptions) -> Result<LogBatcher> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::config("a LogBatcher runs on tokio: create it inside a tokio runtime")
        })?;
        let (commands, receiver) = mpsc::channel(options.capacity.clamp(1, MAX_BATCHER_CAPACITY));
        let state = Arc::new(Mutex::new(State::default()));
        let task = Task {
            logs: self.clone(),
            state: state.clone(),
            resource: self.stream_resource(),
            pending: Vec::new(),
            bytes: 0,
        };
        runtime.spawn(Shipping::new(task.run(receiver, options.flush_interval)));
        Ok(LogBatcher {
            commands,
            state,
            resource: self.stream_resource().into(),
        })
    }
}

impl LogBatcher {
    /// Queues a message, timestamped now. An empty message or one over
    /// [`MAX_EVENT_SIZE`](crate::MAX_EVENT_SIZE) bytes is an [`Error::InvalidInput`]; a full
    /// batcher drops the event with an [`Error::Other`] (and counts it); a batcher that was
    /// shut down answers [`Error::Other`].
    pub fn log(&self, message: impl Into<String>) -> Result<()> {
        self.log_event(LogEvent::new(message))
    }

    /// Queues an event with its own timestamp (see [`LogBatcher::log`]).
    pub fn log_event(&self, event: LogEvent) -> Result<()> {
        check_message(&event.message, || {
            format!("log event for {}", self.resource)
        })?;
        match self.commands.try_send(Command::Event(event)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                let mut state = lock(&self.state);
                state.stats.dropped += 1;
                let reason = || "the batcher was full: events were dropped".to_owned();
                state.undelivered(1, reason);
                Err(Error::other(format!(
                    "the log batcher for {} is full: the event was dropped",
                    self.resource
                )))
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(self.stopped()),
        }
    }

    /// Sends everything queued so far and waits for it. Fails when any event given since the
    /// previous flush was not stored, saying how many and why.
    pub async fn flush(&self) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Flush(reply))
            .await
            .map_err(|_| self.stopped())?;
        answer.await.map_err(|_| self.stopped())?
    }

    /// Sends everything queued, then stops the task: later [`LogBatcher::log`] calls fail.
    /// Answers like [`LogBatcher::flush`]; calling it again is harmless.
    pub async fn shutdown(&self) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Shutdown(reply)).await.is_err() {
            return outcome(&self.state, &self.resource);
        }
        answer.await.map_err(|_| self.stopped())?
    }

    /// What happened to the events so far.
    pub fn stats(&self) -> BatcherStats {
        lock(&self.state).stats.clone()
    }

    fn stopped(&self) -> Error {
        Error::other(format!(
            "the log batcher for {} has stopped (shut down, or its runtime ended)",
            self.resource
        ))
    }
}

/// `Err` when events were not delivered since the last call; resets that count.
fn outcome(state: &Mutex<State>, resource: &str) -> Result<()> {
    let mut state = lock(state);
    if state.undelivered == 0 {
        return Ok(());
    }
    let events = std::mem::take(&mut state.undelivered);
    let reason = state.first_reason.take().unwrap_or_default();
    Err(Error::other(format!(
        "{events} log events for {resource} were not stored since the last flush; first reason: \
         {reason}"
    )))
}

/// The batcher's side of the channel.
struct Task {
    logs: LogsAccess,
    state: Arc<Mutex<State>>,
    resource: String,
    pending: Vec<LogEvent>,
    bytes: usize,
}

impl Task {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>, interval: Duration) {
        // When the oldest pending event is due.
        let mut due: Option<Instant> = None;
        loop {
            let command = tokio::select! {
                command = commands.recv() => command,
                () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    self.ship().await;
                    due = None;
                    continue;
                }
            };
            match command {
                Some(Command::Event(event)) => {
                    if self.add(event).await {
                        due = None;
                    }
                    if !self.pending.is_empty() && due.is_none() {
                        due = Some(Instant::now() + interval);
                    }
                }
                Some(Command::Flush(reply)) => {
                    self.ship().await;
                    due = None;
                    let _ = reply.send(outcome(&self.state, &self.resource));
                }
                Some(Command::Shutdown(reply)) => {
                    // Refuse new events, then take the ones already queued.
                    commands.close();
                    let mut waiting = Vec::new();
                    while let Some(command) = commands.recv().await {
                        match command {
                            Command::Event(event) => {
                                self.add(event).await;
                            }
                            Command::Flush(other) | Command::Shutdown(other) => {
                                waiting.push(other);
                            }
                        }
                    }
                    self.ship().await;
                    let result = outcome(&self.state, &self.resource);
                    for other in waiting {
                        let _ = other.send(Ok(()));
                    }
                    let _ = reply.send(result);
                    return;
                }
                None => {
                    self.ship().await;
                    return;
                }
            }
        }
    }

    /// Adds an event, sending the pending batch first when the event would not fit in it.
    /// True when a batch was sent.
    async fn add(&mut self, event: LogEvent) -> bool {
        let size = event.size();
        let full = self.pending.len() >= MAX_BATCH_EVENTS || self.bytes + size > MAX_BATCH_SIZE;
        if full {
            self.ship().await;
        }
        self.bytes += size;
        self.pending.push(event);
        full
    }

    /// Puts the pending events and records what became of them.
    async fn ship(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.pending);
        self.bytes = 0;
        let count = events.len() as u64;
        let result = self.logs.put_owned(events).await;
        let mut state = lock(&self.state);
        match result {
            Ok(report) => {
                for entry in &report.results {
                    match entry {
                        Ok(()) => state.stats.sent += 1,
                        Err(failure) => {
                            if failure.code == NOT_SENT {
                                state.stats.not_sent += 1;
                            } else {
                                state.stats.rejected += 1;
                            }
                            state.undelivered(1, || failure.to_string());
                        }
                    }
                }
            }
            Err(e) => {
                warn!(stream = %self.resource, events = count, error = %e, "log events not sent");
                state.stats.not_sent += count;
                state.undelivered(count, || e.to_string());
            }
        }
    }
}
