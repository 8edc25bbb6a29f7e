//! File transfers: uploads that skip unchanged content, multipart uploads with a full-object
//! CRC64NVME, verified and atomic downloads (parallel ranges for large objects), the cache.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
    ObjectCannedAcl,
};
use awsimple_core::{Error, Result, Sha512Digest};
use futures::{StreamExt, TryStreamExt};
use tracing::{Instrument, debug, info_span, warn};

use crate::access::{DownloadStatus, Progress, S3Access, S3ObjectMetadata, UploadOptions};
use crate::identity::{self, Crc64, Identity, SHA512_METADATA};

/// Tolerance of the size + mtime comparison when the object has no content hash.
const MTIME_TOLERANCE_SECS: u64 = 10;
/// Attempts of a GET whose body is cut off (the SDK retries requests, not bodies).
const BODY_ATTEMPTS: usize = 3;
/// Attempts of CompleteMultipartUpload (S3 can answer it with 200 and an error body).
const COMPLETE_ATTEMPTS: usize = 4;

/// Checks bytes against an identity (SHA-512 or CRC64NVME; a substitute checks nothing).
pub(crate) fn verify_bytes(resource: &str, expected: &Identity, bytes: &[u8]) -> Result<()> {
    match expected {
        Identity::Sha512(hex) => {
            let actual = awsimple_core::sha512(bytes).to_hex();
            if &actual != hex {
                return Err(integrity(resource, "SHA-512", hex, &actual));
            }
        }
        Identity::Crc64Nvme(b64) => {
            let mut crc = Crc64::new();
            crc.update(bytes);
            let actual = crc.finish();
            if &actual != b64 {
                return Err(integrity(resource, "CRC64NVME", b64, &actual));
            }
        }
        Identity::Substitute(_) => {}
    }
    Ok(())
}

/// The checksum the SDK validates a GET response against, in the SDK's order of preference
/// (it validates CRC64NVME, CRC32C, CRC32, SHA-1 and SHA-256, not SHA-512).
pub(crate) fn sdk_checksum_name(out: &GetObjectOutput) -> &'static str {
    if out.checksum_crc64_nvme().is_some() {
        "CRC64NVME"
    } else if out.checksum_crc32_c().is_some() {
        "CRC32C"
    } else if out.checksum_crc32().is_some() {
        "CRC32"
    } else if out.checksum_sha1().is_some() {
        "SHA-1"
    } else {
        "SHA-256"
    }
}

