//! Downloads of objects into files: verified, atomic (temporary file, rename), the object's
//! LastModified as mtime, parallel ranges for large objects, one deadline for the whole of it,
//! read again from the start when the object changes underneath; and all of `download_cached`:
//! the local content-addressed cache, which only ever takes verified bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::types::ChecksumMode;
use awsimple_cache::DiskCache;
use awsimple_core::{BackoffConfig, Error, Result, retry_transient};
use serde::de::DeserializeOwned;
use tempfile::NamedTempFile;
use tracing::{debug, warn};

mod ranged;

use crate::access::{S3, S3Access};
use crate::builder::{DownloadOptions, Progress, report};
use crate::deadline::Deadline;
use crate::local::{blocking_err, check_name_lengths, still_names, write_all_at};
use crate::names::{checked_json_key, key_to_relative_path, validate_key};
use crate::object::S3ObjectMetadata;
use crate::verify::{ContentCheck, Expected, Verification, body_error, sdk_checksum_name};

/// Attempts of a GET whose body is cut off (the SDK retries requests, not bodies).
const BODY_ATTEMPTS: u32 = 3;
/// Attempts of a whole download when the object keeps changing between its HEAD and its GETs.
const CHANGED_ATTEMPTS: u32 = 5;

/// The backoff of a body fetched again.
fn body_backoff() -> BackoffConfig {
    BackoffConfig::default().with_max_attempts(BODY_ATTEMPTS)
}

/// What [`S3Access::download_cached`] did (a failure is an `Err`, never a status).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DownloadStatus {
    /// It came from the local cache (one HEAD request, no transfer).
    pub cache_hit: bool,
    /// It was written into the cache.
    pub cache_write: bool,
    /// Where it is.
    pub path: PathBuf,
    /// What the bytes were checked against. On a hit, what they were checked against when they
    /// were stored (the cache checks its own checksum of them on every hit); only verified
    /// bytes are ever stored, so an [`Verification::Unverified`] download is never a hit.
    pub verified: Verification,
}

/// A download whose bytes are all in a temporary file beside the destination, verified.
struct Fetched {
    temp: NamedTempFile,
    verified: Verification,
}

/// Where a verified download is filed in the cache.
struct CacheSlot {
    cache: DiskCache,
    id: String,
}

impl S3Access {
    /// Downloads an object to `dest` (a file, or an existing folder where the key becomes the
    /// file name). The file is written beside its destination under a temporary name, verified,
    /// given the object's LastModified as mtime, and renamed into place: on any failure nothing
    /// is left at the destination. The check is the object's full-object CRC64NVME when S3
    /// holds one (awsimple's multipart uploads; about ten times cheaper than SHA-512, and S3
    /// validated it when the object was written), else its SHA-512 identity, else its ETag when
    /// that is the MD5 of the content (objects other tools wrote; see [`Verification`]).
    /// [`S3Access::download_cached`] checks the SHA-512 identity before the CRC64NVME.
    ///
    /// The access's operation timeout bounds the whole download, every request and retry
    /// included. When the object is overwritten during the download (its ETag changes between
    /// the HEAD and a GET), the download starts again from a new HEAD: the file is one version
    /// of the object, whole, never a mix.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid key or a key that would leave the destination
    /// folder; [`Error::NotFound`] when the object does not exist; [`Error::Integrity`] when
    /// the bytes do not match the object's checksum; [`Error::Io`] when the file cannot be
    /// written; [`Error::Timeout`] past the operation timeout; the errors of any AWS call.
    ///
    /// # Cancellation
    /// Dropping the future leaves the destination as it was: the bytes go to a temporary file
    /// beside it, removed when the future is dropped, and the rename into place is the last
    /// step.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// let path = s3.download("reports/2026.pdf", "copy.pdf").await?;
    /// println!("written to {}", path.display());
    /// # Ok(()) }
    /// ```
    pub async fn download(&self, key: &str, dest: impl AsRef<Path>) -> Result<PathBuf> {
        self.download_with(key, dest, &DownloadOptions::default())
            .await
    }

    /// [`S3Access::download`] with options (progress; it starts again from zero when the object
    /// changed during the download).
    pub async fn download_with(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
        options: &DownloadOptions,
    ) -> Result<PathBuf> {
        validate_key(key)?;
        let dest = destination(key, dest.as_ref())?;
        let fetch = self.fetch(key, &dest, options, false);
        let status = S3.operation("download", self.resource(key), fetch).await?;
        Ok(status.path)
    }

    /// Downloads through the local cache: one HEAD for the content identity; on a hit the
    /// file is copied from the cache (no transfer), on a miss it is downloaded, verified, and
    /// stored in the cache. A cache failure only costs a miss. Objects that cannot be verified
    /// ([`Verification::Unverified`]) are downloaded every time and never cached. Otherwise as
    /// [`S3Access::download`] (atomic, one deadline, a changed object read again whole).
    ///
    /// # Errors
    /// As [`S3Access::download`]; a failing cache is not an error (a miss).
    ///
    /// # Cancellation
    /// As [`S3Access::download`]: the destination is as it was. The cache takes an entry only
    /// whole and verified (written under a temporary name and renamed), so a dropped download
    /// leaves no partial entry behind.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// let status = s3.download_cached("reports/2026.pdf", "cached.pdf").await?;
    /// println!("cache hit: {}", status.cache_hit);
    /// # Ok(()) }
    /// ```
    pub async fn download_cached(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
    ) -> Result<DownloadStatus> {
        self.download_cached_with(key, dest, &DownloadOptions::default())
            .await
    }

