//! Folders kept in step with a prefix, by content: [`S3Access::sync_up`] and
//! [`S3Access::sync_down`]. One listing (ListObjectsV2, 1000 keys a page), the local files
//! hashed, and a transfer only for what differs, with `concurrency` files in flight.
//!
//! The rule for comparing is in the docs of [`SyncOptions`].

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use awsimple_core::{Error, Found, Result, Sha512Hasher};
use futures::StreamExt;
use md5::Digest as _;
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::access::S3Access;
use crate::builder::{DEFAULT_CONCURRENCY, Progress, UploadOptions, report};
use crate::identity::Crc64;
use crate::local::{blocking_err, check_name_lengths};
use crate::names::{key_to_relative_path, validate_key};

mod files;

use files::{
    folder_prefix, hash_local, load_manifest, same, save_manifest, tally, through_symlink, walk,
};

/// The file, in the synced folder, that remembers what the objects were (never synced itself).
pub const SYNC_MANIFEST: &str = ".awsimple-sync";

/// Options of [`S3Access::sync_up_with`] and [`S3Access::sync_down_with`].
///
/// # The rule for comparing
/// Local files are always hashed (SHA-512, CRC64NVME and MD5 in one pass): a file changed with
/// its size and mtime kept is still seen, a file only touched is still the same. The remote
/// side's content identity (the one shared with Python: native SHA-512, metadata SHA-512,
/// full-object CRC64NVME) is not in a listing (ListObjectsV2 gives the ETag and size, not the
/// checksums), so the folder keeps a manifest, [`SYNC_MANIFEST`]: per key, the ETag and size
/// last seen and the identity the object had then. The manifest is trusted only while the
/// listed ETag and size are the ones it recorded; any other ETag (the object was written since)
/// costs one HEAD for the stored identity, which then goes into the manifest. A manifest that is
/// missing or unreadable costs a HEAD per object that has a local counterpart, never a wrong
/// answer. After an upload the manifest records the ETag S3 gives that content (the MD5 of the
/// content, of the parts' MD5s for a multipart upload); where S3 gives another (SSE-KMS), the
/// next sync HEADs the object once. Files and objects are the same when their SHA-512s are
/// equal, else their full-object CRC64NVMEs, else (objects without a checksum) when the ETag
/// is the MD5 of the local content. A listed size other than the file's is a difference without
/// any HEAD.
///
/// A key is the prefix (given `/` at its end when it has none and is not empty) and the path
/// relative to the folder, with `/`.
#[derive(Clone)]
pub struct SyncOptions {
    pub(crate) dry_run: bool,
    pub(crate) delete: bool,
    pub(crate) follow_symlinks: bool,
    pub(crate) concurrency: usize,
    pub(crate) progress: Option<Progress>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            delete: false,
            follow_symlinks: false,
            concurrency: DEFAULT_CONCURRENCY,
            progress: None,
        }
    }
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions")
            .field("dry_run", &self.dry_run)
            .field("delete", &self.delete)
            .field("follow_symlinks", &self.follow_symlinks)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl SyncOptions {
    /// Default options: transfer, delete nothing, do not follow symlinks, 8 files at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compare and report what would change, changing nothing (the manifest included).
    pub fn dry_run(mut self, on: bool) -> Self {
        self.dry_run = on;
        self
    }

    /// Delete what the destination holds and the source does not (objects under the prefix for
    /// `sync_up`, files in the folder for `sync_down`).
    pub fn delete(mut self, on: bool) -> Self {
        self.delete = on;
        self
    }

    /// Follow symbolic links (off by default: a link is reported as skipped, and `sync_down`
    /// never writes through one).
    pub fn follow_symlinks(mut self, on: bool) -> Self {
        self.follow_symlinks = on;
        self
    }

    /// Files compared and transferred at once (default 8; at least 1).
    pub fn concurrency(mut self, files: usize) -> Self {
        self.concurrency = files.max(1);
        self
    }

    /// Called with (files done, files in all) as the sync goes.
    pub fn progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// Why a file or key was left alone.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// A symbolic link, not followed (or, for `sync_down`, a link on the way to the file).
    Symlink,
    /// A local name S3 cannot hold as a key (not UTF-8, over 1024 bytes).
    UnsupportedName(String),
    /// A key that is no safe relative path (`..`, absolute, empty parts, a folder marker).
    UnsafeKey(String),
    /// Neither a file nor a folder (socket, FIFO, device), or a folder where a file would go.
    NotAFile,
}

/// A file or key left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncSkip {
    /// The path relative to the folder (with `/`), or the key.
    pub name: String,
    /// Why.
    pub reason: SkipReason,
}

