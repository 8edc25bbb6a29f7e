//! Making an [`S3Access`]: its builder, the defaults a builder can change, and the options of
//! single transfers ([`UploadOptions`], [`DownloadOptions`]).

use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_s3::Client;
use awsimple_cache::DiskCache;
use awsimple_core::{AwsAccess, Error, Result};

use crate::access::{Inner, S3Access};
use crate::checksum::{CurrentChecksum, WriteChecksum};
use crate::names::validate_bucket_name;

/// Default size above which uploads are multipart and downloads are ranged and parallel.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// Default part size of multipart uploads and ranged downloads.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Default number of parts in flight.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// S3's smallest part (the last part of an upload excepted).
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// A progress callback: `(bytes done, bytes in all)`.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Calls the progress callback, when there is one.
pub(crate) fn report(progress: Option<&Progress>, done: u64, total: u64) {
    if let Some(progress) = progress {
        progress(done, total);
    }
}

/// Options of one upload ([`S3Access::upload_with`]).
#[derive(Clone, Default)]
pub struct UploadOptions {
    pub(crate) force: bool,
    pub(crate) progress: Option<Progress>,
}

impl std::fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadOptions")
            .field("force", &self.force)
            .finish_non_exhaustive()
    }
}

impl UploadOptions {
    /// Default options: skip the transfer when the object already holds the same content.
    pub fn new() -> Self {
        Self::default()
    }

    /// Upload even when the object already holds the same content.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Called with (bytes sent, total) as the upload goes.
    pub fn progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// Options of one download ([`S3Access::download_with`], [`S3Access::download_cached_with`]).
#[derive(Clone, Default)]
pub struct DownloadOptions {
    pub(crate) progress: Option<Progress>,
}

impl std::fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadOptions").finish_non_exhaustive()
    }
}

impl DownloadOptions {
    /// Default options: no progress callback.
    pub fn new() -> Self {
        Self::default()
    }

    /// Called with (bytes received, total) as the download goes.
    pub fn progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// Options of an [`S3Access`]; from [`S3Access::builder`].
#[derive(Debug)]
pub struct S3AccessBuilder {
    access: AwsAccess,
    bucket: String,
    public_readable: bool,
    cache: Option<DiskCache>,
    cache_dir: Option<PathBuf>,
    multipart_threshold: u64,
    part_size: u64,
    concurrency: usize,
    checksum: WriteChecksum,
}

impl S3Access {
    /// A handle with the default options.
    pub fn new(access: &AwsAccess, bucket: impl Into<String>) -> Result<Self> {
        Self::builder(access, bucket).build()
    }

    /// A builder for the options.
    pub fn builder(access: &AwsAccess, bucket: impl Into<String>) -> S3AccessBuilder {
        S3AccessBuilder {
            access: access.clone(),
            bucket: bucket.into(),
            public_readable: false,
            cache: None,
            cache_dir: None,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            checksum: WriteChecksum::default(),
        }
    }
}

impl S3AccessBuilder {
    /// Make the bucket and the objects written through this handle publicly readable
    /// (bucket ownership `BucketOwnerPreferred`, public access block off, objects with ACL
    /// `public-read`). Off by default.
    pub fn public_readable(mut self, on: bool) -> Self {
        self.public_readable = on;
        self
    }

    /// Use this cache for `download_cached` (default: the per-user cache, `awsimple/aws/s3`).
    pub fn cache(mut self, cache: DiskCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Keep the cache in this folder (with the default limits).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Objects larger than this are uploaded in parts and downloaded with parallel ranged GETs
    /// (default 8 MiB; at least 5 MiB, S3's smallest part).
    pub fn multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// Size of the parts and ranges (default 8 MiB; at least 5 MiB).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes;
        self
    }

    /// Parts in flight at once (default 8). Memory use of a large transfer is about
    /// `part size x concurrency`.
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.concurrency = parts;
        self
    }

    /// The native checksum of writes (default [`WriteChecksum::Sha512`]; multipart uploads
    /// send a full-object CRC64NVME for it). Every write also carries the `awsimple-sha512`
    /// metadata, so the content identity is the same whatever the algorithm. A store that
    /// refuses the algorithm makes the handle fall back (CRC64NVME, CRC32, none) at its first
    /// write, single-part or multipart; choose one here to skip that refusal.
    pub fn checksum(mut self, algorithm: WriteChecksum) -> Self {
        self.checksum = algorithm;
        self
    }

    /// Validates the bucket name and the options (no request is sent).
    pub fn build(self) -> Result<S3Access> {
        validate_bucket_name(&self.bucket)?;
        if self.part_size < MIN_PART_SIZE || self.multipart_threshold < MIN_PART_SIZE {
            return Err(Error::invalid(
                "S3 part size or multipart threshold",
                "S3's smallest part is 5 MiB",
            ));
        }
        if self.concurrency == 0 {
            return Err(Error::invalid("S3 concurrency", "must be at least 1"));
        }
        let conf = aws_sdk_s3::config::Builder::from(self.access.sdk_config())
            .interceptor(self.access.request_counter().clone())
            // Any endpoint override (global or S3's own, in code, environment or profile):
            // emulators and S3-compatible stores have no `<bucket>.<host>` names.
            .force_path_style(self.access.service_endpoint_url("S3").is_some())
            .build();
        Ok(S3Access {
            inner: Arc::new(Inner {
                client: Client::from_conf(conf),
                region: self.access.region().to_owned(),
                access: self.access,
                bucket: self.bucket,
                public_readable: self.public_readable,
                cache: self.cache,
                cache_dir: self.cache_dir,
                default_cache: tokio::sync::OnceCell::new(),
                multipart_threshold: self.multipart_threshold,
                part_size: self.part_size,
                concurrency: self.concurrency,
                checksum: CurrentChecksum::new(self.checksum),
            }),
        })
    }
}
