//! Simple async Amazon SNS: topics, publishing (single and batched), and subscriptions of
//! e-mail addresses and, with the `sqs` feature, SQS queues.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple).
//!
//! ```no_run
//! use awsimple_sns::{AwsAccess, SnsAccess};
//!
//! # async fn demo() -> awsimple_sns::Result<()> {
//! let access = AwsAccess::new().await?;
//! let alerts = SnsAccess::builder(&access, "alerts").auto_create(true).build()?;
//! alerts.subscribe_email("ops@example.com").await?;
//! let id = alerts.publish("disk almost full", Some("disk"), None).await?;
//! # let _ = id; Ok(()) }
//! ```
//!
//! Depending on this crate alone does not compile the SQS SDK: the queue subscription
//! ([`SnsAccess::subscribe_sqs`]) is behind the `sqs` feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

// One file per concern; files use only files of a lower layer (no circles):
//   1. names   2. topic (names)   3. builder, publish, subscribe (topic, names)
mod builder;
mod names;
mod publish;
mod subscribe;
mod topic;

pub use awsimple_core::{
    AwsAccess, BatchReport, EntryFailure, Error, MessageAttribute, MessageAttributes, Result,
};
pub use builder::SnsAccessBuilder;
pub use names::{BATCH_SIZE, MAX_MESSAGE_SIZE, validate_topic_name};
pub use topic::SnsAccess;

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
