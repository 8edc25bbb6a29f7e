//! [`S3Access`]: one bucket, its objects, and verified, atomic, cached transfers.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumAlgorithm, ChecksumMode, CreateBucketConfiguration,
    ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
};
use awsimple_cache::DiskCache;
use awsimple_core::{AwsAccess, Error, Result};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{Instrument, debug, info_span};

use crate::identity::{self, Identity, SHA512_METADATA};

/// Default size above which uploads are multipart and downloads are ranged and parallel.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;
/// Default part size of multipart uploads and ranged downloads.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Default number of parts in flight.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// HEAD requests in flight in [`S3Access::dir`].
const DIR_CONCURRENCY: usize = 32;

/// A progress callback: `(bytes done, bytes in all)`.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Checks a bucket name: 3 to 63 characters of lower-case letters, digits, `-` and `.`,
/// starting and ending with a letter or digit, no `..`, not shaped like an IP address, and
/// none of the prefixes and suffixes S3 reserves.
pub fn validate_bucket_name(name: &str) -> Result<()> {
    let what = || format!("S3 bucket name {name:?}");
    let reason = if !(3..=63).contains(&name.len()) {
        Some("must be 3 to 63 characters long")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        Some("only lower-case letters, digits, '-' and '.' are allowed")
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        Some("must start and end with a letter or digit")
    } else if name.contains("..") {
        Some("must not contain '..'")
    } else if name.parse::<std::net::Ipv4Addr>().is_ok() {
        Some("must not look like an IP address")
    } else if name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias")
    {
        Some("uses a prefix or suffix S3 reserves")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::invalid(what(), reason)),
        None => Ok(()),
    }
}

/// Checks an object key: 1 to 1024 bytes of UTF-8.
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid("S3 key", "it is empty"));
    }
    if key.len() > 1024 {
        return Err(Error::invalid(
            format!("S3 key {:?}...", &key[..key.floor_char_boundary(40)]),
            format!("{} bytes is over the 1024-byte limit", key.len()),
        ));
    }
    Ok(())
}

/// The relative path a key gets inside a destination folder; keys that would leave the folder
/// (`..`, absolute, a drive, NUL, empty parts) are rejected.
pub fn key_to_relative_path(key: &str) -> Result<PathBuf> {
    validate_key(key)?;
    let bad = |reason: &str| {
        Err(Error::invalid(
            format!("S3 key {key:?} as a file name"),
            reason,
        ))
    };
    if key.contains('\0') {
        return bad("it contains NUL");
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return bad("it is an absolute path");
    }
    let mut path = PathBuf::new();
    for part in key.split('/') {
        if part.is_empty()
            || part == "."
            || part == ".."
            || part.contains('\\')
            || part.contains(':')
        {
            return bad("it would leave the destination folder or has an empty part");
        }
        path.push(part);
    }
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return bad("it would leave the destination folder");
    }
    Ok(path)
}

/// What S3 says about an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct S3ObjectMetadata {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modified.
    pub mtime: SystemTime,
    /// The ETag, without quotes.
    pub etag: String,
    /// Hex SHA-512 of the content, when the object has one (native checksum or metadata).
    pub sha512: Option<String>,
    /// The base64 full-object CRC64NVME S3 holds for the object, when it has one (multipart
    /// uploads of awsimple, Rust or Python; a composite `-N` checksum is not one).
    pub crc64nvme: Option<String>,
    /// The content identity (see [`Identity`]).
    #[serde(skip)]
    pub identity: Identity,
    /// The object URL (`https://<bucket>.s3.<region>.amazonaws.com/<key>`).
    pub url: String,
}

/// What [`S3Access::download_cached`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DownloadStatus {
    /// The file is at its destination.
    pub success: bool,
    /// It came from the local cache (one HEAD request, no transfer).
    pub cache_hit: bool,
    /// It was written into the cache.
    pub cache_write: bool,
    /// Where it is.
    pub path: PathBuf,
}