/// A failed response body: [`Error::Integrity`] when the SDK's own response-checksum
/// validation failed (the body does not match the stored checksum; not worth a retry),
/// otherwise a transient [`Error::Unreachable`] (the body was cut off).
pub(crate) fn body_error(
    resource: &str,
    checksum: &'static str,
    e: aws_smithy_types::byte_stream::error::Error,
) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(current) = source {
        if let Some(aws_smithy_checksums::body::validate::Error::ChecksumMismatch {
            expected,
            actual,
        }) = current.downcast_ref()
        {
            return integrity(resource, checksum, &hex_of(expected), &hex_of(actual));
        }
        source = current.source();
    }
    Error::Unreachable {
        resource: resource.to_owned(),
        operation: "GetObject",
        message: format!("the body was cut off: {e}"),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn integrity(resource: &str, algorithm: &str, expected: &str, actual: &str) -> Error {
    Error::Integrity {
        resource: resource.to_owned(),
        algorithm: algorithm.to_owned(),
        expected: expected.to_owned(),
        actual: actual.to_owned(),
    }
}

/// The checksum of an object's identity, computed as the bytes stream past in order.
pub(crate) struct ContentCheck {
    sha512: Option<awsimple_core::Sha512Hasher>,
    crc64: Option<Crc64>,
    expected: Identity,
}

impl ContentCheck {
    pub(crate) fn new(expected: &Identity) -> Self {
        Self {
            sha512: matches!(expected, Identity::Sha512(_)).then(awsimple_core::Sha512Hasher::new),
            crc64: matches!(expected, Identity::Crc64Nvme(_)).then(Crc64::new),
            expected: expected.clone(),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        if let Some(h) = self.sha512.as_mut() {
            h.update(data);
        }
        if let Some(c) = self.crc64.as_mut() {
            c.update(data);
        }
    }

    /// Compares with the identity (a substitute identity checks nothing).
    pub(crate) fn verify(self, resource: &str) -> Result<()> {
        match (&self.expected, self.sha512, self.crc64) {
            (Identity::Sha512(hex), Some(h), _) => {
                let actual = h.finish().to_hex();
                if &actual != hex {
                    return Err(integrity(resource, "SHA-512", hex, &actual));
                }
            }
            (Identity::Crc64Nvme(b64), _, Some(c)) => {
                let actual = c.finish();
                if &actual != b64 {
                    return Err(integrity(resource, "CRC64NVME", b64, &actual));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The part buffers of one multipart upload, used again part after part. Fresh 8 MiB buffers
/// for every part would be freed into glibc's arenas (its mmap threshold grows to the size of
/// the freed blocks), holding about twice `part size x concurrency` at the peak.
#[derive(Default)]
struct PartBuffers(std::sync::Mutex<Vec<bytes::BytesMut>>);

impl PartBuffers {
    /// A buffer of `len` bytes to read a part into, from the pool when it has one (a reused
    /// buffer keeps its old bytes: the read overwrites them all or fails).
    fn take(&self, len: usize) -> bytes::BytesMut {
        let reused = self.0.lock().ok().and_then(|mut free| free.pop());
        let mut buffer = reused.unwrap_or_default();
        if buffer.len() != len {
            buffer.clear();
            buffer.resize(len, 0);
        }
        buffer
    }

    /// Returns a part's bytes to the pool once the SDK no longer holds them.
    fn give_back(&self, bytes: bytes::Bytes) {
        if let (Ok(buffer), Ok(mut free)) = (bytes.try_into_mut(), self.0.lock()) {
            free.push(buffer);
        }
    }
}

/// Writes all of `buf` at `offset` without moving a shared cursor, so ranges can be written
/// from several threads at once.
fn write_all_at(file: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_write(file, buf, offset) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn blocking_err(path: &Path, e: tokio::task::JoinError) -> Error {
    Error::io(path, std::io::Error::other(e))
}

fn report(progress: &Option<Progress>, done: u64, total: u64) {
    if let Some(progress) = progress {
        progress(done, total);
    }
}

impl S3Access {
    /// Uploads a file unless the object already holds the same content (one HEAD request
    /// then, no transfer). Returns whether it was uploaded.
    pub async fn upload(&self, path: impl AsRef<Path>, key: &str) -> Result<bool> {
        self.upload_with(path, key, &UploadOptions::new()).await
    }

    /// [`S3Access::upload`] with options (force, progress).
    pub async fn upload_with(
        &self,
        path: impl AsRef<Path>,
        key: &str,
        options: &UploadOptions,
    ) -> Result<bool> {
        crate::access::validate_key(key)?;
        let path = path.as_ref().to_path_buf();
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| Error::io(&path, e))?;
        let size = meta.len();
        let multipart = size > self.inner.multipart_threshold;

        // One pass for the SHA-512 (and the CRC64NVME of a multipart upload).
        let hashing = path.clone();
        let (sha512, crc64) =
            tokio::task::spawn_blocking(move || identity::hash_file(&hashing, multipart))
                .await
                .map_err(|e| blocking_err(&path, e))??;

        if !options.force {
            match self.get_object_metadata(key).await {
                Ok(remote)
                    if self
                        .same_content(&remote, &sha512, crc64.as_deref(), &path, &meta)
                        .await? =>
                {
                    self.debug_skip(key);
                    return Ok(false);
                }
                Ok(_) | Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        if multipart {
            self.multipart_upload(
                &path,
                key,
                size,
                &sha512,
                crc64.unwrap_or_default(),
                options,
            )
            .await?;
        } else {
            let body = ByteStream::from_path(&path)
                .await
                .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
            self.put_object(key, body, &sha512).await?;
            report(&options.progress, size, size);
        }
        Ok(true)
    }

    async fn same_content(
        &self,
        remote: &S3ObjectMetadata,
        sha512: &Sha512Digest,
        crc64: Option<&str>,
        path: &Path,
        meta: &std::fs::Metadata,
    ) -> Result<bool> {
        if remote.size != meta.len() {
            return Ok(false);
        }
        match &remote.identity {
            Identity::Sha512(_) => Ok(identity::matches(&remote.identity, sha512, None)),
            Identity::Crc64Nvme(_) => {
                let crc = match crc64 {
                    Some(crc) => crc.to_owned(),
                    None => {
                        let hashing = path.to_path_buf();
                        tokio::task::spawn_blocking(move || identity::hash_file(&hashing, true))
                            .await
                            .map_err(|e| blocking_err(path, e))??
                            .1
                            .unwrap_or_default()
                    }
                };
                Ok(identity::matches(&remote.identity, sha512, Some(&crc)))
            }
            Identity::Substitute(_) => {
                // No hash to compare: size and mtime, within 10 s (as in Python).
                let local = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                let diff = match local.duration_since(remote.mtime) {
                    Ok(d) => d,
                    Err(e) => e.duration(),
                };
                Ok(diff.as_secs() <= MTIME_TOLERANCE_SECS)
            }
        }
    }

    /// A multipart upload; when it fails after its parts went up (a Complete that S3 keeps
    /// answering with 200 and an error, say), it is aborted and made once more from scratch.
    async fn multipart_upload(
        &self,
        path: &Path,
        key: &str,
        size: u64,
        sha512: &Sha512Digest,
        crc64: String,
        options: &UploadOptions,
    ) -> Result<()> {
        match self
            .multipart_upload_once(path, key, size, sha512, crc64.clone(), options)
            .await
        {
            Err(
                e @ Error::Service {
                    status: Some(200), ..
                },
            ) => {
                warn!(key, error = %e, "the multipart upload did not complete: uploading it again");
                self.multipart_upload_once(path, key, size, sha512, crc64, options)
                    .await
            }
            other => other,
        }
    }

    async fn multipart_upload_once(
        &self,
        path: &Path,
        key: &str,
        size: u64,
        sha512: &Sha512Digest,
        crc64: String,
        options: &UploadOptions,
    ) -> Result<()> {
        let resource = self.resource(key);
        let mut create = self
            .inner
            .client
            .create_multipart_upload()
            .bucket(&self.inner.bucket)
            .key(key)
            .metadata(SHA512_METADATA, sha512.to_hex())
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .checksum_type(ChecksumType::FullObject);
        if self.inner.public_readable {
            create = create.acl(ObjectCannedAcl::PublicRead);
        }
        let span = info_span!("s3.create_multipart_upload", bucket = %self.inner.bucket, key, size);
        let created = create
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "CreateMultipartUpload", resource.clone()))?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        let result = self
            .upload_parts_and_complete(path, key, size, &upload_id, crc64, options)
            .await;
        if let Err(e) = &result {
            warn!(bucket = %self.inner.bucket, key, error = %e, "multipart upload failed: aborting it");
            if let Err(abort) = self
                .inner
                .client
                .abort_multipart_upload()
                .bucket(&self.inner.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await
            {
                warn!(key, error = %abort, "could not abort the multipart upload");
            }
        }
        result
    }

    async fn upload_parts_and_complete(
        &self,
        path: &Path,
        key: &str,
        size: u64,
        upload_id: &str,
        crc64: String,
        options: &UploadOptions,
    ) -> Result<()> {
        let part_size = self.inner.part_size;
        let parts = size.div_ceil(part_size);
        let done = Arc::new(AtomicU64::new(0));
        let resource = self.resource(key);
        let pool = PartBuffers::default();
        let mut completed: Vec<CompletedPart> = futures::stream::iter(0..parts)
            .map(|index| {
                let path = path.to_path_buf();
                let done = done.clone();
                let resource = resource.clone();
                let pool = &pool;
                async move {
                    let offset = index * part_size;
                    let len = part_size.min(size - offset);
                    let reading = path.clone();
                    let mut buffer = pool.take(len as usize);
                    // Each part is read when its turn comes, into a buffer of the pool: memory
                    // stays at part x concurrency.
                    let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
                        let mut file = std::fs::File::open(&reading)?;
                        file.seek(SeekFrom::Start(offset))?;
                        file.read_exact(&mut buffer)?;
                        Ok(buffer.freeze())
                    })
                    .await
                    .map_err(|e| blocking_err(&path, e))?
                    .map_err(|e| Error::io(&path, e))?;
                    let number = (index + 1) as i32;
                    let span = info_span!("s3.upload_part", key, part = number);
                    let out = self
                        .inner
                        .client
                        .upload_part()
                        .bucket(&self.inner.bucket)
                        .key(key)
                        .upload_id(upload_id)
                        .part_number(number)
                        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
                        .body(ByteStream::from(bytes.clone()))
                        .send()
                        .instrument(span)
                        .await
                        .map_err(|e| Error::from_sdk(e, "UploadPart", resource))?;
                    pool.give_back(bytes);
                    let total = done.fetch_add(len, Ordering::SeqCst) + len;
                    report(&options.progress, total, size);
                    Ok::<_, Error>(
                        CompletedPart::builder()
                            .part_number(number)
                            .set_e_tag(out.e_tag().map(str::to_owned))
                            .set_checksum_crc64_nvme(out.checksum_crc64_nvme().map(str::to_owned))
                            .build(),
                    )
                }
            })
            .buffer_unordered(self.inner.concurrency)
            .try_collect()
            .await?;
        completed.sort_by_key(|p| p.part_number());
        let upload = CompletedMultipartUpload::builder()
            .set_parts(Some(completed))
            .build();
        // S3 may answer CompleteMultipartUpload with 200 and an error in the body (AWS: retry
        // the call); it is idempotent for the same upload id. moto does it now and then too.
        let mut attempt = 1;
        loop {
            let span = info_span!("s3.complete_multipart_upload", key, parts, attempt);
            let result = self
                .inner
                .client
                .complete_multipart_upload()
                .bucket(&self.inner.bucket)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(upload.clone())
                .checksum_crc64_nvme(crc64.clone())
                .checksum_type(ChecksumType::FullObject)
                .send()
                .instrument(span)
                .await
                .map_err(|e| Error::from_sdk(e, "CompleteMultipartUpload", resource.clone()));
            match result {
                Ok(_) => return Ok(()),
                Err(e)
                    if attempt < COMPLETE_ATTEMPTS
                        && (e.is_transient()
                            || matches!(
                                e,
                                Error::Service {
                                    status: Some(200),
                                    ..
                                }
                            )) =>
                {
                    warn!(key, attempt, error = %e, "CompleteMultipartUpload failed: retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt as u64))
                        .await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Downloads an object to `dest` (a file, or an existing folder where the key becomes the
    /// file name). The file is written beside its destination under a temporary name, verified,
    /// given the object's LastModified as mtime, and renamed into place: on any failure nothing
    /// is left at the destination. The check is the object's full-object CRC64NVME when S3
    /// holds one (awsimple's multipart uploads; about ten times cheaper than SHA-512, and S3
    /// validated it when the object was written), else its SHA-512 identity.
    /// [`S3Access::download_cached`] always checks the SHA-512 identity, which names the entry.
    pub async fn download(&self, key: &str, dest: impl AsRef<Path>) -> Result<PathBuf> {
        self.download_with(key, dest, None).await
    }

    /// [`S3Access::download`] with a progress callback `(bytes done, total)`.
    pub async fn download_with(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
        progress: Option<Progress>,
    ) -> Result<PathBuf> {
        crate::access::validate_key(key)?;
        let dest = self.destination(key, dest.as_ref())?;
        let meta = self.get_object_metadata(key).await?;
        // The full-object CRC64NVME, when S3 holds one, proves the bytes are the object's at a
        // fraction of SHA-512's cost (S3 checked it when the object was written).
        let expected = match &meta.crc64nvme {
            Some(crc) => Identity::Crc64Nvme(crc.clone()),
            None => meta.identity.clone(),
        };
        self.download_verified(&meta, &expected, &dest, &progress)
            .await?;
        Ok(dest)
    }

    /// The transfer itself, for a known object: temp file, verify, mtime, rename.
    async fn download_verified(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Identity,
        dest: &Path,
        progress: &Option<Progress>,
    ) -> Result<()> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|e| Error::io(&parent, e))?;
        let temp = tempfile::Builder::new()
            .prefix(".awsimple-download-")
            .tempfile_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        let temp_path = temp.path().to_path_buf();
        // The content is checked as it arrives (in order), so verifying costs no second pass.
        let check = if meta.size > self.inner.multipart_threshold {
            self.ranged_download(meta, expected, &temp_path, progress)
                .await?
        } else {
            self.single_download(meta, expected, &temp_path, progress)
                .await?
        };
        check.verify(&self.resource(&meta.key))?;
        let mtime = meta.mtime;
        let dest = dest.to_path_buf();
        tokio::task::spawn_blocking(move || -> Result<()> {
            temp.as_file()
                .set_modified(mtime)
                .map_err(|e| Error::io(temp.path(), e))?;
            temp.as_file()
                .sync_all()
                .map_err(|e| Error::io(temp.path(), e))?;
            temp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
            Ok(())
        })
        .await
        .map_err(|e| blocking_err(&temp_path, e))?
    }

    async fn single_download(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Identity,
        temp: &Path,
        progress: &Option<Progress>,
    ) -> Result<ContentCheck> {
        let mut attempt = 1;
        loop {
            match self
                .single_download_once(meta, expected, temp, progress)
                .await
            {
                Err(e) if e.is_transient() && attempt < BODY_ATTEMPTS => {
                    warn!(key = %meta.key, attempt, error = %e, "download interrupted: starting again");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn single_download_once(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Identity,
        temp: &Path,
        progress: &Option<Progress>,
    ) -> Result<ContentCheck> {
        let resource = self.resource(&meta.key);
        let span = info_span!("s3.get_object", bucket = %self.inner.bucket, key = %meta.key);
        let out = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(&meta.key)
            .if_match(format!("\"{}\"", meta.etag))
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "GetObject", resource.clone()))?;
        let checksum = sdk_checksum_name(&out);
        let mut body = out.body;
        let mut file = std::fs::File::create(temp).map_err(|e| Error::io(temp, e))?;
        let mut check = ContentCheck::new(expected);
        let mut done = 0u64;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| body_error(&resource, checksum, e))?
        {
            file.write_all(&chunk).map_err(|e| Error::io(temp, e))?;
            check.update(&chunk);
            done += chunk.len() as u64;
            report(progress, done, meta.size);
        }
        if done != meta.size {
            return Err(Error::Unreachable {
                resource,
                operation: "GetObject",
                message: format!("got {done} of {} bytes", meta.size),
            });
        }
        Ok(check)
    }

    /// Parallel ranged GETs (`concurrency` in flight). Each range is written at its offset as
    /// soon as it arrives, whatever the order, while the checksum takes the ranges in order on
    /// its own thread: hashing overlaps the transfer and the writes, memory stays at about
    /// `part size x concurrency`, and verifying needs no second pass over the file.
    async fn ranged_download(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Identity,
        temp: &Path,
        progress: &Option<Progress>,
    ) -> Result<ContentCheck> {
        let part_size = self.inner.part_size;
        let ranges = meta.size.div_ceil(part_size);
        let resource = self.resource(&meta.key);
        let file = Arc::new(std::fs::File::create(temp).map_err(|e| Error::io(temp, e))?);
        let mut parts = futures::stream::iter(0..ranges)
            .map(|index| {
                let resource = resource.clone();
                let file = Arc::clone(&file);
                async move {
                    let start = index * part_size;
                    let end = (start + part_size).min(meta.size) - 1;
                    let mut attempt = 1;
                    let bytes = loop {
                        match self.get_range(meta, start, end, &resource).await {
                            Err(e) if e.is_transient() && attempt < BODY_ATTEMPTS => {
                                warn!(key = %meta.key, start, attempt, error = %e, "range interrupted: fetching it again");
                                attempt += 1;
                            }
                            other => break other?,
                        }
                    };
                    let path = temp.to_path_buf();
                    let written = bytes.clone();
                    tokio::task::spawn_blocking(move || write_all_at(&file, &written, start))
                        .await
                        .map_err(|e| blocking_err(&path, e))?
                        .map_err(|e| Error::io(&path, e))?;
                    Ok::<_, Error>(bytes)
                }
            })
            .buffered(self.inner.concurrency);
        let mut check = ContentCheck::new(expected);
        let mut done = 0u64;
        while let Some(bytes) = parts.next().await {
            let bytes = bytes?;
            done += bytes.len() as u64;
            check = tokio::task::spawn_blocking(move || {
                check.update(&bytes);
                check
            })
            .await
            .map_err(|e| blocking_err(temp, e))?;
            report(progress, done, meta.size);
        }
        Ok(check)
    }

    /// One range of an object, whole or an error.
    async fn get_range(
        &self,
        meta: &S3ObjectMetadata,
        start: u64,
        end: u64,
        resource: &str,
    ) -> Result<bytes::Bytes> {
        let span = info_span!("s3.get_object_range", key = %meta.key, start, end);
        let out = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(&meta.key)
            .range(format!("bytes={start}-{end}"))
            .if_match(format!("\"{}\"", meta.etag))
            .send()
            .instrument(span)
            .await
            .map_err(|e| Error::from_sdk(e, "GetObject", resource))?;
        let checksum = sdk_checksum_name(&out);
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| body_error(resource, checksum, e))?
            .into_bytes();
        if bytes.len() as u64 != end - start + 1 {
            return Err(Error::Unreachable {
                resource: resource.to_owned(),
                operation: "GetObject",
                message: format!("range {start}-{end}: got {} bytes", bytes.len()),
            });
        }
        Ok(bytes)
    }

    /// Downloads through the local cache: one HEAD for the content identity; on a hit the
    /// file is copied from the cache (no transfer), on a miss it is downloaded, verified, and
    /// stored in the cache. A cache failure only costs a miss.
    pub async fn download_cached(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
    ) -> Result<DownloadStatus> {
        crate::access::validate_key(key)?;
        let dest = self.destination(key, dest.as_ref())?;
        let meta = self.get_object_metadata(key).await?;
        let id = meta.identity.cache_id();
        let cache = self.cache().await;
        if let Some(cache) = &cache {
            let (cache_c, id_c, dest_c, size) =
                (cache.clone(), id.clone(), dest.clone(), meta.size);
            let mtime = meta.mtime;
            let hit = tokio::task::spawn_blocking(move || {
                if let Some(parent) = dest_c.parent().filter(|p| !p.as_os_str().is_empty()) {
                    let _ = std::fs::create_dir_all(parent);
                }
                let copied = cache_c.copy_to(&id_c, Some(size), &dest_c);
                if copied && let Ok(file) = std::fs::File::options().write(true).open(&dest_c) {
                    let _ = file.set_modified(mtime);
                }
                copied
            })
            .await
            .unwrap_or(false);
            if hit {
                debug!(key, "download_cached: cache hit");
                return Ok(DownloadStatus {
                    success: true,
                    cache_hit: true,
                    cache_write: false,
                    path: dest,
                });
            }
        }
        // Filed in the cache under its identity: checked against that identity.
        self.download_verified(&meta, &meta.identity, &dest, &None)
            .await?;
        let mut cache_write = false;
        if let Some(cache) = cache {
            let stored = dest.clone();
            cache_write = tokio::task::spawn_blocking(move || cache.put_file(&id, &stored))
                .await
                .unwrap_or(false);
        }
        Ok(DownloadStatus {
            success: true,
            cache_hit: false,
            cache_write,
            path: dest,
        })
    }
}
