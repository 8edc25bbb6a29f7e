//! File system helpers: opening only regular files (no symlink followed, never blocking),
//! removing only what was looked at, the writers' lock, ages with a clock that may step back.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use tempfile::NamedTempFile;
use tracing::{debug, warn};

/// Prefix of temporary files: never an entry (ids cannot start with a dot).
pub(crate) const TEMP_PREFIX: &str = ".tmp-";
/// Temporary files older than this are left over from a crash and are removed.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);

/// How far in the future a file's time may be and still count as "now" (clocks of machines
/// sharing a folder, coarse time stamps). Beyond it the time is not trusted: the age of the file
/// is unknown, so a slot is a miss and an entry is the first to be evicted.
pub const FUTURE_TOLERANCE: Duration = Duration::from_secs(60);

/// The time since `stamp`: zero for a stamp up to [`FUTURE_TOLERANCE`] ahead of `now`, `None`
/// (unknown) for one further ahead (the clock was stepped back, or the time was forged).
pub(crate) fn age_since(stamp: SystemTime, now: SystemTime) -> Option<Duration> {
    match now.duration_since(stamp) {
        Ok(age) => Some(age),
        Err(ahead) if ahead.duration() <= FUTURE_TOLERANCE => Some(Duration::ZERO),
        Err(_) => None,
    }
}

/// The age of the regular file at `path` (not following a symlink) from its mtime; `None` when
/// absent, not a regular file or stamped in the future.
pub(crate) fn age_of(path: &Path) -> Option<Duration> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    age_since(meta.modified().ok()?, SystemTime::now())
}

/// Opens the regular file at `path` for reading, and its metadata (from the open handle).
///
/// A symlink is not followed and anything else that is not a regular file (a FIFO, a socket, a
/// device) is never opened — opening a FIFO blocks — and is removed: `None`, a miss. On Unix the
/// open itself also refuses a symlink and does not block (`O_NOFOLLOW | O_NONBLOCK`), so
/// swapping the file between the check and the open changes nothing.
pub(crate) fn open_regular(path: &Path) -> Option<(File, Metadata)> {
    let seen = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            if e.kind() != io::ErrorKind::NotFound {
                debug!(path = %path.display(), error = %e, "cache file unreadable: a miss");
            }
            return None;
        }
    };
    if !seen.is_file() {
        refuse(path, &seen);
        return None;
    }
    let mut options = File::options();
    options.read(true);
    no_follow_no_block(&mut options);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) => {
            debug!(path = %path.display(), error = %e, "cache file unreadable: a miss");
            // Replaced by something else since the check (a symlink fails with ELOOP).
            if let Ok(now) = fs::symlink_metadata(path)
                && !now.is_file()
            {
                refuse(path, &now);
            }
            return None;
        }
    };
    match file.metadata() {
        Ok(meta) if meta.is_file() => Some((file, meta)),
        Ok(meta) => {
            refuse(path, &meta);
            None
        }
        Err(e) => {
            debug!(path = %path.display(), error = %e, "cache file unreadable: a miss");
            None
        }
    }
}

/// Opens a file the caller gave us to store (symlinks followed: it is the caller's path), never
/// blocking, and only when it is a regular file.
pub(crate) fn open_source(path: &Path) -> io::Result<(File, Metadata)> {
    let mut options = File::options();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta))
}

#[cfg(unix)]
fn no_follow_no_block(options: &mut fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
}

#[cfg(not(unix))]
fn no_follow_no_block(_options: &mut fs::OpenOptions) {}

/// Something other than a regular file where a cache file belongs: removed (not a folder).
fn refuse(path: &Path, meta: &Metadata) {
    if meta.is_dir() {
        warn!(path = %path.display(), "a folder where a cache file belongs: a miss, left alone");
    } else {
        debug!(path = %path.display(), kind = ?meta.file_type(), "not a regular file: a miss, removed");
        remove_if_same(path, meta);
    }
}

