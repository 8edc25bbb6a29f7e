//! Simple async Amazon SQS: queues, sending (single and batched), receiving with long polling,
//! immediate or caller delete, a `Stream` for long-running consumers, and the automatic
//! visibility timeout of the Python `awsimple` package.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple).
//!
//! ```no_run
//! use std::time::Duration;
//! use awsimple_sqs::{AwsAccess, SqsAccess};
//!
//! # async fn demo() -> awsimple_sqs::Result<()> {
//! let access = AwsAccess::new().await?;
//!
//! // Producer: `send` creates the queue when it is missing.
//! let jobs = SqsAccess::new(&access, "jobs")?;
//! jobs.send("render frame 7").await?;
//! jobs.send_batch(&["frame 8", "frame 9"]).await?;
//!
//! // Worker: delete after the work is done; the visibility timeout follows the work times.
//! let worker = SqsAccess::builder(&access, "jobs")
//!     .immediate_delete(false)
//!     .long_poll(true)
//!     .build()?;
//! while let Some(job) = worker.receive_message().await? {
//!     println!("working on {}", job.body);
//!     worker.delete_message(&job).await?;
//! }
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

// One file per concern; the operation files add `impl SqsAccess` blocks. Files use only files
// of a lower layer, by `use crate::..` or by calling methods another file defines (no circles):
//   1. names, message, visibility
//   2. access (the handle, its URL cache, the one way it calls SQS; visibility)
//   3. builder (access, names, visibility), queue (access)
//   4. policy (access, queue), send (access, message, names, queue)
//   5. receive (access, message, names, queue, send, visibility)
//   6. stream (access, message, names, queue, receive)
//   6. dlq (access, message, names, queue, receive)
//   7. worker (access, message, names, queue, receive): worker.rs the API, worker/task.rs one
//      handler chain with its heartbeat, worker/run.rs the loop and the stop
mod access;
mod builder;
mod dlq;
mod message;
mod names;
mod offload;
pub mod policy;
mod queue;
mod receive;
mod send;
mod stream;
mod visibility;
mod worker;

pub use access::SqsAccess;
pub use awsimple_core::{
    AwsAccess, BatchReport, EntryFailure, Error, MessageAttribute, MessageAttributes, Result,
};
pub use builder::SqsAccessBuilder;
pub use dlq::{Redrive, RedrivePolicy};
pub use message::Message;
pub use names::{
    BATCH_SIZE, DEFAULT_MAX_MESSAGE_SIZE, LONG_POLL_WAIT, validate_body, validate_queue_name,
};
#[cfg(feature = "s3-offload")]
pub use offload::OffloadConfig;
pub use offload::{
    EXTENDED_PAYLOAD_SIZE, LEGACY_PAYLOAD_SIZE, LEGACY_POINTER_CLASS, POINTER_CLASS,
    extended_receipt_handle, parse_pointer, parse_receipt_handle, pointer_body,
};
pub use tokio_util::sync::CancellationToken;
pub use visibility::{
    HISTORY_LENGTH, IMMEDIATE_DELETE_VISIBILITY, MAX_VISIBILITY, NO_HISTORY_VISIBILITY,
};
pub use worker::{
    DEFAULT_SHUTDOWN_DEADLINE, DEFAULT_WORKER_CONCURRENCY, Worker, WorkerMetrics, WorkerStats,
};

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