/// What a sync did (in a dry run: what it would do). Lists are sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// It was a dry run: nothing was changed.
    pub dry_run: bool,
    /// Keys uploaded (`sync_up`).
    pub uploaded: Vec<String>,
    /// Keys downloaded (`sync_down`).
    pub downloaded: Vec<String>,
    /// Keys whose object and file already held the same content.
    pub unchanged: Vec<String>,
    /// Keys deleted (`sync_up`), or files deleted as paths relative to the folder with `/`
    /// (`sync_down`).
    pub deleted: Vec<String>,
    /// What was left alone.
    pub skipped: Vec<SyncSkip>,
}

impl SyncReport {
    fn sort(&mut self) {
        self.uploaded.sort();
        self.downloaded.sort();
        self.unchanged.sort();
        self.deleted.sort();
        self.skipped.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

/// What the manifest remembers of one object: its ETag and size, and its content then.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Record {
    etag: String,
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha512: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crc64nvme: Option<String>,
}

/// The manifest file: per target (`s3://bucket/prefix`), per key, a [`Record`].
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    targets: BTreeMap<String, BTreeMap<String, Record>>,
}

const MANIFEST_VERSION: u32 = 1;

/// What a listing says of an object.
struct Listed {
    etag: String,
    size: u64,
}

/// The hashes of a local file, from one pass.
struct LocalHash {
    size: u64,
    sha512: String,
    crc64: String,
    /// MD5 (hex) of the whole content.
    md5: String,
    /// The ETag S3 gives this content when awsimple uploads it.
    upload_etag: String,
}

/// One local file to sync.
struct LocalFile {
    rel: String,
    path: PathBuf,
}

/// How one key ended.
enum Outcome {
    Transferred(String, Option<Record>),
    Unchanged(String, Record),
    Skipped(SyncSkip),
}

impl S3Access {
    /// Uploads the files of `local_dir` whose content S3 does not already hold under `prefix`
    /// (a key is the prefix, `/`, and the path relative to the folder). See [`SyncOptions`] for
    /// the rule: one listing, the local files hashed, a HEAD only for an object written since
    /// the last sync.
    pub async fn sync_up(&self, local_dir: impl AsRef<Path>, prefix: &str) -> Result<SyncReport> {
        self.sync_up_with(local_dir, prefix, &SyncOptions::default())
            .await
    }