/// Removes `path` if it is still the file `seen` describes (on Unix: same device and inode), so
/// that a good file renamed into place meanwhile by another process is not removed instead.
pub(crate) fn remove_if_same(path: &Path, seen: &Metadata) {
    match fs::symlink_metadata(path) {
        Ok(now) if same_file(&now, seen) => remove_quietly(path),
        Ok(_) => debug!(path = %path.display(), "replaced meanwhile: left in place"),
        Err(_) => {}
    }
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.file_type() == b.file_type() && a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

pub(crate) fn remove_quietly(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        warn!(path = %path.display(), error = %e, "could not remove a cache file");
    }
}

/// Marks an open entry as just used (its mtime is the recency the LRU evicts by). On the
/// handle, not the path: the path may name another file by now.
pub(crate) fn touch(file: &File, path: &Path) {
    if let Err(e) = file.set_modified(SystemTime::now()) {
        debug!(path = %path.display(), error = %e, "could not mark a cache entry as used");
    }
}

pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates the folder `dir` inside the cache; something else in its place (a symlink, a file)
/// is removed first, so that nothing is written through it.
pub(crate) fn create_inner_dir(dir: &Path) -> io::Result<()> {
    if let Ok(meta) = fs::symlink_metadata(dir)
        && !meta.is_dir()
    {
        warn!(path = %dir.display(), kind = ?meta.file_type(), "not a folder: replaced");
        remove_if_same(dir, &meta);
    }
    create_private_dir(dir)
}

/// True when `dir` is a folder, not a symlink to one.
pub(crate) fn is_real_dir(dir: &Path) -> bool {
    fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
}

/// Opens (creating it owner-only if needed) the lock file writers share. Something other than a
/// regular file in its place (a FIFO would block the open, a symlink would lock another file)
/// is replaced; a regular lock file is never removed, as other processes may hold it.
pub(crate) fn open_lock(path: &Path) -> io::Result<File> {
    match open_lock_once(path) {
        Ok(file) => Ok(file),
        Err(first) => match fs::symlink_metadata(path) {
            Ok(meta) if !meta.is_file() && !meta.is_dir() => {
                warn!(path = %path.display(), kind = ?meta.file_type(), "the cache lock is not a file: replaced");
                remove_if_same(path, &meta);
                open_lock_once(path)
            }
            _ => Err(first),
        },
    }
}

fn open_lock_once(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.create(true).truncate(false).write(true);
    no_follow_no_block(&mut options);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the lock is not a regular file",
        ));
    }
    Ok(file)
}

/// Takes the exclusive lock on `file`, waiting at most `wait` for another writer to release it.
/// `Ok(false)`: file locks are not supported here (go on without). An error when the wait is
/// over: the caller gives up storing (a miss later), it does not wait forever on a stuck writer.
pub(crate) fn lock_within(file: &File, wait: Duration) -> io::Result<bool> {
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {
                debug!(error = %e, "no file locks here: evicting without the lock");
                return Ok(false);
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
            Err(fs::TryLockError::WouldBlock) => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("another writer held the cache lock for over {wait:?}"),
            ));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Removes the `.tmp-*` files in `dir` that are stale (left over from a crash).
pub(crate) fn remove_stale_temps(dir: &Path) {
    let Ok(listing) = fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for item in listing.flatten() {
        if item
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(TEMP_PREFIX))
            && let Ok(meta) = item.metadata()
            && is_stale_temp(&meta, now)
        {
            remove_quietly(&item.path());
        }
    }
}

/// A temporary file older than an hour, or stamped in the future (its age is unknown: it would
/// otherwise never be cleaned).
pub(crate) fn is_stale_temp(meta: &Metadata, now: SystemTime) -> bool {
    meta.modified()
        .is_ok_and(|t| age_since(t, now).is_none_or(|age| age > STALE_TEMP_AGE))
}

pub(crate) fn persist(temp: NamedTempFile, target: &Path) -> io::Result<()> {
    temp.persist(target).map(|_| ()).map_err(|e| e.error)
}

pub(crate) fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_in_the_future_are_unknown_beyond_the_tolerance() {
        let now = SystemTime::now();
        let second = Duration::from_secs(1);
        assert_eq!(age_since(now - second, now), Some(second));
        assert_eq!(age_since(now, now), Some(Duration::ZERO));
        assert_eq!(age_since(now + FUTURE_TOLERANCE, now), Some(Duration::ZERO));
        assert_eq!(age_since(now + FUTURE_TOLERANCE + second, now), None);
    }
}
