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
    // The slot folder's name is not an entry.
    assert!(!cache.put_bytes("slots", b"x"));
    assert!(!dir.path().parent().unwrap().join("escape").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(DiskCache::builder("a/b").dir(dir.path()).build().is_err());
    for fraction in [1.5, -0.1, f64::NAN] {
        assert!(
            DiskCache::builder("s3")
                .dir(dir.path())
                .max_free_fraction(fraction)
                .build()
                .is_err(),
            "{fraction}"
        );
    }
}

#[test]
fn the_limit_is_the_smaller_of_max_bytes_and_the_free_share() {
    let dir = tempfile::tempdir().unwrap();
    let capped = cache(dir.path(), 1234);
    assert_eq!(capped.limit(), 1234);
    // Free space moves with whatever else runs: bound by the disk's total instead.
    let total = fs4::total_space(dir.path()).unwrap();
    let share = DiskCache::builder("test")
        .dir(dir.path())
        .max_bytes(u64::MAX)
        .max_free_fraction(0.5)
        .build()
        .unwrap();
    assert!(share.limit() <= total / 2 && share.limit() > 0);
    let none = DiskCache::builder("test")
        .dir(dir.path())
        .max_free_fraction(0.0)
        .build()
        .unwrap();
    assert_eq!(none.limit(), 0);
    assert!(!none.put_bytes("abc", b"x"), "nothing fits in a zero limit");
    assert!(!none.contains("abc", None));
}

#[test]
fn temporary_files_are_never_entries_and_stale_ones_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    let fresh = dir.path().join(".tmp-fresh");
    let stale = dir.path().join(".tmp-stale");
    std::fs::write(&fresh, [0u8; 50]).unwrap();
    std::fs::write(&stale, [0u8; 50]).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();
    assert!(cache.read(".tmp-fresh", None).is_none());
    assert_eq!(cache.total_size(), 0, "temporary files are not counted");
    assert!(cache.ids().is_empty());
    assert!(cache.put_bytes("abc", b"x"));
    assert!(fresh.exists(), "a temporary file in use is left alone");
    assert!(!stale.exists(), "a crash's leftover is removed");

    // The same in the slot folder.
    assert!(cache.write_slot("s", b"1"));
    let slot_stale = dir.path().join("slots").join(".tmp-stale");
    std::fs::write(&slot_stale, b"partial").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&slot_stale)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();
    assert!(cache.write_slot("s", b"2"));
    assert!(!slot_stale.exists());
}

#[test]
fn failures_are_misses_and_never_leave_a_partial_destination() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    assert!(!cache.put_file("abc", &dir.path().join("no-such-source")));
    assert!(!cache.contains("abc", None));

    assert!(cache.put_bytes("abc", b"content"));
    // The destination's folder does not exist: false, and nothing is created.
    let nowhere = dir.path().join("missing").join("dest");
    assert!(!cache.copy_to("abc", Some(7), &nowhere));
    assert!(!nowhere.parent().unwrap().exists());
    // A miss (here a wrong size) leaves an existing destination as it was.
    let dest = dir.path().join("dest");
    std::fs::write(&dest, b"previous").unwrap();
    assert!(!cache.copy_to("abc", Some(8), &dest));
    assert_eq!(std::fs::read(&dest).unwrap(), b"previous");
    // A hit replaces it whole.
    assert!(cache.put_bytes("abc", b"content"));
    assert!(cache.copy_to("abc", Some(7), &dest));
    assert_eq!(std::fs::read(&dest).unwrap(), b"content");
    assert!(leftovers(dir.path()).is_empty());
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
    assert!(cache.read("def", Some(10)).is_none());
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
    // Oldest first: c (used 100 s ago), then a and d (just now, in an order the file system's
    // clock granularity decides).
    let mut ids = cache.ids();
    assert_eq!(ids.first().map(String::as_str), Some("c"));
    ids.sort();
    assert_eq!(ids, ["a", "c", "d"]);

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
    assert_eq!(mode(&root.join(".lock")), 0o600);
}

