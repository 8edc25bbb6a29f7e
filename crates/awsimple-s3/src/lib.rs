//! Simple async Amazon S3.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple). Coming in this crate: `S3Access` with buckets, strings, JSON, files, verified atomic downloads, `dir`/`keys`, presigned URLs, multipart transfers and a local content-addressed cache (`download_cached`).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use awsimple_core::{AwsAccess, Error, Result};
