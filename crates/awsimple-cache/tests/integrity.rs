//! Integrity under attack and faults: the cache never serves bytes that do not match what was
//! stored, never follows a symlink, never blocks on a FIFO, and does not take a stamp in the
//! future for a fresh one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use awsimple_cache::DiskCache;

fn cache(dir: &Path, max_bytes: u64) -> DiskCache {
    DiskCache::builder("test")
        .dir(dir)
        .max_bytes(max_bytes)
        .max_free_fraction(1.0)
        .build()
        .unwrap()
}

/// Files other than entries, slots and the lock: temporary files left behind.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".lock")
        .collect()
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// Runs `f` in a thread and fails the test when it has not returned within 10 s (the thread is
/// left blocked: the test has failed anyway).
fn within_10s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(f());
    });
    match receive.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(_) => panic!("{what}: still blocked after 10 s"),
    }
}

fn set_mtime(path: &Path, when: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

fn exists_at_all(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

#[test]
fn a_flipped_byte_anywhere_in_an_entry_is_a_miss_and_the_entry_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    let data = content(300);
    let size = Some(data.len() as u64);
    let path = dir.path().join("abc");
    assert!(cache.put_bytes("abc", &data));
    let file_len = std::fs::metadata(&path).unwrap().len() as usize;
    let dest = dir.path().join("dest");
    for position in 0..file_len {
        assert!(cache.put_bytes("abc", &data));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[position] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        // Each way of reading refuses it; the first one removes it.
        match position % 3 {
            0 => assert!(cache.read("abc", size).is_none(), "read, byte {position}"),
            1 => {
                std::fs::write(&dest, b"previous").unwrap();
                assert!(!cache.copy_to("abc", size, &dest), "copy, byte {position}");
                assert_eq!(std::fs::read(&dest).unwrap(), b"previous", "dest untouched");
            }
            _ => assert!(!cache.contains("abc", size), "contains, byte {position}"),
        }
        assert!(!path.exists(), "byte {position}: the bad entry is removed");
        assert!(cache.read("abc", None).is_none());
    }
    // Without an expected size too.
    assert!(cache.put_bytes("abc", &data));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    assert!(cache.read("abc", None).is_none());
    assert!(!path.exists());
    assert!(leftovers(dir.path()).is_empty(), "no partial copies remain");
}

#[test]
fn extended_truncated_and_foreign_entries_are_misses() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    let data = content(1000);
    let path = dir.path().join("abc");

    assert!(cache.put_bytes("abc", &data));
    let mut longer = std::fs::read(&path).unwrap();
    longer.push(0);
    std::fs::write(&path, &longer).unwrap();
    assert!(cache.read("abc", None).is_none(), "a byte appended");
    assert!(!path.exists());

    assert!(cache.put_bytes("abc", &data));
    let mut shorter = std::fs::read(&path).unwrap();
    shorter.pop();
    std::fs::write(&path, &shorter).unwrap();
    let dest = dir.path().join("dest");
    assert!(!cache.copy_to("abc", None, &dest), "a byte cut off");
    assert!(!dest.exists());
    assert!(!path.exists());

    // A file the cache did not write (no checksum: an older cache, or anything else) is not
    // trusted, even with the right bytes.
    std::fs::write(&path, &data).unwrap();
    assert!(cache.read("abc", Some(data.len() as u64)).is_none());
    assert!(!path.exists());
    std::fs::write(&path, b"").unwrap();
    assert!(cache.read("abc", None).is_none());
    assert!(cache.read("abc", Some(0)).is_none());

    // An empty entry is still an entry.
    assert!(cache.put_bytes("empty", b""));
    assert_eq!(cache.read("empty", Some(0)).unwrap(), b"");
    assert!(cache.copy_to("empty", Some(0), &dest));
    assert_eq!(std::fs::read(&dest).unwrap(), b"");
}

