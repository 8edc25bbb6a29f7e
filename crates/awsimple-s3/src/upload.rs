//! Uploads of files: skipped when S3 already holds the same content, one PutObject with the
//! SHA-512 up to the multipart threshold, above it a multipart upload with a full-object
//! CRC64NVME whose parts go up in parallel from a pool of buffers (on a store that refuses
//! it, the handle's fallback: CRC32 per part, then none). One deadline bounds the whole
//! upload; a multipart upload that does not complete is aborted, even when the upload's
//! future is dropped.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart, ObjectCannedAcl,
};
use awsimple_core::{BackoffConfig, Error, Found, Result, Sha512Digest};
use futures::{StreamExt, TryStreamExt};
use tracing::{debug, warn};

use crate::access::{S3, S3Access};
use crate::builder::{UploadOptions, report};
use crate::checksum::{WriteChecksum, refuses_checksum, without_checksum};
use crate::deadline::Deadline;
use crate::identity::{self, Identity, SHA512_METADATA};
use crate::local::blocking_err;
use crate::names::validate_key;
use crate::object::{PutBody, S3ObjectMetadata};

/// Tolerance of the size + mtime comparison when the object has no content hash.
const MTIME_TOLERANCE_SECS: u64 = 10;
/// Attempts of a whole multipart upload, each from scratch (after a Complete that kept
/// failing inside a 200 answer).
const MULTIPART_ATTEMPTS: u32 = 2;
/// Attempts of CompleteMultipartUpload (S3 can answer it with 200 and an error body).
const COMPLETE_ATTEMPTS: u32 = 4;

/// The backoff of CompleteMultipartUpload and of whole multipart uploads.
fn backoff(attempts: u32) -> BackoffConfig {
    BackoffConfig::default()
        .with_delays(Duration::from_millis(200), Duration::from_secs(2))
        .with_max_attempts(attempts)
}

/// An error S3 answered with status 200 (CompleteMultipartUpload's error in the body): AWS
/// says to retry the call.
fn failed_inside_200(e: &Error) -> bool {
    matches!(
        e,
        Error::Service {
            status: Some(200),
            ..
        }
    )
}

/// Why an attempt at a multipart upload failed.
enum Failed {
    /// The store refused the checksum algorithm: at CreateMultipartUpload, or at an
    /// UploadPart before any part of the upload was accepted (later, the algorithm is not what
    /// it refuses).
    Checksum(Error),
    /// Anything else.
    Other(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::Other(e)
    }
}

impl Failed {
    fn error(&self) -> &Error {
        match self {
            Failed::Checksum(e) | Failed::Other(e) => e,
        }
    }

    /// `e`, a refusal of the checksum algorithm when it is one and `first` (nothing of the
    /// upload accepted yet).
    fn classify(e: Error, first: bool) -> Self {
        if first && refuses_checksum(&e) {
            Failed::Checksum(e)
        } else {
            Failed::Other(e)
        }
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

/// What a multipart upload is of.
struct Multipart<'a> {
    path: &'a Path,
    key: &'a str,
    size: u64,
    sha512: &'a Sha512Digest,
    /// The full-object CRC64NVME (base64).
    crc64: String,
    options: &'a UploadOptions,
    deadline: Deadline,
}

/// A multipart upload that has not completed. Dropped without [`PendingUpload::completed`] or
/// [`PendingUpload::abort`] (the upload's future was dropped: the deadline, or the caller's
/// own timeout), it aborts the upload on a task of its own: no upload is left behind to be
/// billed.
pub(crate) struct PendingUpload {
    s3: S3Access,
    key: String,
    upload_id: String,
    armed: bool,
}

impl PendingUpload {
    pub(crate) fn new(s3: &S3Access, key: &str, upload_id: &str) -> Self {
        Self {
            s3: s3.clone(),
            key: key.to_owned(),
            upload_id: upload_id.to_owned(),
            armed: true,
        }
    }

    pub(crate) fn completed(mut self) {
        self.armed = false;
    }

