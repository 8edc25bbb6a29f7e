//! A content-addressed, size-bounded LRU disk cache with atomic writes.
//!
//! Entries are files named by a content identity (a hex or base36 hash, say): the same name
//! always means the same bytes, so an entry is never updated in place, only added, touched or
//! evicted. Used by `awsimple-s3` (`download_cached`) and `awsimple-dynamodb` (cached scans, in
//! per-key [slots](DiskCache::write_slot)); it knows nothing about AWS.
//!
//! - **Bounded**: at most min([`max_bytes`](DiskCacheBuilder::max_bytes), default 1 GB;
//!   [`max_free_fraction`](DiskCacheBuilder::max_free_fraction) of the disk's free space, default
//!   5 %). The least recently used entries are evicted until a new one fits; an entry larger
//!   than the limit is not stored.
//! - **Recency is tracked by the cache itself** (a hit sets the entry's mtime), not by the file
//!   system's atime, which most Linux mounts do not update (`relatime`, `noatime`).
//! - **Atomic**: every write goes to a temporary file in the cache folder and is renamed into
//!   place, so readers and writers in several processes never see a partial entry; a truncated or
//!   wrong-sized entry is a miss and is removed. Writers evict and rename under a lock file shared
//!   by all processes, so concurrent writers keep the cache within its limit.
//! - **Never in the way**: a cache failure is logged and costs a miss; it never fails the
//!   caller's operation. Only [`DiskCacheBuilder::build`] returns errors.
//! - **Private**: on Unix, folders are created `0700` and files `0600`.
//!
//! Where the cache lives: the folder given to [`DiskCacheBuilder::dir`] if any; else, when the
//! caller opted in with [`DiskCacheBuilder::use_env_dir`] and `AWSIMPLE_CACHE_DIR` is set,
//! `$AWSIMPLE_CACHE_DIR/<service>`; else the per-user cache folder's `awsimple/aws/<service>`
//! (`~/.cache/awsimple/aws/s3` on Linux). Inside it: one file per entry (named by its id), slots
//! in `slots/`, temporary files named `.tmp-*` and the writers' lock file `.lock`.
//!
//! The methods are blocking (`std::fs`); from async code, call them in `spawn_blocking`. A
//! [`DiskCache`] is cheap to clone and can be shared between threads.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use awsimple_cache::DiskCache;
//!
//! let folder = tempfile::tempdir()?;
//! let cache = DiskCache::builder("s3").dir(folder.path()).build()?;
//! assert!(cache.put_bytes("3a9f", b"hello"));
//! assert_eq!(cache.read("3a9f", Some(5)).as_deref(), Some(&b"hello"[..]));
//! assert!(cache.read("3a9f", Some(6)).is_none()); // wrong size: a miss, and the entry is gone
//! assert!(!cache.contains("3a9f", None));
//!
//! // A per-key slot (not content-addressed, never evicted), e.g. a cached table scan.
//! assert!(cache.write_slot("scan-users", b"[...]"));
//! assert_eq!(cache.read_slot("scan-users").map(|s| s.bytes), Some(b"[...]".to_vec()));
//! # Ok(()) }
//! ```

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tempfile::NamedTempFile;
use tracing::{debug, warn};

/// Default upper bound of the cache size: 1e9 bytes.
pub const DEFAULT_MAX_BYTES: u64 = 1_000_000_000;
/// Default fraction of the disk's free space the cache may use.
pub const DEFAULT_MAX_FREE_FRACTION: f64 = 0.05;
/// The variable naming the base cache folder, used only when the caller opts in.
pub const CACHE_DIR_VARIABLE: &str = "AWSIMPLE_CACHE_DIR";
/// Longest accepted id or slot name.
pub const MAX_ID_LEN: usize = 200;

/// Prefix of temporary files: never an entry (ids cannot start with a dot).
const TEMP_PREFIX: &str = ".tmp-";
/// Temporary files older than this are left over from a crash and are removed during eviction.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);
const SLOTS: &str = "slots";
/// The lock file writers hold while evicting and renaming (ids cannot start with a dot).
const LOCK_FILE: &str = ".lock";

/// What can go wrong when building a cache or naming an entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// An id, slot name or service name that cannot name a file in the cache.
    #[error("invalid cache entry name {id:?}: {reason}")]
    InvalidId {
        /// The rejected name.
        id: String,
        /// Why.
        reason: &'static str,
    },
    /// A setting out of range.
    #[error("invalid cache setting: {0}")]
    InvalidSetting(String),
    /// There is no per-user cache folder on this system (no home folder): pass one explicitly.
    #[error("no per-user cache folder on this system: give the cache a folder explicitly")]
    NoCacheDir,
    /// The cache folder could not be created.
    #[error("cache folder {}: {source}", path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// Checks that `id` can name a cache file: 1 to [`MAX_ID_LEN`] ASCII letters, digits, `-` or
