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

mod access;
pub mod policy;
mod stream;
mod visibility;

pub use access::{
    BATCH_SIZE, BatchReport, DEFAULT_MAX_MESSAGE_SIZE, LONG_POLL_WAIT, Message, SqsAccess,
    SqsAccessBuilder, validate_body, validate_queue_name,
};
pub use awsimple_core::{AwsAccess, Error, Result};
pub use visibility::{
    HISTORY_LENGTH, IMMEDIATE_DELETE_VISIBILITY, MAX_VISIBILITY, NO_HISTORY_VISIBILITY,
};