#[test]
fn a_large_hit_is_verified_and_copied_whole() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 30);
    let data = content(5 << 20);
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    assert!(cache.put_file("big", &src));
    let dest = dir.path().join("dest.bin");
    assert!(cache.copy_to("big", Some(data.len() as u64), &dest));
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(cache.read("big", None).unwrap(), data);
    assert_eq!(cache.total_size(), data.len() as u64, "sizes count content");

    // One bit flipped in the last megabyte: the copy fails and leaves `dest` as it was.
    let path = dir.path().join("big");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 12_345;
    bytes[at] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();
    assert!(!cache.copy_to("big", Some(data.len() as u64), &dest));
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        data,
        "the previous copy stays"
    );
    assert!(!path.exists());
    assert!(leftovers(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn a_symlinked_entry_is_a_miss_and_its_target_is_left_alone() {
    let outside = tempfile::tempdir().unwrap();
    let other = cache(outside.path(), 1 << 20);
    let data = content(100);
    assert!(other.put_bytes("abc", &data));
    assert!(other.write_slot("slot", &data));
    let target = outside.path().join("abc");
    let slot_target = outside.path().join("slots").join("slot");
    let long_ago = SystemTime::now() - Duration::from_secs(100_000);
    set_mtime(&target, long_ago);
    set_mtime(&slot_target, long_ago);
    let target_bytes = std::fs::read(&target).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    let link = dir.path().join("abc");
    let size = Some(data.len() as u64);
    let dest = dir.path().join("dest");
    for round in 0..3 {
        std::os::unix::fs::symlink(&target, &link).unwrap();
        match round {
            0 => assert!(cache.read("abc", size).is_none()),
            1 => assert!(!cache.copy_to("abc", size, &dest)),
            _ => assert!(!cache.contains("abc", size)),
        }
        assert!(!exists_at_all(&link), "round {round}: the link is removed");
    }
    assert!(!dest.exists());
    assert!(cache.entry_age("abc").is_none());
    assert_eq!(cache.total_size(), 0);

    // A slot.
    std::fs::create_dir_all(dir.path().join("slots")).unwrap();
    let slot_link = dir.path().join("slots").join("slot");
    std::os::unix::fs::symlink(&slot_target, &slot_link).unwrap();
    assert!(cache.read_slot("slot").is_none());
    assert!(!exists_at_all(&slot_link), "the slot link is removed");
    std::os::unix::fs::symlink(&slot_target, &slot_link).unwrap();
    assert!(cache.slot_age("slot").is_none());

    // The targets were neither read as hits nor touched.
    assert_eq!(std::fs::read(&target).unwrap(), target_bytes);
    assert_eq!(mtime(&target), long_ago);
    assert_eq!(mtime(&slot_target), long_ago);

    // Writing over a link replaces the link, never the file it points to.
    std::fs::remove_file(&slot_link).unwrap();
    std::os::unix::fs::symlink(&slot_target, &slot_link).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(cache.put_bytes("abc", b"new"));
    assert!(cache.write_slot("slot", b"new"));
    assert_eq!(std::fs::read(&target).unwrap(), target_bytes);
    assert_eq!(other.read("abc", size).unwrap(), data);
    assert_eq!(other.read_slot("slot").unwrap().bytes, data);
    assert_eq!(cache.read("abc", Some(3)).unwrap(), b"new");
    assert_eq!(cache.read_slot("slot").unwrap().bytes, b"new");
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_an_entry_or_a_slot_is_a_miss_and_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let cache = cache(&root, 1 << 20);
    assert!(cache.write_slot("other", b"x"));
    mkfifo(&root.join("abc"));
    mkfifo(&root.join("slots").join("slot"));
    let dest = root.join("dest");
    let reader = cache.clone();
    let (read, copied, contained, slot, slot_age) = within_10s("reading a FIFO", move || {
        (
            reader.read("abc", None),
            reader.copy_to("abc", None, &dest),
            reader.contains("abc", None),
            reader.read_slot("slot"),
            reader.slot_age("slot"),
        )
    });
    assert!(read.is_none() && !copied && !contained && slot.is_none() && slot_age.is_none());
    assert!(!root.join("dest").exists());
    assert!(
        !exists_at_all(&root.join("abc")),
        "the FIFO entry is removed"
    );
    assert!(
        !exists_at_all(&root.join("slots").join("slot")),
        "the FIFO slot is removed"
    );

    // Eviction and listing walk past one without opening it.
    mkfifo(&root.join("def"));
    let writer = cache.clone();
    let stored = within_10s("storing beside a FIFO", move || {
        (
            writer.put_bytes("ghi", b"data"),
            writer.total_size(),
            writer.ids(),
        )
    });
    assert_eq!(stored, (true, 4, vec!["ghi".to_owned()]));
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_source_or_the_lock_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().join("cache");
    let cache = cache(&root, 1 << 20);
    let source = dir.path().join("source");
    mkfifo(&source);
    let writer = cache.clone();
    let from_fifo = within_10s("caching from a FIFO", move || {
        writer.put_file("abc", &source)
    });
    assert!(!from_fifo, "a FIFO is not a file to cache");

    // The writers' lock replaced by a FIFO: writes still work (the FIFO is replaced).
    mkfifo(&root.join(".lock"));
    let writer = cache.clone();
    let stored = within_10s("storing with a FIFO lock", move || {
        writer.put_bytes("abc", b"data")
    });
    assert!(stored);
    assert!(
        std::fs::symlink_metadata(root.join(".lock"))
            .unwrap()
            .is_file()
    );
    assert_eq!(cache.read("abc", Some(4)).unwrap(), b"data");

    // A symlinked lock is replaced too, and the file it pointed to is not created.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::remove_file(root.join(".lock")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join(".lock")).unwrap();
    assert!(cache.put_bytes("def", b"data"));
    assert!(!elsewhere.exists());
    assert!(
        std::fs::symlink_metadata(root.join(".lock"))
            .unwrap()
            .is_file()
    );
}

#[test]
fn a_slot_stamped_in_the_future_is_not_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    assert!(cache.write_slot("scan-t", b"old scan"));
    let path = dir.path().join("slots").join("scan-t");
    // The clock was stepped back after the write (or the stamp was forged): its age is unknown.
    set_mtime(&path, SystemTime::now() + Duration::from_secs(3600));
    assert!(cache.slot_age("scan-t").is_none(), "age unknown");
    assert!(
        cache.read_slot("scan-t").is_none(),
        "a miss, not a fresh slot"
    );
    // Within the tolerance (a few seconds of skew) it is fresh.
    set_mtime(&path, SystemTime::now() + Duration::from_secs(2));
    assert_eq!(cache.slot_age("scan-t"), Some(Duration::ZERO));
    assert_eq!(cache.read_slot("scan-t").unwrap().bytes, b"old scan");
    // Rewriting stamps it with the current time again.
    set_mtime(&path, SystemTime::now() + Duration::from_secs(3600));
    assert!(cache.write_slot("scan-t", b"new scan"));
    assert_eq!(cache.read_slot("scan-t").unwrap().bytes, b"new scan");
    assert!(cache.slot_age("scan-t").unwrap() < Duration::from_secs(3600));
}

#[test]
fn an_entry_stamped_in_the_future_has_no_age_and_is_evicted_first() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 300);
    let body = [7u8; 100];
    for id in ["a", "b", "c"] {
        assert!(cache.put_bytes(id, &body));
    }
    let now = SystemTime::now();
    set_mtime(&dir.path().join("a"), now - Duration::from_secs(300));
    set_mtime(&dir.path().join("b"), now + Duration::from_secs(100_000));
    set_mtime(&dir.path().join("c"), now - Duration::from_secs(100));
    assert!(cache.entry_age("b").is_none(), "age unknown");
    assert!(cache.entry_age("a").unwrap() >= Duration::from_secs(299));
    // Otherwise it would look used forever and never be evicted.
    assert_eq!(cache.ids().first().map(String::as_str), Some("b"));
    assert!(cache.put_bytes("d", &body));
    assert!(!cache.contains("b", None), "b went first");
    assert!(cache.contains("a", Some(100)) && cache.contains("c", Some(100)));
}

