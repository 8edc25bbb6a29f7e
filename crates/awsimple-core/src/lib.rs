//! Shared plumbing of [awsimple](https://crates.io/crates/awsimple): access to AWS, the error
//! type, content hashes and request accounting. The service crates (`awsimple-s3`,
//! `awsimple-dynamodb`, `awsimple-sns`, `awsimple-sqs`) build on it; most programs use it through
//! the `awsimple` umbrella crate.
//!
//! - [`AwsAccess`]: credentials (default chain, a profile, or keys), region, endpoint override
//!   (`AWS_ENDPOINT_URL` works), timeouts and retries; [`AwsAccess::test`] checks the credentials.
//! - [`Error`]: one `#[non_exhaustive]` error enum that tells not-found, already-exists, invalid
//!   input, credentials, permission, throttling, service, connection and I/O errors apart, each
//!   naming the resource it is about. Secrets never appear in any `Debug` or `Display`.
//! - [`sha512`], [`sha512_file`]: the SHA-512 content identity awsimple shares with the Python
//!   package.
//! - [`RequestCounter`]: every HTTP request sent, per service and operation.
//!
//! A moto emulator fixture for your own tests is in the separate `awsimple-testkit` crate.
//!
//! ```no_run
//! # async fn demo() -> awsimple_core::Result<()> {
//! use awsimple_core::AwsAccess;
//!
//! let access = AwsAccess::builder()
//!     .credentials("AKIDEXAMPLE", std::env::var("MY_SECRET").unwrap_or_default(), None)
//!     .region("us-west-2")
//!     .build()
//!     .await?;
//! println!("credentials valid: {}", access.test().await?);
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod access;
mod attribute;
mod backoff;
mod batch;
mod call;
mod error;
mod hash;
mod host;
mod json;
mod metrics;
mod operation;
pub mod paths;
mod sdk_error;

pub use access::{
    AwsAccess, AwsAccessBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_OPERATION_ATTEMPT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT,
};
pub use attribute::{
    MAX_MESSAGE_ATTRIBUTES, MessageAttribute, MessageAttributes, validate_message_attributes,
};
pub use backoff::{Backoff, BackoffConfig, retry_transient};
pub use batch::{BatchReport, EntryFailure};
pub use call::{Found, Service};
pub use error::{AwsAnswer, BoxError, Error, Result};
pub use hash::{Sha512Digest, Sha512Hasher, sha512, sha512_file, sha512_file_async};
pub use host::{default_node_name, directory_size, disk_free, host_name, user_name};
pub use json::{to_json_finite, to_python_json};
pub use metrics::RequestCounter;

/// The version of the awsimple crates (they share one version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The SDK types awsimple's API exposes, re-exported so that callers need no direct dependency.
pub mod sdk {
    pub use aws_config::retry::RetryConfig;
    pub use aws_config::{Region, SdkConfig};
}

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