    /// [`S3Access::download_cached`] with options (progress: as the bytes arrive on a miss,
    /// once with the whole size on a hit).
    pub async fn download_cached_with(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
        options: &DownloadOptions,
    ) -> Result<DownloadStatus> {
        validate_key(key)?;
        let dest = destination(key, dest.as_ref())?;
        let fetch = self.fetch(key, &dest, options, true);
        S3.operation("download_cached", self.resource(key), fetch)
            .await
    }

    /// The HEAD, the cache when `cached`, and the transfer, under one deadline; from the HEAD
    /// again when the object changed before all its bytes were read (a GET's If-Match failed).
    async fn fetch(
        &self,
        key: &str,
        dest: &Path,
        options: &DownloadOptions,
        cached: bool,
    ) -> Result<DownloadStatus> {
        let deadline = Deadline::start(&self.inner.access);
        let resource = self.resource(key);
        let progress = options.progress.as_ref();
        let changed = BackoffConfig::default().with_max_attempts(CHANGED_ATTEMPTS);
        let mut backoff = deadline.backoff(changed);
        loop {
            // Boxed: the SDK's futures are large, and a download's future stays small.
            let head = Box::pin(self.get_object_metadata(key));
            let meta = deadline.bound("HeadObject", &resource, head).await?;
            let md5 = meta.md5.as_deref();
            // A cached download is filed under its identity: checked against that identity.
            let expected = match &meta.crc64nvme {
                Some(crc) if !cached => Expected::Crc64Nvme(crc.clone()),
                _ => Expected::of(&meta.identity, md5),
            };
            // Only verified bytes go into the cache, and only they come out of it.
            let slot = match expected.verification() {
                Verification::Unverified => None,
                _ if !cached => None,
                _ => self.cache().await.map(|cache| CacheSlot {
                    cache,
                    id: meta.identity.cache_id(),
                }),
            };
            if let Some(slot) = &slot
                && copy_from_cache(slot, &meta, dest).await
            {
                debug!(key, "download_cached: cache hit");
                report(progress, meta.size, meta.size);
                return Ok(DownloadStatus {
                    cache_hit: true,
                    cache_write: false,
                    path: dest.to_path_buf(),
                    verified: expected.verification(),
                });
            }
            let transfer = Box::pin(self.transfer(&meta, &expected, dest, progress, deadline));
            match deadline.bound("GetObject", &resource, transfer).await {
                Ok(fetched) => {
                    // Local work from here on, never cut in the middle: the file is in place
                    // whole, or not at all.
                    let verified = fetched.verified;
                    let cache_write = put_in_place(fetched, &meta, dest, slot).await?;
                    if cached {
                        debug!(key, cache_write, ?verified, "download_cached: cache miss");
                    }
                    return Ok(DownloadStatus {
                        cache_hit: false,
                        cache_write,
                        path: dest.to_path_buf(),
                        verified,
                    });
                }
                Err(e @ Error::Precondition { .. }) => {
                    if !backoff.wait().await {
                        return Err(e);
                    }
                    warn!(
                        key,
                        attempt = backoff.attempt(),
                        "the object changed during the download: starting again"
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads JSON through the local cache: one HEAD, and the transfer only on a miss.
    pub async fn read_json_cached<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        self.read_json_cached_status(key)
            .await
            .map(|(value, _)| value)
    }

    /// [`S3Access::read_json_cached`], also saying whether the cache had it and what the
    /// bytes were verified against.
    pub async fn read_json_cached_status<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<(T, DownloadStatus)> {
        let key = checked_json_key(key)?;
        let folder = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let path = folder.path().join("object.json");
        let status = self.download_cached(&key, &path).await?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::io(&path, e))?;
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::serialization(self.resource(&key), e))?;
        Ok((value, status))
    }

    /// The cache of `download_cached`; `None` when it cannot be opened (logged: a miss).
    async fn cache(&self) -> Option<DiskCache> {
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
                        warn!(error = %e, "S3 cache unavailable: downloads are not cached");
                        None
                    }
                    Err(e) => {
                        warn!(error = %e, "S3 cache unavailable: downloads are not cached");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// The object's bytes into a temporary file beside `dest`, checked as they arrive (in
    /// order, so verifying costs no second pass).
    async fn transfer(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Expected,
        dest: &Path,
        progress: Option<&Progress>,
        deadline: Deadline,
    ) -> Result<Fetched> {
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
        // Written through the handle tempfile opened, never by its name again.
        let file = Arc::new(
            temp.as_file()
                .try_clone()
                .map_err(|e| Error::io(temp.path(), e))?,
        );
        let target = Target {
            file: &file,
            path: temp.path(),
        };
        let check = if meta.size > self.inner.multipart_threshold {
            self.ranged_download(meta, expected, target, progress, deadline)
                .await?
        } else {
            self.single_download(meta, expected, target, progress, deadline)
                .await?
        };
        let verified = check.verify(&self.resource(&meta.key))?;
        Ok(Fetched { temp, verified })
    }

    /// One GET into the file, started again from scratch when the body is cut off.
    async fn single_download(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Expected,
        target: Target<'_>,
        progress: Option<&Progress>,
        deadline: Deadline,
    ) -> Result<ContentCheck> {
        retry_transient(&mut deadline.backoff(body_backoff()), |attempt| {
            if attempt > 1 {
                warn!(key = %meta.key, attempt, "download interrupted: starting again");
            }
            self.single_download_once(meta, expected, target, progress)
        })
        .await
    }

    async fn single_download_once(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Expected,
        target: Target<'_>,
        progress: Option<&Progress>,
    ) -> Result<ContentCheck> {
        let resource = self.resource(&meta.key);
        let request = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(&meta.key)
            .if_match(format!("\"{}\"", meta.etag))
            .checksum_mode(ChecksumMode::Enabled);
        let out = S3.call("GetObject", &resource, request.send()).await?;
        let checksum = sdk_checksum_name(&out);
        let mut body = out.body;
        target
            .file
            .set_len(0)
            .map_err(|e| Error::io(target.path, e))?;
        let mut check = ContentCheck::new(expected);
        let mut done = 0u64;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| body_error(&resource, checksum, e))?
        {
            write_all_at(target.file, &chunk, done).map_err(|e| Error::io(target.path, e))?;
            check.update(&chunk);
            done += chunk.len() as u64;
            report(progress, done, meta.size);
        }
        if done != meta.size {
            return Err(Error::unreachable(
                "GetObject",
                resource,
                format!("got {done} of {} bytes", meta.size),
            ));
        }
        Ok(check)
    }
}

/// The temporary file of a transfer: the handle written through, and its name (for errors).
#[derive(Clone, Copy)]
struct Target<'a> {
    file: &'a Arc<std::fs::File>,
    path: &'a Path,
}

/// Copies the cache entry to `dest` when there is one (checked by the cache on the way) and
/// gives it the object's mtime; false on a miss.
async fn copy_from_cache(slot: &CacheSlot, meta: &S3ObjectMetadata, dest: &Path) -> bool {
    let (cache, id, dest) = (slot.cache.clone(), slot.id.clone(), dest.to_path_buf());
    let (size, mtime) = (meta.size, meta.mtime);
    tokio::task::spawn_blocking(move || {
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(parent);
        }
        let copied = cache.copy_to(&id, Some(size), &dest);
        if copied && let Ok(file) = std::fs::File::options().write(true).open(&dest) {
            let _ = file.set_modified(mtime);
        }
        copied
    })
    .await
    .unwrap_or(false)
}

