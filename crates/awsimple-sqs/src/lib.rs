//! Simple async Amazon SQS.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple). Coming in this crate: `SqsAccess` with queues, send/receive (long polling, batches), immediate or caller delete, and the automatic visibility timeout.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use awsimple_core::{AwsAccess, Error, Result};
