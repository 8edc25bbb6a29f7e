//! The disk cache on real folders: round trips, validation, LRU eviction, slots, permissions,
//! and several processes at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
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

fn set_used(cache: &DiskCache, id: &str, seconds_ago: u64) {
    let file = std::fs::File::options()
        .write(true)
        .open(cache.dir().join(id))
        .unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(seconds_ago))
        .unwrap();
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".lock")
        .collect()
}

#[test]
fn bytes_and_files_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    assert!(cache.put_bytes("aa11", b"first"));
    assert_eq!(cache.read("aa11", Some(5)).unwrap(), b"first");
    assert_eq!(cache.read("aa11", None).unwrap(), b"first");

    let src = dir.path().join("source.bin");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&src, &data).unwrap();
    assert!(cache.put_file("bb22", &src));
    let dest = dir.path().join("out").join("copy.bin");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    assert!(cache.copy_to("bb22", Some(data.len() as u64), &dest));
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert!(cache.contains("bb22", Some(data.len() as u64)));
    assert_eq!(cache.total_size(), 5 + data.len() as u64);
    assert!(cache.entry_age("bb22").unwrap() < Duration::from_secs(3600));

    // Misses leave the destination alone.
    let other = dir.path().join("untouched");
    assert!(!cache.copy_to("cc33", None, &other));
    assert!(!other.exists());
    cache.remove("aa11");
    assert!(cache.read("aa11", None).is_none());
    assert!(
        leftovers(dir.path()).is_empty(),
        "no temporary files remain"
    );
}

#[test]
fn invalid_ids_are_refused_without_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    for bad in ["", "../escape", "a/b", "a\0b", ".hidden", &"x".repeat(201)] {
        assert!(!cache.put_bytes(bad, b"x"), "{bad:?}");
        assert!(cache.read(bad, None).is_none());
        assert!(!cache.write_slot(bad, b"x"));
    }
    assert!(!dir.path().parent().unwrap().join("escape").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(DiskCache::builder("a/b").dir(dir.path()).build().is_err());
    assert!(
        DiskCache::builder("s3")
            .dir(dir.path())
            .max_free_fraction(1.5)
            .build()
            .is_err()
    );
}

#[test]
fn wrong_sized_and_truncated_entries_are_misses_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    assert!(cache.put_bytes("abc", b"0123456789"));
    assert!(cache.read("abc", Some(11)).is_none());
    assert!(!dir.path().join("abc").exists(), "wrong size: removed");

    assert!(cache.put_bytes("def", b"0123456789"));
    std::fs::write(dir.path().join("def"), b"01234").unwrap(); // truncated behind our back
    assert!(cache.get_path("def", Some(10)).is_none());
    assert!(!dir.path().join("def").exists());
}

#[test]
fn least_recently_used_entries_are_evicted_first() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 300); // room for three entries of 100 bytes
    let body = [7u8; 100];
    for id in ["a", "b", "c"] {
        assert!(cache.put_bytes(id, &body));
    }
    set_used(&cache, "a", 300);
    set_used(&cache, "b", 200);
    set_used(&cache, "c", 100);
    // A hit on the oldest makes it the most recent (atime plays no part).
    assert!(cache.read("a", Some(100)).is_some());
    assert!(cache.put_bytes("d", &body));
    assert_eq!(cache.ids().len(), 3);
    assert!(!cache.contains("b", None), "b was the least recently used");
    for id in ["a", "c", "d"] {
        assert!(cache.contains(id, Some(100)), "{id} kept");
    }
    assert!(cache.total_size() <= 300);
    assert_eq!(cache.ids().last().map(String::as_str), Some("d"));

    // Too large for the limit: not stored, and nothing evicted for it.
    assert!(!cache.put_bytes("huge", &[1u8; 301]));
    assert!(!cache.contains("huge", None));
    assert_eq!(cache.ids().len(), 3);
}

#[test]
fn replacing_an_entry_does_not_evict_others() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 200);
    assert!(cache.put_bytes("a", &[1u8; 100]));
    assert!(cache.put_bytes("b", &[2u8; 100]));
    assert!(cache.put_bytes("b", &[2u8; 100]));
    assert!(cache.contains("a", Some(100)) && cache.contains("b", Some(100)));
}

