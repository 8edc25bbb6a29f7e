//! Entries: storing, checking and serving content-addressed files.

use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing::{debug, warn};

use crate::cache::{DiskCache, LOCK_FILE, SLOTS};
use crate::checksum::{self, Header, Refusal};
use crate::files::{
    TEMP_PREFIX, age_of, create_private_dir, lock_within, open_lock, open_regular, open_source,
    parent_of, persist, remove_if_same, remove_quietly, touch,
};
use crate::id::validate_id;

/// An entry opened for reading, its header checked.
struct Opened {
    path: PathBuf,
    file: File,
    meta: Metadata,
    header: Header,
}

impl Opened {
    /// Copies the content to `sink`, checking it; a bad entry is removed.
    fn copy_checked(&mut self, id: &str, sink: &mut impl Write) -> bool {
        match checksum::copy_checked(&mut self.file, &self.header, id, sink) {
            Ok(()) => true,
            Err(refusal) => {
                refused(id, &self.path, &self.meta, refusal);
                false
            }
        }
    }
}

/// Logs why an entry was not served and removes it when it is bad (not on a mere I/O error).
fn refused(id: &str, path: &Path, meta: &Metadata, refusal: Refusal) {
    match refusal {
        Refusal::Bad(reason) => {
            warn!(id, reason, "bad cache entry removed: a miss");
            remove_if_same(path, meta);
        }
        Refusal::Io(e) => debug!(id, error = %e, "cache entry unreadable: a miss"),
    }
}

impl DiskCache {
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

    /// Opens the entry and checks its header; `None` on a miss (a bad entry is removed).
    fn open_entry(&self, id: &str, expected_size: Option<u64>) -> Option<Opened> {
        let path = self.entry_path(id)?;
        let Some((mut file, meta)) = open_regular(&path) else {
            debug!(id, "cache miss");
            return None;
        };
        match checksum::read_header(&mut file, meta.len(), expected_size) {
            Ok(header) => Some(Opened {
                path,
                file,
                meta,
                header,
            }),
            Err(refusal) => {
                refused(id, &path, &meta, refusal);
                None
            }
        }
    }

    /// True when the entry is present and holds what was stored (of `expected_size` bytes if
    /// given): it is read through to check it. Does not count as a use. A bad entry is removed.
    pub fn contains(&self, id: &str, expected_size: Option<u64>) -> bool {
        self.open_entry(id, expected_size)
            .is_some_and(|mut entry| entry.copy_checked(id, &mut io::sink()))
    }

    /// The bytes of the entry, checked against its checksum, marking it as just used; `None`
    /// on a miss. A bad or wrong-sized entry is removed.
    pub fn read(&self, id: &str, expected_size: Option<u64>) -> Option<Vec<u8>> {
        let mut entry = self.open_entry(id, expected_size)?;
        let mut bytes = Vec::with_capacity(usize::try_from(entry.header.len()).ok()?);
        if !entry.copy_checked(id, &mut bytes) {
            return None;
        }
        touch(&entry.file, &entry.path);
        debug!(id, "cache hit");
        Some(bytes)
    }

    /// Copies the entry to `dest`, checking it on the way, and marks it as just used. The copy
    /// goes to a temporary file beside `dest`, renamed over `dest` only once the whole entry was
    /// copied and matched its checksum: `dest` is either the whole entry or untouched. False on
    /// a miss (a bad or wrong-sized entry is removed) or a failure.
    pub fn copy_to(&self, id: &str, expected_size: Option<u64>, dest: &Path) -> bool {
        let Some(mut entry) = self.open_entry(id, expected_size) else {
            return false;
        };
        let result = (|| -> io::Result<bool> {
            let mut temp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempfile_in(parent_of(dest))?;
            if !entry.copy_checked(id, temp.as_file_mut()) {
                return Ok(false); // the temporary file is removed when dropped
            }
            // No fsync: the rename already makes the copy all-or-nothing for every reader, and
            // a hit is on the hot path (the entry itself was synced when it was stored).
            persist(temp, dest)?;
            Ok(true)
        })();
        match result {
            Ok(true) => {
                touch(&entry.file, &entry.path);
                debug!(id, "cache hit");
                true
            }
            Ok(false) => false,
            Err(e) => {
                warn!(id, dest = %dest.display(), error = %e, "cache copy failed: a miss");
                false
            }
        }
    }

    /// Stores a copy of the regular file `src` as `id`, evicting least recently used entries to
    /// make room. False when it was not stored (too large, not a regular file, or a failure,
    /// which is logged).
    pub fn put_file(&self, id: &str, src: &Path) -> bool {
        let Some(target) = self.entry_path(id) else {
            return false;
        };
        let (mut source, meta) = match open_source(src) {
            Ok(opened) => opened,
            Err(e) => {
                warn!(id, src = %src.display(), error = %e, "cache: cannot read the source");
                return false;
            }
        };
        self.store(id, &target, meta.len(), |file| {
            checksum::write_from(file, id, &mut source)
        })
    }

    /// Stores `bytes` as `id`, evicting least recently used entries to make room. False when
    /// it was not stored.
    pub fn put_bytes(&self, id: &str, bytes: &[u8]) -> bool {
        let Some(target) = self.entry_path(id) else {
            return false;
        };
        self.store(id, &target, bytes.len() as u64, |file| {
            checksum::write_bytes(file, id, bytes)?;
            Ok(bytes.len() as u64)
        })
    }

    /// `fill` writes the whole file (header and content) and returns the content length.
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
            let locked = lock_within(&lock, self.inner.lock_wait)?;
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

    /// Removes an entry (nothing happens when it is absent).
    pub fn remove(&self, id: &str) {
        if let Some(path) = self.entry_path(id) {
            remove_quietly(&path);
        }
    }

    /// Time since the entry was stored or last used; `None` when absent, or when it is stamped
    /// further in the future than [`FUTURE_TOLERANCE`](crate::FUTURE_TOLERANCE) (age unknown).
    /// The content is not checked.
    pub fn entry_age(&self, id: &str) -> Option<Duration> {
        age_of(&self.entry_path(id)?)
    }
}
