//! [`S3Access`], the handle of one bucket: what it holds and how it names what it works on.
//! The operations are in the files of their concern (`bucket`, `object`, `lister`, `upload`,
//! `download`), each adding an `impl S3Access` block.

use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_s3::Client;
use awsimple_cache::DiskCache;
use awsimple_core::{AwsAccess, Service};

use crate::checksum::CurrentChecksum;

/// S3 as the kit sees it: every request of this crate goes through [`Service::call`] on it.
pub(crate) const S3: Service = Service::new("s3");

/// One S3 bucket. Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> awsimple_core::Result<()> {
/// use awsimple_s3::S3Access;
///
/// let access = awsimple_core::AwsAccess::new().await?;
/// let s3 = S3Access::new(&access, "my-unique-bucket-name")?;
/// s3.create_bucket().await?;
/// s3.write_string("hello world", "hello.txt").await?;
/// assert_eq!(s3.read_string("hello.txt").await?, "hello world");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct S3Access {
    pub(crate) inner: Arc<Inner>,
}

/// What every clone of a handle shares.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) access: AwsAccess,
    pub(crate) region: String,
    pub(crate) bucket: String,
    pub(crate) public_readable: bool,
    /// The cache given to the builder, if any.
    pub(crate) cache: Option<DiskCache>,
    /// The folder of the default cache, if the builder was given one.
    pub(crate) cache_dir: Option<PathBuf>,
    /// The default cache, opened on first use (`None`: it could not be opened).
    pub(crate) default_cache: tokio::sync::OnceCell<Option<DiskCache>>,
    pub(crate) multipart_threshold: u64,
    pub(crate) part_size: u64,
    pub(crate) concurrency: usize,
    /// The native checksum of single-part writes (moves to a fallback when refused).
    pub(crate) checksum: CurrentChecksum,
}

impl S3Access {
    /// The bucket's name.
    pub fn bucket_name(&self) -> &str {
        &self.inner.bucket
    }

    /// The SDK client, for what awsimple does not wrap.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The access this handle was made from.
    pub fn access(&self) -> &AwsAccess {
        &self.inner.access
    }

    /// An object, as errors and spans name it: `s3://bucket/key`.
    pub(crate) fn resource(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.inner.bucket)
    }

    /// The bucket, as errors and spans name it.
    pub(crate) fn bucket_resource(&self) -> String {
        format!("S3 bucket {:?}", self.inner.bucket)
    }
}