/// Options of one upload.
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

    /// Validates the bucket name and the options (no request is sent).
    pub fn build(self) -> Result<S3Access> {
        validate_bucket_name(&self.bucket)?;
        const MIN_PART: u64 = 5 * 1024 * 1024;
        if self.part_size < MIN_PART || self.multipart_threshold < MIN_PART {
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
            .force_path_style(self.access.endpoint_url().is_some())
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
            }),
        })
    }
}

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

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    access: AwsAccess,
    region: String,
    pub(crate) bucket: String,
    pub(crate) public_readable: bool,
    cache: Option<DiskCache>,
    cache_dir: Option<PathBuf>,
    default_cache: tokio::sync::OnceCell<Option<DiskCache>>,
    pub(crate) multipart_threshold: u64,
    pub(crate) part_size: u64,
    pub(crate) concurrency: usize,
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
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
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

    pub(crate) fn resource(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.inner.bucket)
    }

    fn bucket_resource(&self) -> String {
        format!("S3 bucket {:?}", self.inner.bucket)
    }

    /// The cache of `download_cached`; `None` when it cannot be opened (logged: a miss).
    pub(crate) async fn cache(&self) -> Option<DiskCache> {
        if let Some(cache) = &self.inner.cache {
            return Some(cache.clone());
        }
        self.inner
            .default_cache
            .get_or_init(|| async {
                let dir = self.inner.cache_dir.clone();
                let built = tokio::task::spawn_blocking(move || {
                    let mut builder = DiskCache::builder("s3");
                    if let Some(dir) = dir {
                        builder = builder.dir(dir);
                    }
                    builder.build()
                })
                .await;
                match built {
                    Ok(Ok(cache)) => Some(cache),
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "S3 cache unavailable: downloads are not cached");
                        None
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "S3 cache unavailable: downloads are not cached");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    // ---- buckets ----------------------------------------------------------------------------

    /// Creates the bucket in the access's region (no location constraint in us-east-1).
    /// `Ok(false)` when it exists and is yours (a HEAD and a ListBuckets then, no CreateBucket,
    /// which in us-east-1 would reset the bucket's ACL); [`Error::OwnedByAnother`] when the name
    /// is taken by another account, even one that lets you read the bucket. With
    /// `public_readable`, the bucket is opened for public reads.
    pub async fn create_bucket(&self) -> Result<bool> {
        // us-east-1 answers 200 to re-creating a bucket you own, so ask first: 200 = ours,
        // 403 = someone else's, 404 = free.
        let span = info_span!("s3.head_bucket", bucket = %self.inner.bucket);
        match self
            .inner
            .client
            .head_bucket()
            .bucket(&self.inner.bucket)
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "HeadBucket", self.bucket_resource()))
        {
            Ok(_) => {
                // A bucket of another account answers 200 too when it lets us read it (a public
                // bucket, a cross-account policy): only our own ListBuckets tells them apart.
                if !self.bucket_is_ours().await? {
                    return Err(Error::OwnedByAnother {
                        resource: self.bucket_resource(),
                    });
                }
                if self.inner.public_readable {
                    self.open_for_public_reads().await?;
                }
                return Ok(false);
            }
            Err(Error::PermissionDenied { .. }) => {
                return Err(Error::OwnedByAnother {
                    resource: self.bucket_resource(),
                });
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut request = self.inner.client.create_bucket().bucket(&self.inner.bucket);
        if self.inner.region != "us-east-1" {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.inner.region.as_str()))
                    .build(),
            );
        }
        if self.inner.public_readable {
            request = request.object_ownership(ObjectOwnership::BucketOwnerPreferred);
        }
        let span = info_span!("s3.create_bucket", bucket = %self.inner.bucket);
        let created = match request
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "CreateBucket", self.bucket_resource()))
        {
            Ok(_) => true,
            Err(Error::AlreadyExists { .. }) => false,
            Err(e) => return Err(e),
        };
        if self.inner.public_readable {
            self.open_for_public_reads().await?;
        }
        Ok(created)
    }

    /// Is the bucket among this account's own (ListBuckets, filtered by the name as prefix)?
    async fn bucket_is_ours(&self) -> Result<bool> {
        let span = info_span!("s3.list_buckets", prefix = %self.inner.bucket);
        let mut pages = self
            .inner
            .client
            .list_buckets()
            .prefix(&self.inner.bucket)
            .into_paginator()
            .send();
        async {
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| Error::from_sdk(e, "ListBuckets", "S3 buckets"))?;
                if page
                    .buckets()
                    .iter()
                    .any(|b| b.name() == Some(self.inner.bucket.as_str()))
                {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        .instrument(span)
        .await
    }

    async fn open_for_public_reads(&self) -> Result<()> {
        let rule = OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::BucketOwnerPreferred)
            .build()
            .map_err(|e| Error::invalid("ownership controls", e.to_string()))?;
        let controls = OwnershipControls::builder()
            .rules(rule)
            .build()
            .map_err(|e| Error::invalid("ownership controls", e.to_string()))?;
        self.inner
            .client
            .put_bucket_ownership_controls()
            .bucket(&self.inner.bucket)
            .ownership_controls(controls)
            .send()
            .await
            .map_err(|e| {
                Error::from_sdk(e, "PutBucketOwnershipControls", self.bucket_resource())
            })?;
        match self
            .inner
            .client
            .delete_public_access_block()
            .bucket(&self.inner.bucket)
            .send()
            .await
            .map_err(|e| Error::from_sdk(e, "DeletePublicAccessBlock", self.bucket_resource()))
        {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes the (empty) bucket; false when it did not exist.
    pub async fn delete_bucket(&self) -> Result<bool> {
        let span = info_span!("s3.delete_bucket", bucket = %self.inner.bucket);
        match self
            .inner
            .client
            .delete_bucket()
            .bucket(&self.inner.bucket)
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "DeleteBucket", self.bucket_resource()))
        {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// True when the bucket exists (and is reachable with these credentials).
    pub async fn bucket_exists(&self) -> Result<bool> {
        let span = info_span!("s3.head_bucket", bucket = %self.inner.bucket);
        match self
            .inner
            .client
            .head_bucket()
            .bucket(&self.inner.bucket)
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "HeadBucket", self.bucket_resource()))
        {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Names of every bucket of the account, sorted.
    pub async fn bucket_list(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut pages = self.inner.client.list_buckets().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::from_sdk(e, "ListBuckets", "S3 buckets"))?;
            names.extend(
                page.buckets()
                    .iter()
                    .filter_map(|b| b.name().map(str::to_owned)),
            );
        }
        names.sort();
        Ok(names)
    }

    // ---- small objects ----------------------------------------------------------------------

    /// Writes bytes as one object, with the native SHA-512 checksum (S3 validates it) and the
    /// `awsimple-sha512` metadata.
    pub async fn write_bytes(&self, bytes: impl Into<Vec<u8>>, key: &str) -> Result<()> {
        validate_key(key)?;
        let bytes = bytes.into();
        let digest = awsimple_core::sha512(&bytes);
        self.put_object(key, ByteStream::from(bytes), &digest).await
    }

    pub(crate) async fn put_object(
        &self,
        key: &str,
        body: ByteStream,
        digest: &awsimple_core::Sha512Digest,
    ) -> Result<()> {
        let mut request = self
            .inner
            .client
            .put_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .body(body)
            // The SDK cannot compute SHA-512 itself: the value is ours, the algorithm header
            // tells S3 which checksum to store (moto stores none without it).
            .checksum_algorithm(ChecksumAlgorithm::Sha512)
            .checksum_sha512(digest.to_base64())
            .metadata(SHA512_METADATA, digest.to_hex());
        if self.inner.public_readable {
            request = request.acl(ObjectCannedAcl::PublicRead);
        }
        let span = info_span!("s3.put_object", bucket = %self.inner.bucket, key);
        request
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "PutObject", self.resource(key)))?;
        Ok(())
    }

    /// The whole object, verified against its SHA-512 or full-object CRC64NVME when it has one.
    pub async fn read_bytes(&self, key: &str) -> Result<Vec<u8>> {
        validate_key(key)?;
        let span = info_span!("s3.get_object", bucket = %self.inner.bucket, key);
        let out = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "GetObject", self.resource(key)))?;
        let expected = identity::identity_of(&identity::ObjectFacts {
            bucket: &self.inner.bucket,
            key,
            size: 0,
            mtime_secs: 0,
            etag: "",
            native_sha512: out.checksum_sha512(),
            metadata_sha512: out
                .metadata()
                .and_then(|m| m.get(SHA512_METADATA))
                .map(String::as_str),
            native_crc64: out.checksum_crc64_nvme(),
        });
        let checksum = crate::transfer::sdk_checksum_name(&out);
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| crate::transfer::body_error(&self.resource(key), checksum, e))?
            .to_vec();
        crate::transfer::verify_bytes(&self.resource(key), &expected, &bytes)?;
        Ok(bytes)
    }

    /// Writes a string.
    pub async fn write_string(&self, text: &str, key: &str) -> Result<()> {
        self.write_bytes(text.as_bytes().to_vec(), key).await
    }

    /// Reads a string ([`Error::Serialization`] when the object is not UTF-8).
    pub async fn read_string(&self, key: &str) -> Result<String> {
        let bytes = self.read_bytes(key).await?;
        String::from_utf8(bytes).map_err(|e| Error::serialization(self.resource(key), e))
    }

    /// Writes lines, joined with `\n`.
    pub async fn write_lines<S: AsRef<str>>(&self, lines: &[S], key: &str) -> Result<()> {
        let text = lines
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join("\n");
        self.write_string(&text, key).await
    }

    /// Reads lines.
    pub async fn read_lines(&self, key: &str) -> Result<Vec<String>> {
        Ok(self
            .read_string(key)
            .await?
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// Writes a value as JSON; `.json` is appended to the key when it does not end with it
    /// (as in Python). Returns the key used.
    pub async fn write_json<T: Serialize + ?Sized>(&self, value: &T, key: &str) -> Result<String> {
        let key = json_key(key);
        let bytes =
            serde_json::to_vec(value).map_err(|e| Error::serialization(self.resource(&key), e))?;
        self.write_bytes(bytes, &key).await?;
        Ok(key)
    }

    /// Reads JSON into `T` (`.json` appended to the key when missing).
    pub async fn read_json<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let key = json_key(key);
        let bytes = self.read_bytes(&key).await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::serialization(self.resource(&key), e))
    }

    /// Reads JSON through the local cache: one HEAD, and the transfer only on a miss.
    pub async fn read_json_cached<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let key = json_key(key);
        let folder = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let path = folder.path().join("object.json");
        self.download_cached(&key, &path).await?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::serialization(self.resource(&key), e))
    }

    /// Deletes an object (S3 answers success for a missing key too).
    pub async fn delete_object(&self, key: &str) -> Result<()> {
        validate_key(key)?;
        let span = info_span!("s3.delete_object", bucket = %self.inner.bucket, key);
        self.inner
            .client
            .delete_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "DeleteObject", self.resource(key)))?;
        Ok(())
    }

    /// True when the object exists.
    pub async fn object_exists(&self, key: &str) -> Result<bool> {
        match self.get_object_metadata(key).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The object's metadata and content identity (one HEAD request).
    pub async fn get_object_metadata(&self, key: &str) -> Result<S3ObjectMetadata> {
        validate_key(key)?;
        let span = info_span!("s3.head_object", bucket = %self.inner.bucket, key);
        let out = self
            .inner
            .client
            .head_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "HeadObject", self.resource(key)))?;
        let size = out.content_length().unwrap_or(0).max(0) as u64;
        let mtime_secs = out.last_modified().map_or(0, |t| t.secs());
        let mtime = out
            .last_modified()
            .and_then(|t| SystemTime::try_from(*t).ok())
            .unwrap_or(UNIX_EPOCH);
        let etag = out.e_tag().unwrap_or_default().trim_matches('"').to_owned();
        let identity = identity::identity_of(&identity::ObjectFacts {
            bucket: &self.inner.bucket,
            key,
            size,
            mtime_secs,
            etag: &etag,
            native_sha512: out.checksum_sha512(),
            metadata_sha512: out
                .metadata()
                .and_then(|m| m.get(SHA512_METADATA))
                .map(String::as_str),
            native_crc64: out.checksum_crc64_nvme(),
        });
        Ok(S3ObjectMetadata {
            bucket: self.inner.bucket.clone(),
            key: key.to_owned(),
            size,
            mtime,
            etag,
            sha512: match &identity {
                Identity::Sha512(hex) => Some(hex.clone()),
                _ => None,
            },
            crc64nvme: out
                .checksum_crc64_nvme()
                .filter(|crc| identity::is_full_object_crc64(crc))
                .map(str::to_owned),
            identity,
            url: self.object_url(key),
        })
    }

    /// Every key under `prefix`, across all pages, sorted.
    pub async fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut pages = self
            .inner
            .client
            .list_objects_v2()
            .bucket(&self.inner.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                Error::from_sdk(
                    e,
                    "ListObjectsV2",
                    format!("s3://{}/{prefix}*", self.inner.bucket),
                )
            })?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        keys.sort();
        Ok(keys)
    }

    /// Metadata of every object under `prefix`: one LIST per 1000 keys, then the HEADs (for
    /// the SHA-512) with up to 32 in flight.
    pub async fn dir(&self, prefix: &str) -> Result<BTreeMap<String, S3ObjectMetadata>> {
        let keys = self.keys(prefix).await?;
        futures::stream::iter(keys)
            .map(|key| async move {
                let meta = self.get_object_metadata(&key).await?;
                Ok::<_, Error>((key, meta))
            })
            .buffer_unordered(DIR_CONCURRENCY)
            .try_collect()
            .await
    }

    /// The object's URL: `https://<bucket>.s3.<region>.amazonaws.com/<key>`.
    pub fn object_url(&self, key: &str) -> String {
        format!(
            "https://{}.s3.{}.amazonaws.com/{key}",
            self.inner.bucket, self.inner.region
        )
    }

    /// A URL anyone can GET the object with until it expires.
    pub async fn presigned_get(&self, key: &str, expires_in: Duration) -> Result<String> {
        validate_key(key)?;
        let config = presigning(expires_in)?;
        let request = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| Error::from_sdk(e, "GetObject", self.resource(key)))?;
        Ok(request.uri().to_owned())
    }

    /// A URL anyone can PUT the object with until it expires.
    pub async fn presigned_put(&self, key: &str, expires_in: Duration) -> Result<String> {
        validate_key(key)?;
        let config = presigning(expires_in)?;
        let request = self
            .inner
            .client
            .put_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| Error::from_sdk(e, "PutObject", self.resource(key)))?;
        Ok(request.uri().to_owned())
    }

    /// The destination file of a download: `dest` itself, or `dest/<key>` when `dest` is an
    /// existing folder (the key may not leave it).
    pub(crate) fn destination(&self, key: &str, dest: &Path) -> Result<PathBuf> {
        if dest.is_dir() {
            Ok(dest.join(key_to_relative_path(key)?))
        } else {
            Ok(dest.to_path_buf())
        }
    }

    pub(crate) fn debug_skip(&self, key: &str) {
        debug!(bucket = %self.inner.bucket, key, "upload skipped: the object holds the same content");
    }
}