#[test]
fn the_environment_folder_is_used_only_on_request() {
    // Only the opt-in reads AWSIMPLE_CACHE_DIR; this test sets it in a child process to keep
    // the variable out of the other tests.
    // The child's home and per-user cache folder are temporary too, so that the default folder
    // it creates is not the real one.
    if let Ok(base) = std::env::var("AWSIMPLE_CACHE_TEST_CHILD_ENV") {
        let base = Path::new(&base);
        let cache = DiskCache::builder("svc").use_env_dir(true).build().unwrap();
        assert_eq!(cache.dir(), base.join("env").join("svc"));
        let explicit = base.join("explicit");
        let wins = DiskCache::builder("svc")
            .use_env_dir(true)
            .dir(&explicit)
            .build()
            .unwrap();
        assert_eq!(wins.dir(), explicit);
        let default = DiskCache::builder("svc").build().unwrap();
        assert!(default.dir().ends_with("awsimple/aws/svc"));
        assert!(default.dir().starts_with(base));
        #[cfg(target_os = "linux")]
        assert_eq!(default.dir(), base.join("xdg/awsimple/aws/svc"));
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
        .env("AWSIMPLE_CACHE_DIR", base.path().join("env"))
        .env("HOME", base.path().join("home"))
        .env("XDG_CACHE_HOME", base.path().join("xdg"))
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

const LIMIT: u64 = 12_000; // about five entries: forces eviction

fn worker(dir: &Path, seed: usize) {
    let cache = cache(dir, LIMIT);
    let largest = content(11).len() as u64;
    for round in 0..200 {
        let i = (round * 7 + seed * 3) % 12;
        let id = format!("entry{i}");
        let expected = content(i);
        match cache.read(&id, Some(expected.len() as u64)) {
            // Now and then rewrite a present entry too: several writers on one id.
            Some(bytes) if round % 5 != 0 => assert_eq!(bytes, expected, "entry {i} corrupted"),
            Some(bytes) => {
                assert_eq!(bytes, expected, "entry {i} corrupted");
                cache.put_bytes(&id, &expected);
            }
            None => {
                cache.put_bytes(&id, &expected);
            }
        }
        let dest = dir.join(format!("out-{seed}-{round}.bin"));
        if cache.copy_to(&id, Some(expected.len() as u64), &dest) {
            assert_eq!(std::fs::read(&dest).unwrap(), expected);
            std::fs::remove_file(&dest).unwrap();
        }
        // A listing taken while another writer evicts and renames may see both the evicted
        // entry and its replacement: at most one entry over.
        let total = cache.total_size();
        assert!(total <= LIMIT + largest, "over the limit: {total}");
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
    let cache = cache(dir.path(), LIMIT);
    assert!(!cache.ids().is_empty());
    for id in cache.ids() {
        let i: usize = id.trim_start_matches("entry").parse().unwrap();
        assert_eq!(cache.read(&id, None).unwrap(), content(i), "{id}");
    }
    assert!(
        leftovers(dir.path()).is_empty(),
        "no partial entries remain"
    );
    assert!(cache.total_size() <= LIMIT, "at rest, within the limit");
}

#[test]
fn concurrent_slot_writes_are_seen_whole() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(dir.path(), 1 << 20);
    let versions: Vec<Vec<u8>> = (0..4u8)
        .map(|v| vec![v; 1000 + 3000 * v as usize])
        .collect();
    assert!(cache.write_slot("scan-table", &versions[0]));
    std::thread::scope(|scope| {
        for writer in 0..2 {
            let (cache, versions) = (cache.clone(), &versions);
            scope.spawn(move || {
                for round in 0..100 {
                    assert!(cache.write_slot("scan-table", &versions[(round + writer) % 4]));
                }
            });
        }
        for _ in 0..2 {
            let (cache, versions) = (cache.clone(), &versions);
            scope.spawn(move || {
                for _ in 0..200 {
                    let slot = cache.read_slot("scan-table").expect("always present");
                    assert!(versions.contains(&slot.bytes), "a torn slot");
                }
            });
        }
    });
    assert!(leftovers(&dir.path().join("slots")).is_empty());
}
