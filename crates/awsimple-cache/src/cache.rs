//! The cache handle, its folder and its limit.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tracing::debug;

/// The slot folder inside the cache folder.
pub(crate) const SLOTS: &str = "slots";
/// The lock file writers hold while evicting and renaming (ids cannot start with a dot).
pub(crate) const LOCK_FILE: &str = ".lock";

/// The cache. Cheap to clone; clones share the folder and limits.
#[derive(Clone, Debug)]
pub struct DiskCache {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) dir: PathBuf,
    pub(crate) max_bytes: u64,
    pub(crate) max_free_fraction: f64,
    pub(crate) lock_wait: Duration,
}

impl DiskCache {
    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The current limit in bytes of content: min(max bytes, fraction of the free space).
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_cheap_to_share() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<DiskCache>();
    }
}
