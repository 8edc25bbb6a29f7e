//! The listing of entries, and least-recently-used eviction.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tracing::{debug, warn};

use crate::cache::{DiskCache, LOCK_FILE};
use crate::checksum::HEADER_LEN;
use crate::files::{TEMP_PREFIX, age_since, is_stale_temp, remove_quietly};
use crate::id::validate_id;

/// An entry as seen by eviction.
pub(crate) struct Entry {
    path: PathBuf,
    /// Content bytes (the file less its header).
    size: u64,
    used: SystemTime,
}

impl DiskCache {
    /// Removes least recently used entries until `incoming` more bytes fit under `limit`.
    pub(crate) fn evict_for(&self, incoming: u64, replacing: &Path, limit: u64) {
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

    /// Every entry: regular files named by an id (not temporary files, not slots, not symlinks,
    /// nothing is opened); stale temporary files are removed. An entry last used in the future
    /// (beyond the tolerance) counts as the least recently used.
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
                // The entry's own metadata: a symlink is not followed.
                let meta = item.metadata().ok()?;
                if !meta.is_file() || name == LOCK_FILE {
                    return None;
                }
                if name.starts_with(TEMP_PREFIX) {
                    if is_stale_temp(&meta, now) {
                        remove_quietly(&item.path());
                    }
                    return None;
                }
                validate_id(name).ok()?;
                let modified = meta.modified().ok()?;
                let used = match age_since(modified, now) {
                    Some(_) => modified,
                    None => SystemTime::UNIX_EPOCH,
                };
                Some(Entry {
                    path: item.path(),
                    size: meta.len().saturating_sub(HEADER_LEN),
                    used,
                })
            })
            .collect()
    }

    /// The total size of all entries' content.
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
}