/// `_` (so no separators, no `..`, no NUL, no leading dot), and not a name Windows reserves for
/// a device (`con`, `nul`, `com1`, ... in any case), so that an id valid on one system is valid
/// on all of them.
///
/// Ids that differ only in case name the same file on case-insensitive file systems (macOS,
/// Windows): use one case (hex digests are lower case).
pub fn validate_id(id: &str) -> Result<(), CacheError> {
    let reason = if id.is_empty() {
        Some("it is empty")
    } else if id.len() > MAX_ID_LEN {
        Some("it is longer than 200 characters")
    } else if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Some("only ASCII letters, digits, '-' and '_' are allowed")
    } else if is_windows_device(id) {
        Some("it is a device name on Windows")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CacheError::InvalidId {
            id: id.chars().take(MAX_ID_LEN + 8).collect(),
            reason,
        }),
        None => Ok(()),
    }
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM1`-`COM9`, `LPT1`-`LPT9`, in any case.
fn is_windows_device(id: &str) -> bool {
    let upper = id.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            upper.len() == 4
                && (upper.starts_with("COM") || upper.starts_with("LPT"))
                && matches!(upper.as_bytes()[3], b'1'..=b'9')
        }
    }
}

/// Builds a [`DiskCache`]: see [`DiskCache::builder`].
#[derive(Clone, Debug)]
pub struct DiskCacheBuilder {
    service: String,
    dir: Option<PathBuf>,
    max_bytes: u64,
    max_free_fraction: f64,
    use_env_dir: bool,
}

impl DiskCacheBuilder {
    /// Use this folder (it wins over everything else).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Upper bound of the cache size in bytes (default [`DEFAULT_MAX_BYTES`]).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Fraction of the disk's free space the cache may use, 0 to 1 (default
    /// [`DEFAULT_MAX_FREE_FRACTION`]).
    pub fn max_free_fraction(mut self, fraction: f64) -> Self {
        self.max_free_fraction = fraction;
        self
    }

    /// When true and no folder was given, `AWSIMPLE_CACHE_DIR` (if set) is the base folder, and
    /// the cache lives in `$AWSIMPLE_CACHE_DIR/<service>`. Off by default.
    pub fn use_env_dir(mut self, use_it: bool) -> Self {
        self.use_env_dir = use_it;
        self
    }

    /// Creates the folder (owner-only on Unix) and returns the cache.
    pub fn build(self) -> Result<DiskCache, CacheError> {
        validate_id(&self.service)?;
        if !(0.0..=1.0).contains(&self.max_free_fraction) {
            return Err(CacheError::InvalidSetting(format!(
                "max_free_fraction must be between 0 and 1, not {}",
                self.max_free_fraction
            )));
        }
        let dir = match self.dir {
            Some(dir) => dir,
            None => {
                let from_env = self
                    .use_env_dir
                    .then(|| std::env::var_os(CACHE_DIR_VARIABLE))
                    .flatten()
                    .filter(|v| !v.is_empty());
                match from_env {
                    Some(base) => PathBuf::from(base).join(&self.service),
                    None => default_base()?.join(&self.service),
                }
            }
        };
        create_private_dir(&dir).map_err(|source| CacheError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(DiskCache {
            inner: Arc::new(Inner {
                dir,
                max_bytes: self.max_bytes,
                max_free_fraction: self.max_free_fraction,
            }),
        })
    }
}

/// `<per-user cache folder>/awsimple/aws` (on Linux `~/.cache/awsimple/aws`).
fn default_base() -> Result<PathBuf, CacheError> {
    directories::BaseDirs::new()
        .map(|dirs| dirs.cache_dir().join("awsimple").join("aws"))
        .ok_or(CacheError::NoCacheDir)
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A slot's content and when it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// What was written.
    pub bytes: Vec<u8>,
    /// When it was written (the file's mtime).
    pub modified: SystemTime,
}

/// The cache. Cheap to clone; clones share the folder and limits.
#[derive(Clone, Debug)]
pub struct DiskCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    max_bytes: u64,
    max_free_fraction: f64,
}

/// An entry as seen by eviction.
struct Entry {
    path: PathBuf,
    size: u64,
    used: SystemTime,
}

impl DiskCache {
    /// A builder for the cache of `service` (`"s3"`, `"dynamodb"`, ...): by default in the
    /// per-user cache folder, `awsimple/aws/<service>`.
    pub fn builder(service: &str) -> DiskCacheBuilder {
        DiskCacheBuilder {
            service: service.to_owned(),
            dir: None,
            max_bytes: DEFAULT_MAX_BYTES,
            max_free_fraction: DEFAULT_MAX_FREE_FRACTION,
            use_env_dir: false,
        }
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The current limit in bytes: min(max bytes, fraction of the free space).
    pub fn limit(&self) -> u64 {
        match fs4::available_space(&self.inner.dir) {
            Ok(free) => {
                let share = (free as f64 * self.inner.max_free_fraction) as u64;
                share.min(self.inner.max_bytes)
            }
            Err(e) => {
                debug!(dir = %self.inner.dir.display(), error = %e, "free space unknown: using max_bytes");
                self.inner.max_bytes
            }
        }
    }

    fn entry_path(&self, id: &str) -> Option<PathBuf> {
        match validate_id(id) {
            Ok(()) if id.eq_ignore_ascii_case(SLOTS) => {
                warn!(id, "cache: '{SLOTS}' names the slot folder, not an entry");
                None
            }
            Ok(()) => Some(self.inner.dir.join(id)),
            Err(e) => {
                warn!(error = %e, "cache: invalid entry name");
                None
            }
        }
    }

    /// True when a valid entry is present (does not count as a use).
    pub fn contains(&self, id: &str, expected_size: Option<u64>) -> bool {
        self.entry_path(id)
            .is_some_and(|path| valid_entry(&path, expected_size).is_some())
    }

    /// The path of a valid entry, marking it as just used; `None` on a miss. A wrong-sized entry
    /// is removed. The file may be evicted by another process at any time after this returns:
    /// prefer [`DiskCache::copy_to`] or [`DiskCache::read`].
    pub fn get_path(&self, id: &str, expected_size: Option<u64>) -> Option<PathBuf> {
        let path = self.entry_path(id)?;
        let found = valid_entry(&path, expected_size);
        match &found {
            Some(_) => {
                touch(&path);
                debug!(id, "cache hit");
            }
            None => debug!(id, "cache miss"),
        }
        found.map(|_| path)
    }

    /// The bytes of a valid entry; `None` on a miss.
    pub fn read(&self, id: &str, expected_size: Option<u64>) -> Option<Vec<u8>> {
        let path = self.get_path(id, expected_size)?;
        match fs::read(&path) {
            Ok(bytes) if expected_size.is_none_or(|s| s == bytes.len() as u64) => Some(bytes),
            Ok(_) => {
                remove_quietly(&path);
                None
            }
            Err(e) => {
                debug!(id, error = %e, "cache entry vanished while reading: a miss");
                None
            }
        }
    }

    /// Copies a valid entry to `dest`, atomically (a temporary file beside `dest`, then a
    /// rename): `dest` is either the whole entry or untouched. False on a miss or a failure.
    pub fn copy_to(&self, id: &str, expected_size: Option<u64>, dest: &Path) -> bool {
        let Some(path) = self.get_path(id, expected_size) else {
            return false;
        };
        let mut source = match File::open(&path) {
            Ok(file) => file,
            Err(e) => {
                // Evicted by another process since the lookup: an ordinary miss.
                debug!(id, error = %e, "cache entry vanished before the copy: a miss");
                return false;
            }
        };
        let result = (|| -> io::Result<()> {
            let parent = parent_of(dest);
            let mut temp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempfile_in(parent)?;
            let copied = io::copy(&mut source, temp.as_file_mut())?;
            if expected_size.is_some_and(|s| s != copied) {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "entry changed size while copying",
                ));
            }
            // No fsync: the rename already makes the copy all-or-nothing for every reader, and
            // a hit is on the hot path (the entry itself was synced when it was stored).
            temp.persist(dest).map_err(|e| e.error)?;
            Ok(())
        })();
        match result {
            Ok(()) => true,
            Err(e) => {
                warn!(id, dest = %dest.display(), error = %e, "cache copy failed: a miss");
                false
            }
        }
    }

    /// Stores a copy of the file `src` as `id`, evicting least recently used entries to make
    /// room. False when it was not stored (too large, or a failure, which is logged).
    pub fn put_file(&self, id: &str, src: &Path) -> bool {
        let Some(target) = self.entry_path(id) else {
            return false;
        };
        let size = match fs::metadata(src) {
            Ok(m) => m.len(),
            Err(e) => {
                warn!(id, src = %src.display(), error = %e, "cache: cannot read the source");
                return false;
            }
        };
        self.store(id, &target, size, |file| {
            let mut source = File::open(src)?;
            io::copy(&mut source, file)
        })
    }

    /// Stores `bytes` as `id`, evicting least recently used entries to make room. False when
    /// it was not stored.
    pub fn put_bytes(&self, id: &str, bytes: &[u8]) -> bool {
        let Some(target) = self.entry_path(id) else {
            return false;
        };
        self.store(id, &target, bytes.len() as u64, |file| {
            file.write_all(bytes)?;
            Ok(bytes.len() as u64)
        })
    }

    fn store(
        &self,
        id: &str,
        target: &Path,
        size: u64,
        fill: impl FnOnce(&mut File) -> io::Result<u64>,
    ) -> bool {
        let limit = self.limit();
        if size > limit {
            debug!(id, size, limit, "not cached: larger than the cache limit");
            return false;
        }
        let result = (|| -> io::Result<()> {
            create_private_dir(&self.inner.dir)?;
            let mut temp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempfile_in(&self.inner.dir)?;
            let written = fill(temp.as_file_mut())?;
            if written != size {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the source changed size while copying ({written} of {size} bytes)"),
                ));
            }
            temp.as_file().sync_data()?;
            // Eviction and the rename happen under an exclusive lock shared by every process
            // using this folder, so concurrent writers cannot each make room for themselves only
            // and overshoot together. Readers never take it.
            let lock = open_lock(&self.inner.dir.join(LOCK_FILE))?;
            let locked = match lock.lock() {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::Unsupported => {
                    debug!(error = %e, "no file locks here: evicting without the lock");
                    false
                }
                Err(e) => return Err(e),
            };
            self.evict_for(size, target, limit);
            let stored = persist(temp, target);
            if locked {
                let _ = lock.unlock();
            }
            stored
        })();
        match result {
            Ok(()) => {
                debug!(id, size, "cached");
                true
            }
            Err(e) => {
                warn!(id, error = %e, "cache write failed: not cached");
                false
            }
        }
    }

    /// Removes least recently used entries until `incoming` more bytes fit under `limit`.
    fn evict_for(&self, incoming: u64, replacing: &Path, limit: u64) {
        let mut entries = self.entries();
        entries.retain(|e| e.path != replacing);
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        entries.sort_by_key(|e| e.used);
        for entry in entries {
            if total + incoming <= limit {
                break;
            }
            match fs::remove_file(&entry.path) {
                Ok(()) => debug!(path = %entry.path.display(), size = entry.size, "evicted"),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {} // another process did it
                Err(e) => {
                    warn!(path = %entry.path.display(), error = %e, "cache: eviction failed");
                    continue;
                }
            }
            total = total.saturating_sub(entry.size);
        }
    }

    /// Every entry (not temporary files, not slots); stale temporary files are removed.
    fn entries(&self) -> Vec<Entry> {
        let Ok(listing) = fs::read_dir(&self.inner.dir) else {
            return Vec::new();
        };
        let now = SystemTime::now();
        listing
            .flatten()
            .filter_map(|item| {
                let name = item.file_name();
                let name = name.to_str()?;
                let meta = item.metadata().ok()?;
                if !meta.is_file() {
                    return None;
                }
                let used = meta.modified().ok()?;
                if name == LOCK_FILE {
                    return None;
                }
                if name.starts_with(TEMP_PREFIX) {
                    if now
                        .duration_since(used)
                        .is_ok_and(|age| age > STALE_TEMP_AGE)
                    {
                        remove_quietly(&item.path());
                    }
                    return None;
                }
                validate_id(name).ok()?;
                Some(Entry {
                    path: item.path(),
                    size: meta.len(),
                    used,
                })
            })
            .collect()
    }

    /// Removes an entry (nothing happens when it is absent).
    pub fn remove(&self, id: &str) {
        if let Some(path) = self.entry_path(id) {
            remove_quietly(&path);
        }
    }

    /// Time since the entry was stored or last used; `None` when absent.
    pub fn entry_age(&self, id: &str) -> Option<Duration> {
        let path = self.entry_path(id)?;
        age_of(&path)
    }

    /// The total size of all entries.
    pub fn total_size(&self) -> u64 {
        self.entries().iter().map(|e| e.size).sum()
    }

    /// Ids of all entries, least recently used first.
    pub fn ids(&self) -> Vec<String> {
        let mut entries = self.entries();
        entries.sort_by_key(|e| e.used);
        entries
            .iter()
            .filter_map(|e| Some(e.path.file_name()?.to_str()?.to_owned()))
            .collect()
    }

    fn slot_path(&self, name: &str) -> Option<PathBuf> {
        match validate_id(name) {
            Ok(()) => Some(self.inner.dir.join(SLOTS).join(name)),
            Err(e) => {
                warn!(error = %e, "cache: invalid slot name");
                None
            }
        }
    }

    /// Writes a per-key slot atomically (readers see the old or the new bytes, never a mix).
    /// Slots are not content-addressed and not evicted. False on failure (logged).
    pub fn write_slot(&self, name: &str, bytes: &[u8]) -> bool {
        let Some(target) = self.slot_path(name) else {
            return false;
        };
        let result = (|| -> io::Result<()> {
            let dir = parent_of(&target);
            create_private_dir(dir)?;
            let mut temp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempfile_in(dir)?;
            temp.write_all(bytes)?;
            temp.as_file().sync_data()?;
            persist(temp, &target)?;
            remove_stale_temps(dir);
            Ok(())
        })();
        match result {
            Ok(()) => {
                debug!(slot = name, size = bytes.len(), "slot written");
                true
            }
            Err(e) => {
                warn!(slot = name, error = %e, "cache slot write failed");
                false
            }
        }
    }

    /// A slot's bytes and write time; `None` when absent or unreadable.
    pub fn read_slot(&self, name: &str) -> Option<Slot> {
        let path = self.slot_path(name)?;
        let result = (|| -> io::Result<Slot> {
            // One handle for both: the bytes and the time belong to the same write.
            let mut file = File::open(&path)?;
            let modified = file.metadata()?.modified()?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            Ok(Slot { bytes, modified })
        })();
        match result {
            Ok(slot) => Some(slot),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                debug!(slot = name, error = %e, "cache slot unreadable: none");
                None
            }
        }
    }

    /// Time since the slot was written; `None` when absent.
    pub fn slot_age(&self, name: &str) -> Option<Duration> {
        age_of(&self.slot_path(name)?)
    }

    /// Removes a slot (nothing happens when it is absent).
    pub fn remove_slot(&self, name: &str) {
        if let Some(path) = self.slot_path(name) {
            remove_quietly(&path);
        }
    }
}

/// The entry's size when it is a file of the expected size; a wrong-sized entry is removed.
fn valid_entry(path: &Path, expected_size: Option<u64>) -> Option<u64> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    match expected_size {
        Some(expected) if expected != meta.len() => {
            debug!(path = %path.display(), expected, actual = meta.len(), "wrong-sized cache entry removed");
            remove_quietly(path);
            None
        }
        _ => Some(meta.len()),
    }
}

/// Marks an entry as just used (its mtime is the recency the LRU evicts by).
fn touch(path: &Path) {
    let result = File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()));
    if let Err(e) = result {
        debug!(path = %path.display(), error = %e, "could not mark a cache entry as used");
    }
}

/// Opens (creating it owner-only if needed) the lock file writers share.
fn open_lock(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Removes the `.tmp-*` files in `dir` older than [`STALE_TEMP_AGE`] (left over from a crash).
fn remove_stale_temps(dir: &Path) {
    let Ok(listing) = fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for item in listing.flatten() {
        if item
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(TEMP_PREFIX))
            && is_stale(&item, now)
        {
            remove_quietly(&item.path());
        }
    }
}

fn is_stale(item: &fs::DirEntry, now: SystemTime) -> bool {
    item.metadata()
        .and_then(|m| m.modified())
        .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > STALE_TEMP_AGE))
}

fn persist(temp: NamedTempFile, target: &Path) -> io::Result<()> {
    temp.persist(target).map(|_| ()).map_err(|e| e.error)
}

fn age_of(path: &Path) -> Option<Duration> {
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    Some(
        SystemTime::now()
            .duration_since(modified)
            .unwrap_or(Duration::ZERO),
    )
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn remove_quietly(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        warn!(path = %path.display(), error = %e, "could not remove a cache file");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_validated() {
        for good in ["abc", "0123456789abcdef", "A-b_c", &"f".repeat(200)] {
            assert!(validate_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "a\0b",
            ".hidden",
            "a b",
            "é",
            &"f".repeat(201),
            "con",
            "NUL",
            "Com1",
            "lpt9",
        ] {
            assert!(validate_id(bad).is_err(), "{bad:?}");
        }
        for fine in ["com0", "com10", "console", "nul-1", "lpt"] {
            assert!(validate_id(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn errors_name_the_id_and_the_reason() {
        let message = validate_id("a/b").err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "invalid cache entry name \"a/b\": only ASCII letters, digits, '-' and '_' are allowed"
            )
        );
    }

    #[test]
    fn the_cache_is_cheap_to_share() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<DiskCache>();
    }
}