#[test]
fn slots_are_written_atomically_and_report_their_age() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    assert!(cache.read_slot("table_users").is_none());
    assert!(cache.write_slot("table_users", b"one"));
    let slot = cache.read_slot("table_users").unwrap();
    assert_eq!(slot.bytes, b"one");
    assert!(slot.modified <= SystemTime::now());
    assert!(cache.write_slot("table_users", b"two, longer"));
    assert_eq!(
        cache.read_slot("table_users").unwrap().bytes,
        b"two, longer"
    );
    assert!(cache.slot_age("table_users").unwrap() < Duration::from_secs(3600));
    // Slots are not entries: not counted, not evicted.
    assert_eq!(cache.total_size(), 0);
    cache.remove_slot("table_users");
    assert!(cache.read_slot("table_users").is_none());
    assert!(leftovers(&dir.path().join("slots")).is_empty());
}

#[cfg(unix)]
#[test]
fn files_and_folders_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("new").join("cache");
    let cache = cache(&root, 1 << 20);
    assert!(cache.put_bytes("abc", b"secret-ish"));
    assert!(cache.write_slot("slot", b"x"));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    assert_eq!(mode(&root.join("abc")), 0o600);
    assert_eq!(mode(&root.join("slots")), 0o700);
    assert_eq!(mode(&root.join("slots").join("slot")), 0o600);
}

#[test]
fn the_environment_folder_is_used_only_on_request() {
    // Only the opt-in reads AWSIMPLE_CACHE_DIR; this test sets it in a child process to keep
    // the variable out of the other tests.
    if let Ok(base) = std::env::var("AWSIMPLE_CACHE_TEST_CHILD_ENV") {
        let cache = DiskCache::builder("svc").use_env_dir(true).build().unwrap();
        assert_eq!(cache.dir(), Path::new(&base).join("svc"));
        let default = DiskCache::builder("svc").build().unwrap();
        assert_ne!(default.dir(), Path::new(&base).join("svc"));
        assert!(default.dir().ends_with("awsimple/aws/svc"));
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_environment_folder_is_used_only_on_request",
            "--quiet",
        ])
        .env("AWSIMPLE_CACHE_TEST_CHILD_ENV", base.path())
        .env("AWSIMPLE_CACHE_DIR", base.path())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

const WORKER_ENV: &str = "AWSIMPLE_CACHE_TEST_WORKER";

/// Content of entry `i`: distinct sizes and bytes, so a mix-up cannot go unnoticed.
fn content(i: usize) -> Vec<u8> {
    (0..(2000 + i * 37))
        .map(|j| ((i * 31 + j) % 251) as u8)
        .collect()
}

fn worker(dir: &Path, seed: usize) {
    let cache = cache(dir, 12_000); // about five entries: forces eviction
    for round in 0..200 {
        let i = (round * 7 + seed * 3) % 12;
        let id = format!("entry{i}");
        let expected = content(i);
        match cache.read(&id, Some(expected.len() as u64)) {
            Some(bytes) => assert_eq!(bytes, expected, "entry {i} corrupted"),
            None => {
                cache.put_bytes(&id, &expected);
            }
        }
        let dest = dir.join(format!("out-{seed}-{round}.bin"));
        if cache.copy_to(&id, Some(expected.len() as u64), &dest) {
            assert_eq!(std::fs::read(&dest).unwrap(), expected);
            std::fs::remove_file(&dest).unwrap();
        }
        assert!(cache.total_size() <= 12_000, "over the limit");
    }
}

#[test]
fn several_threads_and_processes_share_one_cache() {
    if let Ok(spec) = std::env::var(WORKER_ENV) {
        let (dir, seed) = spec.split_once('|').unwrap();
        worker(Path::new(dir), seed.parse().unwrap());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..3)
        .map(|seed| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "several_threads_and_processes_share_one_cache",
                    "--quiet",
                ])
                .env(WORKER_ENV, format!("{}|{seed}", dir.path().display()))
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let threads: Vec<_> = (3..6)
        .map(|seed| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || worker(&path, seed))
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a worker process failed");
    }
    let cache = cache(dir.path(), 12_000);
    for id in cache.ids() {
        let i: usize = id.trim_start_matches("entry").parse().unwrap();
        assert_eq!(cache.read(&id, None).unwrap(), content(i), "{id}");
    }
    assert!(
        leftovers(dir.path()).is_empty(),
        "no partial entries remain"
    );
    assert!(cache.total_size() <= 12_000);
}
