//! Building a cache: where it lives and its limits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::{DiskCache, Inner};
use crate::files::create_private_dir;
use crate::id::{CacheError, validate_id};

/// Default upper bound of the cache size: 1e9 bytes.
pub const DEFAULT_MAX_BYTES: u64 = 1_000_000_000;
/// Default fraction of the disk's free space the cache may use.
pub const DEFAULT_MAX_FREE_FRACTION: f64 = 0.05;
/// Default longest wait of a writer for the lock other writers hold while they evict.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);
/// The variable naming the base cache folder, used only when the caller opts in.
pub const CACHE_DIR_VARIABLE: &str = "AWSIMPLE_CACHE_DIR";

/// Builds a [`DiskCache`]: see [`DiskCache::builder`].
#[derive(Clone, Debug)]
pub struct DiskCacheBuilder {
    service: String,
    dir: Option<PathBuf>,
    max_bytes: u64,
    max_free_fraction: f64,
    use_env_dir: bool,
    lock_wait: Duration,
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
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }
}

impl DiskCacheBuilder {
    /// Use this folder (it wins over everything else).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Upper bound of the cache size in bytes of content (default [`DEFAULT_MAX_BYTES`]).
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

    /// How long a writer waits at most for the lock another writer (maybe in another process)
    /// holds while it evicts and renames (default [`DEFAULT_LOCK_WAIT`]); after that the entry
    /// is not stored, rather than waiting on a stuck process.
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
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
                lock_wait: self.lock_wait,
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
