#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use awsimple_core::*;

/// The local disk cache of S3 downloads and DynamoDB scans (features `s3`, `dynamodb`): build
/// a [`DiskCache`] with your own folder and size limit and give it to a handle's builder
/// (`S3Access::builder(..).cache(cache)`).
#[cfg(any(feature = "s3", feature = "dynamodb"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "s3", feature = "dynamodb"))))]
pub use awsimple_cache as cache;
#[cfg(any(feature = "s3", feature = "dynamodb"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "s3", feature = "dynamodb"))))]
pub use awsimple_cache::DiskCache;

/// Amazon S3 (feature `s3`).
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub use awsimple_s3 as s3;
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
pub use awsimple_s3::S3Access;

/// Amazon DynamoDB (feature `dynamodb`).
#[cfg(feature = "dynamodb")]
#[cfg_attr(docsrs, doc(cfg(feature = "dynamodb")))]
pub use awsimple_dynamodb as dynamodb;
#[cfg(feature = "dynamodb")]
#[cfg_attr(docsrs, doc(cfg(feature = "dynamodb")))]
pub use awsimple_dynamodb::DynamoDbAccess;

/// Amazon SNS (feature `sns`).
#[cfg(feature = "sns")]
#[cfg_attr(docsrs, doc(cfg(feature = "sns")))]
pub use awsimple_sns as sns;
#[cfg(feature = "sns")]
#[cfg_attr(docsrs, doc(cfg(feature = "sns")))]
pub use awsimple_sns::SnsAccess;

/// Amazon SQS (feature `sqs`).
#[cfg(feature = "sqs")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
pub use awsimple_sqs as sqs;
#[cfg(feature = "sqs")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqs")))]
pub use awsimple_sqs::SqsAccess;

/// Amazon CloudWatch Logs (feature `logs`).
#[cfg(feature = "logs")]
#[cfg_attr(docsrs, doc(cfg(feature = "logs")))]
pub use awsimple_logs as logs;
#[cfg(feature = "logs")]
#[cfg_attr(docsrs, doc(cfg(feature = "logs")))]
pub use awsimple_logs::LogsAccess;

#[cfg(feature = "pubsub")]
#[cfg_attr(docsrs, doc(cfg(feature = "pubsub")))]
pub mod pubsub;

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;

/// The handles and the error type, for `use awsimple::prelude::*`.
pub mod prelude {
    pub use awsimple_core::{AwsAccess, Error, Result};
    #[cfg(feature = "dynamodb")]
    pub use awsimple_dynamodb::DynamoDbAccess;
    #[cfg(feature = "logs")]
    pub use awsimple_logs::LogsAccess;
    #[cfg(feature = "s3")]
    pub use awsimple_s3::S3Access;
    #[cfg(feature = "sns")]
    pub use awsimple_sns::SnsAccess;
    #[cfg(feature = "sqs")]
    pub use awsimple_sqs::SqsAccess;
}