#[test]
fn the_slot_folder_is_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    assert!(cache.write_slot("s", b"slot bytes"));
    let path = dir.path().join("slots").join("s");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 4;
    std::fs::write(&path, &bytes).unwrap();
    assert!(cache.read_slot("s").is_none(), "a corrupt slot is a miss");
    assert!(!path.exists(), "and is removed");
    std::fs::write(&path, b"slot bytes").unwrap();
    assert!(
        cache.read_slot("s").is_none(),
        "a slot without a checksum is a miss"
    );
}

#[test]
fn an_entry_moved_to_another_name_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    assert!(cache.put_bytes("abc", b"the bytes of abc"));
    std::fs::rename(dir.path().join("abc"), dir.path().join("def")).unwrap();
    assert!(
        cache.read("def", Some(16)).is_none(),
        "filed under the wrong id"
    );
    assert!(!dir.path().join("def").exists());
    assert!(cache.write_slot("one", b"slot one"));
    let slots = dir.path().join("slots");
    std::fs::rename(slots.join("one"), slots.join("two")).unwrap();
    assert!(
        cache.read_slot("two").is_none(),
        "filed under the wrong name"
    );
}

#[test]
fn a_writer_does_not_wait_forever_on_a_stuck_lock_holder() {
    let dir = tempfile::tempdir().unwrap();
    let cache = DiskCache::builder("test")
        .dir(dir.path())
        .max_free_fraction(1.0)
        .lock_wait(Duration::from_millis(200))
        .build()
        .unwrap();
    assert!(cache.put_bytes("abc", b"data"));
    // Another "process" holds the writers' lock and never lets go.
    let holder = std::fs::File::options()
        .write(true)
        .open(dir.path().join(".lock"))
        .unwrap();
    holder.lock().unwrap();
    let writer = cache.clone();
    let stored = within_10s("storing under a held lock", move || {
        writer.put_bytes("def", b"more")
    });
    assert!(!stored, "not stored: a miss later, not a hang");
    assert!(leftovers(dir.path()).is_empty());
    // Readers never take the lock.
    let reader = cache.clone();
    let read = within_10s("reading under a held lock", move || {
        reader.read("abc", Some(4))
    });
    assert_eq!(read.unwrap(), b"data");
    holder.unlock().unwrap();
    assert!(cache.put_bytes("def", b"more"));
}

#[cfg(unix)]
#[test]
fn a_symlinked_slot_folder_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    let other = cache(outside.path(), 1 << 20);
    assert!(other.write_slot("slot", b"elsewhere"));
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    std::os::unix::fs::symlink(outside.path().join("slots"), dir.path().join("slots")).unwrap();
    assert!(cache.read_slot("slot").is_none());
    assert!(cache.slot_age("slot").is_none());
    // Writing replaces the link with a folder of its own.
    assert!(cache.write_slot("slot", b"here"));
    assert!(
        std::fs::symlink_metadata(dir.path().join("slots"))
            .unwrap()
            .is_dir()
    );
    assert_eq!(cache.read_slot("slot").unwrap().bytes, b"here");
    assert_eq!(other.read_slot("slot").unwrap().bytes, b"elsewhere");
}