fn presigning(expires_in: Duration) -> Result<PresigningConfig> {
    PresigningConfig::expires_in(expires_in)
        .map_err(|e| Error::invalid("presigned URL lifetime", e.to_string()))
}

/// `key` with `.json` appended when missing.
pub fn json_key(key: &str) -> String {
    if key.ends_with(".json") {
        key.to_owned()
    } else {
        format!("{key}.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for good in ["abc", "my-bucket.v2", "a1b", &"a".repeat(63)] {
            assert!(validate_bucket_name(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "Upper",
            "-start",
            "end-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "a_b",
            "bucket-s3alias",
            &"a".repeat(64),
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_and_paths() {
        assert!(validate_key("").is_err());
        assert!(validate_key(&"k".repeat(1025)).is_err());
        assert!(validate_key(&"k".repeat(1024)).is_ok());
        assert_eq!(
            key_to_relative_path("a/b/c.txt").unwrap(),
            Path::new("a/b/c.txt")
        );
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "a\0b",
            "./a",
            "dir/",
            "c:/x",
            "a\\..\\b",
        ] {
            assert!(key_to_relative_path(bad).is_err(), "{bad:?}");
        }
        assert_eq!(json_key("a"), "a.json");
        assert_eq!(json_key("a.json"), "a.json");
    }
}