    /// Starts aborting the upload on a task of its own.
    pub(crate) fn abort(mut self) -> Option<tokio::task::JoinHandle<()>> {
        self.spawn_abort()
    }

    fn spawn_abort(&mut self) -> Option<tokio::task::JoinHandle<()>> {
        if !std::mem::take(&mut self.armed) {
            return None;
        }
        let (s3, key, upload_id) = (
            self.s3.clone(),
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.upload_id),
        );
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => Some(runtime.spawn(async move {
                s3.abort_upload(&key, &upload_id).await;
            })),
            Err(_) => {
                warn!(
                    key,
                    upload_id, "no runtime to abort the multipart upload on"
                );
                None
            }
        }
    }
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        let _ = self.spawn_abort();
    }
}

impl S3Access {
    /// Uploads a file unless the object already holds the same content (one HEAD request
    /// then, no transfer). Returns whether it was uploaded. The access's operation timeout
    /// bounds the whole upload (hashing, HEAD, every part and retry); a multipart upload that
    /// fails or runs out of time is aborted.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid key; [`Error::Io`] when the file cannot be read;
    /// [`Error::NotFound`] when the bucket does not exist; [`Error::Timeout`] past the
    /// operation timeout; the errors of any AWS call.
    ///
    /// # Cancellation
    /// Dropping the future leaves the object as it was, or, when the last request had gone
    /// out, fully written: a single PutObject is atomic, and a multipart upload not yet
    /// completed is aborted on a task of its own (no parts left to be billed; it needs a tokio
    /// runtime still running, else S3's `AbortIncompleteMultipartUpload` lifecycle rule is the
    /// safety net).
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// if s3.upload("report.pdf", "reports/2026.pdf").await? {
    ///     println!("uploaded");
    /// } else {
    ///     println!("S3 holds the same content already");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn upload(&self, path: impl AsRef<Path>, key: &str) -> Result<bool> {
        self.upload_with(path, key, &UploadOptions::default()).await
    }

    /// [`S3Access::upload`] with options (force, progress).
    pub async fn upload_with(
        &self,
        path: impl AsRef<Path>,
        key: &str,
        options: &UploadOptions,
    ) -> Result<bool> {
        validate_key(key)?;
        self.bounded_operation("upload", key, |deadline| {
            self.upload_within(path.as_ref(), key, options, deadline)
        })
        .await
    }

    /// One whole operation on `key`: its span (outcome, error, request id) around `work`, which
    /// gets the operation's one deadline for its own requests and is dropped when it passes.
    pub(crate) async fn bounded_operation<T, F>(
        &self,
        operation: &'static str,
        key: &str,
        work: impl FnOnce(Deadline) -> F,
    ) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        let resource = self.resource(key);
        let deadline = Deadline::start(&self.inner.access);
        let work = Box::pin(work(deadline));
        S3.operation(
            operation,
            &resource,
            deadline.bound(operation, &resource, work),
        )
        .await
    }

    async fn upload_within(
        &self,
        path: &Path,
        key: &str,
        options: &UploadOptions,
        deadline: Deadline,
    ) -> Result<bool> {
        let path = path.to_path_buf();
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

        if !options.force
            && let Some(remote) = self.get_object_metadata(key).await.found()?
            && self
                .same_content(&remote, &sha512, crc64.as_deref(), &path, &meta)
                .await?
        {
            debug!(bucket = %self.inner.bucket, key, "upload skipped: the object holds the same content");
            return Ok(false);
        }
        if multipart {
            let job = Multipart {
                path: &path,
                key,
                size,
                sha512: &sha512,
                crc64: crc64.unwrap_or_default(),
                options,
                deadline,
            };
            self.multipart_upload(&job).await?;
        } else {
            self.put_object(key, PutBody::File(path.clone()), &sha512)
                .await?;
            report(options.progress.as_ref(), size, size);
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
    /// A store that refuses the checksum algorithm (at CreateMultipartUpload or the first
    /// UploadPart) gets it again with the handle's fallback, which the handle keeps.
    async fn multipart_upload(&self, job: &Multipart<'_>) -> Result<()> {
        let key = job.key;
        let mut backoff = job.deadline.backoff(backoff(MULTIPART_ATTEMPTS));
        let mut algorithm = self.inner.checksum.get().multipart();
        loop {
            match self.multipart_upload_once(job, algorithm).await {
                Ok(()) => return Ok(()),
                Err(Failed::Checksum(e)) => {
                    match self.inner.checksum.fall_back(
                        &self.inner.bucket,
                        "multipart upload",
                        algorithm,
                        &e,
                    ) {
                        Some(next) => algorithm = next.multipart(),
                        None => return Err(e),
                    }
                }
                Err(Failed::Other(e)) if failed_inside_200(&e) => {
                    if !backoff.wait().await {
                        return Err(e);
                    }
                    warn!(key, attempt = backoff.attempt(), error = %e, "the multipart upload did not complete: uploading it again");
                }
                Err(Failed::Other(e)) => return Err(e),
            }
        }
    }

    async fn multipart_upload_once(
        &self,
        job: &Multipart<'_>,
        algorithm: WriteChecksum,
    ) -> std::result::Result<(), Failed> {
        let &Multipart {
            key,
            sha512,
            deadline,
            ..
        } = job;
        let resource = self.resource(key);
        let mut create = self
            .inner
            .client
            .create_multipart_upload()
            .bucket(&self.inner.bucket)
            .key(key)
            .metadata(SHA512_METADATA, sha512.to_hex());
        create = match algorithm.multipart() {
            WriteChecksum::Crc32 => create.checksum_algorithm(ChecksumAlgorithm::Crc32),
            WriteChecksum::None => create,
            _ => create
                .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
                .checksum_type(ChecksumType::FullObject),
        };
        if self.inner.public_readable {
            create = create.acl(ObjectCannedAcl::PublicRead);
        }
        let created = S3
            .call("CreateMultipartUpload", &resource, create.send())
            .await
            .map_err(|e| Failed::classify(e, true))?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        let pending = PendingUpload::new(self, key, &upload_id);
        let result = self
            .upload_parts_and_complete(job, &upload_id, algorithm.multipart())
            .await;
        match &result {
            Ok(()) => pending.completed(),
            Err(failed) => {
                warn!(bucket = %self.inner.bucket, key, error = %failed.error(), "multipart upload failed: aborting it");
                // Waited for while the deadline allows; past it, the abort finishes on its own.
                if let Some(abort) = pending.abort() {
                    match deadline.at() {
                        Some(at) => {
                            let at = tokio::time::Instant::from_std(at);
                            let _ = tokio::time::timeout_at(at, abort).await;
                        }
                        None => {
                            let _ = abort.await;
                        }
                    }
                }
            }
        }
        result
    }

    /// Aborts a multipart upload (a failure is logged: S3's lifecycle rule
    /// `AbortIncompleteMultipartUpload` is the safety net).
    async fn abort_upload(&self, key: &str, upload_id: &str) {
        let abort = self
            .inner
            .client
            .abort_multipart_upload()
            .bucket(&self.inner.bucket)
            .key(key)
            .upload_id(upload_id);
        if let Err(e) = S3
            .call("AbortMultipartUpload", self.resource(key), abort.send())
            .await
        {
            warn!(key, error = %e, "could not abort the multipart upload");
        }
    }

    /// The parts (with `algorithm`: a full-object CRC64NVME, CRC32 per part, or none) and the
    /// CompleteMultipartUpload.
    async fn upload_parts_and_complete(
        &self,
        job: &Multipart<'_>,
        upload_id: &str,
        algorithm: WriteChecksum,
    ) -> std::result::Result<(), Failed> {
        let &Multipart {
            path,
            key,
            size,
            ref crc64,
            options,
            deadline,
            ..
        } = job;
        let part_size = self.inner.part_size;
        let parts = size.div_ceil(part_size);
        let done = Arc::new(AtomicU64::new(0));
        let resource = self.resource(key);
        let pool = PartBuffers::default();
        // Parts the store took: a checksum refused after one is not a refusal of the algorithm.
        let accepted = AtomicU64::new(0);
        let completed: Vec<CompletedPart> = futures::stream::iter(0..parts)
            .map(|index| {
                let path = path.to_path_buf();
                let done = done.clone();
                let resource = &resource;
                let pool = &pool;
                let accepted = &accepted;
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
                    let request = self
                        .inner
                        .client
                        .upload_part()
                        .bucket(&self.inner.bucket)
                        .key(key)
                        .upload_id(upload_id)
                        .part_number(number)
                        .body(ByteStream::from(bytes.clone()));
                    let send = async move {
                        match algorithm {
                            WriteChecksum::Crc32 => {
                                request
                                    .checksum_algorithm(ChecksumAlgorithm::Crc32)
                                    .send()
                                    .await
                            }
                            // Not even the SDK's default CRC32.
                            WriteChecksum::None => {
                                request
                                    .customize()
                                    .config_override(without_checksum())
                                    .send()
                                    .await
                            }
                            _ => {
                                request
                                    .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
                                    .send()
                                    .await
                            }
                        }
                    };
                    let out = S3
                        .call("UploadPart", resource, send)
                        .await
                        .map_err(|e| Failed::classify(e, accepted.load(Ordering::SeqCst) == 0))?;
                    accepted.fetch_add(1, Ordering::SeqCst);
                    pool.give_back(bytes);
                    let total = done.fetch_add(len, Ordering::SeqCst) + len;
                    report(options.progress.as_ref(), total, size);
                    // The part's checksum, whichever the store answered with (a composite CRC32
                    // upload needs them in Complete).
                    Ok::<_, Failed>(
                        CompletedPart::builder()
                            .part_number(number)
                            .set_e_tag(out.e_tag().map(str::to_owned))
                            .set_checksum_crc64_nvme(out.checksum_crc64_nvme().map(str::to_owned))
                            .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                            .build(),
                    )
                }
            })
            .buffer_unordered(self.inner.concurrency)
            .try_collect()
            .await?;
        self.complete_multipart(key, upload_id, completed, crc64, algorithm, deadline)
            .await
            .map(|_etag| ())
            .map_err(Failed::from)
    }

    /// CompleteMultipartUpload with the parts (in any order) and the full-object CRC64NVME,
    /// retried while S3 answers it with an error inside a 200 or a transient error. Returns
    /// the new object's ETag.
    pub(crate) async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        mut completed: Vec<CompletedPart>,
        crc64: &str,
        algorithm: WriteChecksum,
        deadline: Deadline,
    ) -> Result<Option<String>> {
        let resource = self.resource(key);
        completed.sort_by_key(|p| p.part_number());
        let upload = CompletedMultipartUpload::builder()
            .set_parts(Some(completed))
            .build();
        // S3 may answer CompleteMultipartUpload with 200 and an error in the body (AWS: retry
        // the call); it is idempotent for the same upload id. moto does it now and then too.
        let mut backoff = deadline.backoff(backoff(COMPLETE_ATTEMPTS));
        loop {
            let mut request = self
                .inner
                .client
                .complete_multipart_upload()
                .bucket(&self.inner.bucket)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(upload.clone());
            if algorithm == WriteChecksum::Crc64Nvme {
                request = request
                    .checksum_crc64_nvme(crc64)
                    .checksum_type(ChecksumType::FullObject);
            }
            match S3
                .call("CompleteMultipartUpload", &resource, request.send())
                .await
            {
                Ok(out) => return Ok(out.e_tag().map(str::to_owned)),
                Err(e) if e.is_transient() || failed_inside_200(&e) => {
                    if !backoff.wait().await {
                        return Err(e);
                    }
                    warn!(key, attempt = backoff.attempt(), error = %e, "CompleteMultipartUpload failed: retrying");
                }
                Err(e) => return Err(e),
            }
        }
    }
}
