//! Simple async Amazon CloudWatch Logs: put messages to a log stream, one at a time or in
//! batches cut to the service's limits, from a background batcher, or from `tracing` through
//! [`LogsLayer`]. The Rust counterpart of Python awsimple's `LogsAccess`.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple).
//!
//! ```no_run
//! use awsimple_logs::{AwsAccess, LogEvent, LogsAccess};
//!
//! # async fn demo() -> awsimple_logs::Result<()> {
//! let access = AwsAccess::new().await?;
//! // Stream `<hostname>-<username>`; the group gets a 365-day retention when created.
//! let logs = LogsAccess::new(&access, "/my-app/prod")?;
//! logs.put("started").await?; // creates the group and the stream on first use
//!
//! // Many events: sorted by time, cut into requests within the limits, each event's outcome
//! // reported.
//! let events: Vec<LogEvent> = (0..50_000).map(|i| LogEvent::new(format!("line {i}"))).collect();
//! let report = logs.put_batch(&events).await?;
//! assert!(report.all_succeeded());
//!
//! // In the background: `log` returns at once, batches go out when full or every 5 s.
//! let batcher = logs.batcher()?;
//! batcher.log("request served")?;
//! batcher.shutdown().await?; // sends what is left; fails if anything was not stored
//! # Ok(()) }
//! ```
//!
//! # Limits
//! CloudWatch Logs takes at most [`MAX_BATCH_EVENTS`] events and [`MAX_BATCH_SIZE`] bytes
//! (each event's UTF-8 bytes + [`EVENT_OVERHEAD`]) per `PutLogEvents`, in chronological order,
//! spanning at most [`MAX_BATCH_SPAN`]; it rejects events older than [`MAX_EVENT_AGE`] or more
//! than [`MAX_EVENT_FUTURE`] ahead. [`LogsAccess::put_batch`] and [`LogBatcher`] keep to all of
//! these: events are sorted (stably) and split; events outside the time window are not sent and
//! are reported, as are events CloudWatch Logs rejects (`rejectedLogEventsInfo`). A message
//! over [`MAX_EVENT_SIZE`] bytes (256 KiB less the overhead) is refused with
//! [`Error::InvalidInput`] before any request; only [`LogsLayer`] truncates instead. Throttling
//! and transient errors are retried with [`awsimple_core::Backoff`].
//!
//! # Tracing
//! With the `tracing-layer` feature (on by default), [`LogsLayer`] ships an application's
//! `tracing` events, one line each, through a [`LogBatcher`]; the events of the AWS SDK and of
//! this crate are never shipped (see [`EXCLUDED_TARGETS`]).
#![cfg_attr(docsrs, feature(doc_cfg))]

// One file per concern; `group`, `put` and `batcher` add `impl LogsAccess` blocks. Files use
// only the files of a lower layer (no circles):
//   1. names, event, guard
//   2. plan (event), access (names)
//   3. group (access), put (access, event, plan)
//   4. batcher (access, event, guard, put)
//   5. layer (batcher, event, guard)
mod access;
mod batcher;
mod event;
mod group;
mod guard;
#[cfg(feature = "tracing-layer")]
mod layer;
mod names;
mod plan;
mod put;

pub use access::{LogsAccess, LogsAccessBuilder};
pub use awsimple_core::{AwsAccess, BatchReport, EntryFailure, Error, Result};
pub use batcher::{
    BatcherOptions, BatcherStats, DEFAULT_BATCHER_CAPACITY, DEFAULT_FLUSH_INTERVAL, LogBatcher,
    MAX_BATCHER_CAPACITY,
};
pub use event::{
    EVENT_OVERHEAD, LogEvent, MAX_BATCH_EVENTS, MAX_BATCH_SIZE, MAX_BATCH_SPAN, MAX_EVENT_AGE,
    MAX_EVENT_FUTURE, MAX_EVENT_SIZE,
};
#[cfg(feature = "tracing-layer")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing-layer")))]
pub use layer::{EXCLUDED_TARGETS, LogsLayer, is_excluded_target};
pub use names::{
    DEFAULT_RETENTION_DAYS, MAX_NAME_LENGTH, RETENTION_DAYS, default_stream_name,
    validate_log_group_name, validate_log_stream_name, validate_retention_days,
};
pub use put::{NOT_SENT, REJECTED_EXPIRED, REJECTED_TOO_NEW, REJECTED_TOO_OLD};

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
