//! Downloads of objects into files: verified, atomic (temporary file, rename), the object's
//! LastModified as mtime, parallel ranges for large objects, and all of `download_cached`: the
//! local content-addressed cache.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::types::ChecksumMode;
use awsimple_cache::DiskCache;
use awsimple_core::{BackoffConfig, Error, Result, retry_transient};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use crate::access::{S3, S3Access};
use crate::builder::{DownloadOptions, Progress, report};
use crate::identity::Identity;
use crate::local::{blocking_err, write_all_at};
use crate::names::{json_key, key_to_relative_path, validate_key};
use crate::object::S3ObjectMetadata;
use crate::verify::{ContentCheck, body_error, sdk_checksum_name};

/// Attempts of a GET whose body is cut off (the SDK retries requests, not bodies).
const BODY_ATTEMPTS: u32 = 3;

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
}

impl S3Access {
    /// Downloads an object to `dest` (a file, or an existing folder where the key becomes the
    /// file name). The file is written beside its destination under a temporary name, verified,
    /// given the object's LastModified as mtime, and renamed into place: on any failure nothing
    /// is left at the destination. The check is the object's full-object CRC64NVME when S3
    /// holds one (awsimple's multipart uploads; about ten times cheaper than SHA-512, and S3
    /// validated it when the object was written), else its SHA-512 identity.
    /// [`S3Access::download_cached`] always checks the SHA-512 identity, which names the entry.
    pub async fn download(&self, key: &str, dest: impl AsRef<Path>) -> Result<PathBuf> {
        self.download_with(key, dest, &DownloadOptions::default())
            .await
    }

    /// [`S3Access::download`] with options (progress).
    pub async fn download_with(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
        options: &DownloadOptions,
    ) -> Result<PathBuf> {
        validate_key(key)?;
        let dest = destination(key, dest.as_ref())?;
        let meta = self.get_object_metadata(key).await?;
        // The full-object CRC64NVME, when S3 holds one, proves the bytes are the object's at a
        // fraction of SHA-512's cost (S3 checked it when the object was written).
        let expected = match &meta.crc64nvme {
            Some(crc) => Identity::Crc64Nvme(crc.clone()),
            None => meta.identity.clone(),
        };
        self.download_verified(&meta, &expected, &dest, options.progress.as_ref())
            .await?;
        Ok(dest)
    }

    /// Downloads through the local cache: one HEAD for the content identity; on a hit the
    /// file is copied from the cache (no transfer), on a miss it is downloaded, verified, and
    /// stored in the cache. A cache failure only costs a miss.
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
                report(options.progress.as_ref(), meta.size, meta.size);
                return Ok(DownloadStatus {
                    cache_hit: true,
                    cache_write: false,
                    path: dest,
                });
            }
        }
        // Filed in the cache under its identity: checked against that identity.
        self.download_verified(&meta, &meta.identity, &dest, options.progress.as_ref())
            .await?;
        let mut cache_write = false;
        if let Some(cache) = cache {
            let stored = dest.clone();
            cache_write = tokio::task::spawn_blocking(move || cache.put_file(&id, &stored))
                .await
                .unwrap_or(false);
            debug!(key, cache_write, "download_cached: cache miss");
        }
        Ok(DownloadStatus {
            cache_hit: false,
            cache_write,
            path: dest,
        })
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

    /// The transfer itself, for a known object: temp file, verify, mtime, rename.
    async fn download_verified(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Identity,
        dest: &Path,
        progress: Option<&Progress>,
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

    /// One GET into `temp`, started again from scratch when the body is cut off.
    async fn single_download(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Identity,
        temp: &Path,
        progress: Option<&Progress>,
    ) -> Result<ContentCheck> {
        retry_transient(&mut body_backoff().start(), |attempt| {
            if attempt > 1 {
                warn!(key = %meta.key, attempt, "download interrupted: starting again");
            }
            self.single_download_once(meta, expected, temp, progress)
        })
        .await
    }

    async fn single_download_once(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Identity,
        temp: &Path,
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
            return Err(Error::unreachable(
                "GetObject",
                resource,
                format!("got {done} of {} bytes", meta.size),
            ));
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
        progress: Option<&Progress>,
    ) -> Result<ContentCheck> {
        let part_size = self.inner.part_size;
        let ranges = meta.size.div_ceil(part_size);
        let resource = self.resource(&meta.key);
        let file = Arc::new(std::fs::File::create(temp).map_err(|e| Error::io(temp, e))?);
        let mut parts = futures::stream::iter(0..ranges)
            .map(|index| {
                let resource = &resource;
                let file = Arc::clone(&file);
                async move {
                    let start = index * part_size;
                    let end = (start + part_size).min(meta.size) - 1;
                    let bytes = retry_transient(&mut body_backoff().start(), |attempt| {
                        if attempt > 1 {
                            warn!(key = %meta.key, start, attempt, "range interrupted: fetching it again");
                        }
                        self.get_range(meta, start, end, resource)
                    })
                    .await?;
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
        let request = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(&meta.key)
            .range(format!("bytes={start}-{end}"))
            .if_match(format!("\"{}\"", meta.etag));
        let out = S3.call("GetObject", resource, request.send()).await?;
        let checksum = sdk_checksum_name(&out);
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| body_error(resource, checksum, e))?
            .into_bytes();
        if bytes.len() as u64 != end - start + 1 {
            return Err(Error::unreachable(
                "GetObject",
                resource,
                format!("range {start}-{end}: got {} bytes", bytes.len()),
            ));
        }
        Ok(bytes)
    }
}

/// The destination file of a download: `dest` itself, or `dest/<key>` when `dest` is an
/// existing folder (the key may not leave it).
fn destination(key: &str, dest: &Path) -> Result<PathBuf> {
    if dest.is_dir() {
        Ok(dest.join(key_to_relative_path(key)?))
    } else {
        Ok(dest.to_path_buf())
    }
}