    /// [`S3Access::sync_up`] with options (dry run, delete, symlinks, concurrency, progress).
    ///
    /// Transfers only content that differs: a touched file is not uploaded again, a file
    /// changed with its size and mtime kept is. The folder's [`SYNC_MANIFEST`] remembers the
    /// objects' identities so that an unchanged tree costs only its listing: it is trusted only
    /// while an object's listed ETag and size are the ones it recorded, else the object gets a
    /// HEAD. A failed transfer does not stop the others; the first error is returned after the
    /// manifest is saved.
    pub async fn sync_up_with(
        &self,
        local_dir: impl AsRef<Path>,
        prefix: &str,
        options: &SyncOptions,
    ) -> Result<SyncReport> {
        let root = local_dir.as_ref().to_path_buf();
        let prefix = folder_prefix(prefix);
        let follow = options.follow_symlinks;
        let walking = root.clone();
        let (files, mut skipped) = tokio::task::spawn_blocking(move || walk(&walking, follow))
            .await
            .map_err(|e| blocking_err(&root, e))??;
        let listed = self.list_for_sync(&prefix).await?;
        let target = format!("s3://{}/{prefix}", self.inner.bucket);
        let manifest = load_manifest(&root, &target).await;

        // What was skipped keeps its objects (under a skipped folder link too).
        let kept: Vec<String> = skipped
            .iter()
            .map(|s| format!("{prefix}{}", s.name))
            .collect();
        let mut present: HashSet<String> = HashSet::new();
        let mut jobs = Vec::new();
        for file in files {
            let key = format!("{prefix}{}", file.rel);
            if let Err(e) = validate_key(&key) {
                skipped.push(SyncSkip {
                    name: file.rel,
                    reason: SkipReason::UnsupportedName(e.to_string()),
                });
                continue;
            }
            present.insert(key.clone());
            jobs.push((key, file));
        }
        let total = jobs.len() as u64;
        let done = AtomicU64::new(0);
        let outcomes: Vec<Result<Outcome>> = futures::stream::iter(jobs)
            .map(|(key, file)| {
                let (listed, manifest, done) = (&listed, &manifest, &done);
                async move {
                    let outcome = self
                        .sync_up_one(key, &file.path, listed, manifest, options)
                        .await;
                    let now = done.fetch_add(1, Ordering::SeqCst) + 1;
                    report(options.progress.as_ref(), now, total);
                    outcome
                }
            })
            .buffer_unordered(options.concurrency)
            .collect()
            .await;

        let mut report = SyncReport {
            dry_run: options.dry_run,
            skipped,
            ..SyncReport::default()
        };
        let mut records = BTreeMap::new();
        let mut first_error = tally(outcomes, true, &mut report, &mut records);

        if options.delete {
            let extra: Vec<String> = listed
                .keys()
                .filter(|key| {
                    !present.contains(*key)
                        && !kept.iter().any(|k| {
                            key.strip_prefix(k.as_str())
                                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                        })
                })
                .cloned()
                .collect();
            if options.dry_run {
                report.deleted = extra;
            } else {
                let deleted: Vec<Result<String>> = futures::stream::iter(extra)
                    .map(|key| async move {
                        self.delete_object(&key).await?;
                        Ok(key)
                    })
                    .buffer_unordered(options.concurrency)
                    .collect()
                    .await;
                for result in deleted {
                    match result {
                        Ok(key) => report.deleted.push(key),
                        Err(e) => {
                            debug!(error = %e, "sync_up: delete failed");
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
        }
        if !options.dry_run {
            save_manifest(&root, &target, records).await;
        }
        report.sort();
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    async fn sync_up_one(
        &self,
        key: String,
        path: &Path,
        listed: &BTreeMap<String, Listed>,
        manifest: &BTreeMap<String, Record>,
        options: &SyncOptions,
    ) -> Result<Outcome> {
        let local = self.hash_local(path).await?;
        if let Some(listed) = listed.get(&key)
            && listed.size == local.size
            && let Some(remote) = self.remote_record(&key, listed, manifest.get(&key)).await?
            && same(&local, &remote)
        {
            return Ok(Outcome::Unchanged(key, remote));
        }
        if options.dry_run {
            return Ok(Outcome::Transferred(key, None));
        }
        // Compared already: no HEAD again inside the upload.
        self.upload_with(path, &key, &UploadOptions::new().force(true))
            .await?;
        let record = Record {
            etag: local.upload_etag,
            size: local.size,
            sha512: Some(local.sha512),
            crc64nvme: None,
        };
        Ok(Outcome::Transferred(key, Some(record)))
    }

    /// Downloads the objects under `prefix` whose content `local_dir` does not already hold
    /// (a key's path in the folder is the key without the prefix). Keys that would leave the
    /// folder (`..`, absolute) are reported as skipped, never written. See
    /// [`S3Access::sync_up_with`] for the rule.
    pub async fn sync_down(&self, prefix: &str, local_dir: impl AsRef<Path>) -> Result<SyncReport> {
        self.sync_down_with(prefix, local_dir, &SyncOptions::default())
            .await
    }

    /// [`S3Access::sync_down`] with options (dry run, delete, symlinks, concurrency, progress).
    /// Without `follow_symlinks`, no file is written or compared through a symbolic link.
    pub async fn sync_down_with(
        &self,
        prefix: &str,
        local_dir: impl AsRef<Path>,
        options: &SyncOptions,
    ) -> Result<SyncReport> {
        let root = local_dir.as_ref().to_path_buf();
        let prefix = folder_prefix(prefix);
        if !options.dry_run {
            tokio::fs::create_dir_all(&root)
                .await
                .map_err(|e| Error::io(&root, e))?;
        }
        let listed = self.list_for_sync(&prefix).await?;
        let target = format!("s3://{}/{prefix}", self.inner.bucket);
        let manifest = load_manifest(&root, &target).await;

        let mut skipped = Vec::new();
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        let mut jobs = Vec::new();
        for (key, meta) in &listed {
            let rel = key.strip_prefix(&prefix).unwrap_or(key);
            wanted.insert(rel.to_owned());
            if rel == SYNC_MANIFEST || rel.starts_with(&format!("{SYNC_MANIFEST}.")) {
                skipped.push(SyncSkip {
                    name: key.clone(),
                    reason: SkipReason::UnsafeKey("the sync manifest's name".into()),
                });
                continue;
            }
            match key_to_relative_path(rel)
                .and_then(|path| check_name_lengths(&root.join(&path)).map(|()| path))
            {
                Ok(path) => jobs.push((key.clone(), path, meta)),
                Err(e) => skipped.push(SyncSkip {
                    name: key.clone(),
                    reason: SkipReason::UnsafeKey(e.to_string()),
                }),
            }
        }
        let total = jobs.len() as u64;
        let done = AtomicU64::new(0);
        let outcomes: Vec<Result<Outcome>> = futures::stream::iter(jobs)
            .map(|(key, rel, meta)| {
                let (root, manifest, done) = (&root, &manifest, &done);
                async move {
                    let outcome = self
                        .sync_down_one(key, root, &rel, meta, manifest, options)
                        .await;
                    let now = done.fetch_add(1, Ordering::SeqCst) + 1;
                    report(options.progress.as_ref(), now, total);
                    outcome
                }
            })
            .buffer_unordered(options.concurrency)
            .collect()
            .await;

        let mut report = SyncReport {
            dry_run: options.dry_run,
            skipped,
            ..SyncReport::default()
        };
        let mut records = BTreeMap::new();
        let mut first_error = tally(outcomes, false, &mut report, &mut records);

        if options.delete && root.is_dir() {
            let walking = root.clone();
            let follow = options.follow_symlinks;
            let (files, _) = tokio::task::spawn_blocking(move || walk(&walking, follow))
                .await
                .map_err(|e| blocking_err(&root, e))??;
            for file in files.into_iter().filter(|f| !wanted.contains(&f.rel)) {
                if !options.dry_run
                    && let Err(e) = tokio::fs::remove_file(&file.path).await
                {
                    first_error.get_or_insert(Error::io(&file.path, e));
                    continue;
                }
                report.deleted.push(file.rel);
            }
        }
        if !options.dry_run {
            save_manifest(&root, &target, records).await;
        }
        report.sort();
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    async fn sync_down_one(
        &self,
        key: String,
        root: &Path,
        rel: &Path,
        listed: &Listed,
        manifest: &BTreeMap<String, Record>,
        options: &SyncOptions,
    ) -> Result<Outcome> {
        let dest = root.join(rel);
        if !options.follow_symlinks && through_symlink(root, rel).await {
            return Ok(Outcome::Skipped(SyncSkip {
                name: key,
                reason: SkipReason::Symlink,
            }));
        }
        match tokio::fs::metadata(&dest).await {
            Ok(meta) if meta.is_file() => {
                let local = self.hash_local(&dest).await?;
                if local.size == listed.size
                    && let Some(remote) =
                        self.remote_record(&key, listed, manifest.get(&key)).await?
                    && same(&local, &remote)
                {
                    return Ok(Outcome::Unchanged(key, remote));
                }
            }
            Ok(_) => {
                return Ok(Outcome::Skipped(SyncSkip {
                    name: key,
                    reason: SkipReason::NotAFile,
                }));
            }
            Err(_) => {}
        }
        if options.dry_run {
            return Ok(Outcome::Transferred(key, None));
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| Error::io(parent, e))?;
        }
        self.download(&key, &dest).await?;
        // The record pairs the listed ETag with the content only when that content is what the
        // ETag says (the object did not change between the listing and the download).
        let local = self.hash_local(&dest).await?;
        let record =
            (local.md5 == listed.etag || local.upload_etag == listed.etag).then(|| Record {
                etag: listed.etag.clone(),
                size: listed.size,
                sha512: Some(local.sha512),
                crc64nvme: None,
            });
        Ok(Outcome::Transferred(key, record))
    }

    /// The object's content as the manifest remembers it, when the listed ETag and size are
    /// the recorded ones; else as a HEAD says (`None`: the object is gone).
    async fn remote_record(
        &self,
        key: &str,
        listed: &Listed,
        recorded: Option<&Record>,
    ) -> Result<Option<Record>> {
        if let Some(record) = recorded
            && record.etag == listed.etag
            && record.size == listed.size
        {
            return Ok(Some(record.clone()));
        }
        let Some(meta) = self.get_object_metadata(key).await.found()? else {
            return Ok(None);
        };
        Ok(Some(Record {
            etag: meta.etag,
            size: meta.size,
            sha512: meta.sha512,
            crc64nvme: meta.crc64nvme,
        }))
    }

    /// Every object under `prefix` with its ETag and size (the ListObjectsV2 pages only).
    async fn list_for_sync(&self, prefix: &str) -> Result<BTreeMap<String, Listed>> {
        let mut objects = BTreeMap::new();
        self.list_objects(prefix, |object| {
            if let Some(key) = object.key() {
                objects.insert(
                    key.to_owned(),
                    Listed {
                        etag: object
                            .e_tag()
                            .unwrap_or_default()
                            .trim_matches('"')
                            .to_owned(),
                        size: object.size().unwrap_or(0).max(0) as u64,
                    },
                );
            }
        })
        .await?;
        Ok(objects)
    }

    async fn hash_local(&self, path: &Path) -> Result<LocalHash> {
        let hashing = path.to_path_buf();
        let threshold = self.inner.multipart_threshold;
        let part_size = self.inner.part_size;
        tokio::task::spawn_blocking(move || hash_local(&hashing, threshold, part_size))
            .await
            .map_err(|e| blocking_err(path, e))?
    }
}