/// Gives the verified temporary file the object's mtime, syncs it, files it in the cache, and
/// renames it over `dest`. The cache takes it from the temporary file, before the rename: the
/// destination belongs to others as soon as it exists (a process may replace it), the
/// temporary file holds the bytes that were checked. Returns whether it was cached.
async fn put_in_place(
    fetched: Fetched,
    meta: &S3ObjectMetadata,
    dest: &Path,
    slot: Option<CacheSlot>,
) -> Result<bool> {
    let Fetched { temp, .. } = fetched;
    let temp_path = temp.path().to_path_buf();
    let (mtime, dest) = (meta.mtime, dest.to_path_buf());
    tokio::task::spawn_blocking(move || -> Result<bool> {
        let file = temp.as_file();
        file.set_modified(mtime)
            .map_err(|e| Error::io(temp.path(), e))?;
        file.sync_all().map_err(|e| Error::io(temp.path(), e))?;
        // A file another process renamed over the temporary name is not the one that was
        // checked: neither the cache nor the destination takes it.
        let replaced = |temp: &NamedTempFile| {
            (!still_names(temp.path(), temp.as_file())).then(|| {
                Error::io(
                    temp.path(),
                    std::io::Error::other("another process replaced the downloaded file"),
                )
            })
        };
        if let Some(e) = replaced(&temp) {
            return Err(e);
        }
        let mut cached = false;
        if let Some(slot) = slot {
            cached = slot.cache.put_file(&slot.id, temp.path());
            if let Some(e) = replaced(&temp) {
                slot.cache.remove(&slot.id);
                return Err(e);
            }
        }
        temp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
        Ok(cached)
    })
    .await
    .map_err(|e| blocking_err(&temp_path, e))?
}

/// The destination file of a download: `dest` itself, or `dest/<key>` when `dest` is an
/// existing folder (the key may not leave it).
/// Its names must fit the file system (checked before any request or folder).
fn destination(key: &str, dest: &Path) -> Result<PathBuf> {
    let dest = if dest.is_dir() {
        dest.join(key_to_relative_path(key)?)
    } else {
        dest.to_path_buf()
    };
    check_name_lengths(&dest)?;
    Ok(dest)
}
