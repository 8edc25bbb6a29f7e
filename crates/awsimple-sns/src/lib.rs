//! Simple async Amazon SNS.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple). Coming in this crate: `SnsAccess` with topics, publishing, and subscriptions of e-mail addresses and (feature `sqs`) SQS queues.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use awsimple_core::{AwsAccess, Error, Result};
