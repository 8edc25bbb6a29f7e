//! Simple async Amazon DynamoDB.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple). Coming in this crate: `DynamoDbAccess` with tables, typed (serde) and dynamic items, queries, batch writes, and cached table scans shared with the Python package through `__awsimple_metadata__`.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use awsimple_core::{AwsAccess, Error, Result};
