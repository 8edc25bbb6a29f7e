//! Slots: per-key files, rewritten whole, never evicted (e.g. a cached table scan).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tracing::{debug, warn};

use crate::cache::{DiskCache, SLOTS};
use crate::checksum::{self, Refusal};
use crate::files::{
    TEMP_PREFIX, age_of, age_since, create_inner_dir, is_real_dir, open_regular, parent_of,
    persist, remove_if_same, remove_quietly, remove_stale_temps,
};
use crate::id::validate_id;

/// A slot's content and when it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// What was written.
    pub bytes: Vec<u8>,
    /// When it was written (the file's mtime); never later than
    /// [`FUTURE_TOLERANCE`](crate::FUTURE_TOLERANCE) from the time it was read.
    pub modified: SystemTime,
}

impl DiskCache {
    fn slot_path(&self, name: &str) -> Option<PathBuf> {
        match validate_id(name) {
            Ok(()) => Some(self.inner.dir.join(SLOTS).join(name)),
            Err(e) => {
                warn!(error = %e, "cache: invalid slot name");
                None
            }
        }
    }

    /// Writes a per-key slot atomically (readers see the old or the new bytes, never a mix),
    /// with its checksum. Slots are not content-addressed and not evicted. False on failure
    /// (logged).
    pub fn write_slot(&self, name: &str, bytes: &[u8]) -> bool {
        let Some(target) = self.slot_path(name) else {
            return false;
        };
        let result = (|| -> std::io::Result<()> {
            let dir = parent_of(&target);
            create_inner_dir(dir)?;
            let mut temp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempfile_in(dir)?;
            checksum::write_bytes(temp.as_file_mut(), name, bytes)?;
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

    /// A slot's bytes and write time; `None` when absent, not a regular file (removed), not
    /// what was written (removed), unreadable, or stamped further in the future than
    /// [`FUTURE_TOLERANCE`](crate::FUTURE_TOLERANCE) (its age is unknown: a miss, so a stale
    /// slot never passes for a fresh one after the clock was stepped back).
    pub fn read_slot(&self, name: &str) -> Option<Slot> {
        let path = self.slot_path(name)?;
        if !is_real_dir(parent_of(&path)) {
            return None;
        }
        // One handle for all: the bytes and the time belong to the same write.
        let (mut file, meta) = open_regular(&path)?;
        let modified = meta.modified().ok()?;
        if age_since(modified, SystemTime::now()).is_none() {
            debug!(slot = name, "cache slot stamped in the future: a miss");
            return None;
        }
        let result = checksum::read_header(&mut file, meta.len(), None).and_then(|header| {
            let mut bytes = Vec::with_capacity(usize::try_from(header.len()).unwrap_or(0));
            checksum::copy_checked(&mut file, &header, name, &mut bytes).map(|()| bytes)
        });
        match result {
            Ok(bytes) => Some(Slot { bytes, modified }),
            Err(Refusal::Bad(reason)) => {
                warn!(slot = name, reason, "bad cache slot removed: a miss");
                remove_if_same(&path, &meta);
                None
            }
            Err(Refusal::Io(e)) => {
                debug!(slot = name, error = %e, "cache slot unreadable: none");
                None
            }
        }
    }

    /// Time since the slot was written; `None` when absent, not a regular file, or stamped
    /// further in the future than [`FUTURE_TOLERANCE`](crate::FUTURE_TOLERANCE) (age unknown).
    pub fn slot_age(&self, name: &str) -> Option<Duration> {
        let path = self.slot_path(name)?;
        if !is_real_dir(parent_of(&path)) {
            return None;
        }
        age_of(&path)
    }

    /// Removes a slot (nothing happens when it is absent).
    pub fn remove_slot(&self, name: &str) {
        if let Some(path) = self.slot_path(name) {
            remove_quietly(&path);
        }
    }
}
