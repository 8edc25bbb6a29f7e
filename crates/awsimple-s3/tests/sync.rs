//! Folder sync against the emulator: only changed content moves, an unchanged tree costs its
//! listing, dry runs change nothing, extra objects and files are deleted on request, symlinks
//! are not followed, and keys that would leave the folder are reported, never written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use awsimple_core::AwsAccess;
use awsimple_s3::{S3Access, SYNC_MANIFEST, SkipReason, SyncOptions};
use awsimple_testkit::{emulator_access, unique_name};

async fn bucket(access: &AwsAccess) -> S3Access {
    let s3 = S3Access::builder(access, unique_name("sync"))
        .multipart_threshold(5 << 20)
        .part_size(5 << 20)
        .build()
        .unwrap();
    assert!(s3.create_bucket().await.unwrap());
    s3
}

fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A tree of small files in folders, and one multipart-sized file.
fn tree(root: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    for i in 0..6 {
        let rel = format!("d{}/f{i}.txt", i % 3);
        write(root, &rel, format!("file {i}").as_bytes());
        keys.push(format!("p/{rel}"));
    }
    write(root, "big.bin", &data((5 << 20) + 1000, 7));
    keys.push("p/big.bin".into());
    keys.sort();
    keys
}

fn set_mtime(path: &Path, when: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

#[tokio::test]
async fn sync_up_moves_only_changed_content_and_an_unchanged_tree_costs_its_listing() {
    if awsimple_testkit::skip_if_lacking("native-sha512") {
        return;
    }
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = tree(dir.path());

    let report = s3.sync_up(dir.path(), "p").await.unwrap();
    assert_eq!(report.uploaded, keys);
    assert!(report.unchanged.is_empty() && report.skipped.is_empty());
    assert!(dir.path().join(SYNC_MANIFEST).is_file());
    assert_eq!(
        s3.keys("p/").await.unwrap(),
        keys,
        "the manifest is not uploaded"
    );

    // Unchanged: one listing page, no HEAD, no transfer.
    let counter = access.request_counter();
    counter.reset();
    let report = s3.sync_up(dir.path(), "p").await.unwrap();
    assert!(report.uploaded.is_empty(), "{report:?}");
    assert_eq!(report.unchanged, keys);
    assert_eq!(counter.total(), 1, "{:?}", counter.snapshot());
    assert_eq!(counter.operation("S3", "ListObjectsV2"), 1);

    // Touched (mtime only): the same content, not uploaded.
    let touched = dir.path().join("d0/f0.txt");
    set_mtime(&touched, SystemTime::now() + Duration::from_secs(3600));
    counter.reset();
    let report = s3.sync_up(dir.path(), "p").await.unwrap();
    assert!(report.uploaded.is_empty(), "{report:?}");
    assert_eq!(counter.total(), 1, "{:?}", counter.snapshot());

    // Changed with size and mtime kept: uploaded.
    let changed = dir.path().join("d1/f1.txt");
    let mtime = std::fs::metadata(&changed).unwrap().modified().unwrap();
    std::fs::write(&changed, b"FILE 1").unwrap();
    set_mtime(&changed, mtime);
    counter.reset();
    let report = s3.sync_up(dir.path(), "p").await.unwrap();
    assert_eq!(report.uploaded, ["p/d1/f1.txt"]);
    assert_eq!(report.unchanged.len(), keys.len() - 1);
    assert_eq!(counter.operation("S3", "PutObject"), 1);
    assert_eq!(
        counter.operation("S3", "HeadObject"),
        0,
        "{:?}",
        counter.snapshot()
    );
    assert_eq!(s3.read_string("p/d1/f1.txt").await.unwrap(), "FILE 1");

    // Written by someone else since (same size): one HEAD for that object, uploaded again,
    // then it is known again.
    s3.write_string("FILE 2", "p/d2/f2.txt").await.unwrap();
    counter.reset();
    let report = s3.sync_up(dir.path(), "p").await.unwrap();
    assert_eq!(report.uploaded, ["p/d2/f2.txt"]);
    assert_eq!(
        counter.operation("S3", "HeadObject"),
        1,
        "{:?}",
        counter.snapshot()
    );
    assert_eq!(s3.read_string("p/d2/f2.txt").await.unwrap(), "file 2");
    counter.reset();
    s3.sync_up(dir.path(), "p").await.unwrap();
    assert_eq!(counter.total(), 1, "{:?}", counter.snapshot());

    // Without the manifest: a HEAD per object, never a wrong answer.
    std::fs::remove_file(dir.path().join(SYNC_MANIFEST)).unwrap();
    counter.reset();
    let report = s3.sync_up(dir.path(), "p").await.unwrap();
    assert!(report.uploaded.is_empty(), "{report:?}");
    assert_eq!(counter.operation("S3", "HeadObject"), keys.len() as u64);
}

#[tokio::test]
async fn dry_runs_report_and_change_nothing_and_delete_removes_extra_objects() {
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", b"a");
    write(dir.path(), "sub/b.txt", b"b");
    s3.sync_up(dir.path(), "p/").await.unwrap();
    s3.write_string("extra", "p/extra.txt").await.unwrap();
    s3.write_string("outside the prefix", "q/keep.txt")
        .await
        .unwrap();
    write(dir.path(), "a.txt", b"A changed");
    write(dir.path(), "new.txt", b"new");

    let counter = access.request_counter();
    counter.reset();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = seen.clone();
    let dry = SyncOptions::new()
        .dry_run(true)
        .delete(true)
        .progress(move |done, all| progress.lock().unwrap().push((done, all)));
    let report = s3.sync_up_with(dir.path(), "p", &dry).await.unwrap();
    assert_eq!(seen.lock().unwrap().last(), Some(&(3, 3)));
    assert!(report.dry_run);
    assert_eq!(report.uploaded, ["p/a.txt", "p/new.txt"]);
    assert_eq!(report.unchanged, ["p/sub/b.txt"]);
    assert_eq!(report.deleted, ["p/extra.txt"]);
    assert_eq!(counter.operation("S3", "PutObject"), 0);
    assert_eq!(counter.operation("S3", "DeleteObject"), 0);
    assert_eq!(s3.read_string("p/a.txt").await.unwrap(), "a");
    assert!(s3.object_exists("p/extra.txt").await.unwrap());

    let report = s3
        .sync_up_with(dir.path(), "p", &SyncOptions::new().delete(true))
        .await
        .unwrap();
    assert_eq!(report.uploaded, ["p/a.txt", "p/new.txt"]);
    assert_eq!(report.deleted, ["p/extra.txt"]);
    assert_eq!(
        s3.keys("").await.unwrap(),
        ["p/a.txt", "p/new.txt", "p/sub/b.txt", "q/keep.txt"]
    );
    assert_eq!(s3.read_string("p/a.txt").await.unwrap(), "A changed");
}

#[tokio::test]
async fn sync_down_fills_a_folder_then_moves_nothing_and_deletes_extra_files() {
    if awsimple_testkit::skip_if_lacking("native-sha512") {
        return;
    }
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    let source = tempfile::tempdir().unwrap();
    let keys = tree(source.path());
    s3.sync_up(source.path(), "p").await.unwrap();

    let dest = tempfile::tempdir().unwrap();
    let target = dest.path().join("copy");
    let report = s3.sync_down("p", &target).await.unwrap();
    assert_eq!(report.downloaded, keys);
    for key in &keys {
        let rel = key.strip_prefix("p/").unwrap();
        assert_eq!(
            std::fs::read(target.join(rel)).unwrap(),
            std::fs::read(source.path().join(rel)).unwrap()
        );
    }

    let counter = access.request_counter();
    counter.reset();
    let report = s3.sync_down("p", &target).await.unwrap();
    assert!(report.downloaded.is_empty(), "{report:?}");
    assert_eq!(report.unchanged, keys);
    assert_eq!(counter.total(), 1, "{:?}", counter.snapshot());

    // A local change with size and mtime kept is downloaded over; an extra file is deleted.
    let changed = target.join("d0/f0.txt");
    let mtime = std::fs::metadata(&changed).unwrap().modified().unwrap();
    std::fs::write(&changed, b"FILE 0").unwrap();
    set_mtime(&changed, mtime);
    write(&target, "d0/extra.txt", b"extra");
    let dry = SyncOptions::new().dry_run(true).delete(true);
    let report = s3.sync_down_with("p", &target, &dry).await.unwrap();
    assert_eq!(report.downloaded, ["p/d0/f0.txt"]);
    assert_eq!(report.deleted, ["d0/extra.txt"]);
    assert!(target.join("d0/extra.txt").exists());
    assert_eq!(std::fs::read(&changed).unwrap(), b"FILE 0");

    let report = s3
        .sync_down_with("p", &target, &SyncOptions::new().delete(true))
        .await
        .unwrap();
    assert_eq!(report.downloaded, ["p/d0/f0.txt"]);
    assert_eq!(report.deleted, ["d0/extra.txt"]);
    assert!(!target.join("d0/extra.txt").exists());
    assert_eq!(std::fs::read(&changed).unwrap(), b"file 0");
}

#[tokio::test]
async fn keys_that_would_leave_the_folder_are_reported_and_not_written() {
    if awsimple_testkit::skip_if_lacking("directory-keys") {
        return;
    }
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    s3.write_string("inside", "a.txt").await.unwrap();
    s3.write_string("escape", "../x").await.unwrap();
    s3.write_string("marker", "folder/").await.unwrap();
    let outer = tempfile::tempdir().unwrap();
    let target = outer.path().join("in");
    let report = s3.sync_down("", &target).await.unwrap();
    assert_eq!(report.downloaded, ["a.txt"]);
    let skipped: Vec<_> = report.skipped.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(skipped, ["../x", "folder/"]);
    assert!(
        report
            .skipped
            .iter()
            .all(|s| matches!(s.reason, SkipReason::UnsafeKey(_)))
    );
    assert!(!outer.path().join("x").exists());
    assert_eq!(
        std::fs::read_to_string(target.join("a.txt")).unwrap(),
        "inside"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_are_not_followed_unless_asked() {
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.txt", b"secret");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "plain.txt", b"plain");
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("link.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked-dir")).unwrap();

    let report = s3.sync_up(dir.path(), "p").await.unwrap();
    assert_eq!(report.uploaded, ["p/plain.txt"]);
    let skipped: Vec<_> = report
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.reason.clone()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("link.txt", SkipReason::Symlink),
            ("linked-dir", SkipReason::Symlink)
        ]
    );
    let follow = SyncOptions::new().follow_symlinks(true);
    let report = s3.sync_up_with(dir.path(), "p", &follow).await.unwrap();
    assert_eq!(report.uploaded, ["p/link.txt", "p/linked-dir/secret.txt"]);
    // A skipped link keeps its objects, even with delete.
    let report = s3
        .sync_up_with(dir.path(), "p", &SyncOptions::new().delete(true))
        .await
        .unwrap();
    assert!(report.deleted.is_empty(), "{report:?}");

    // sync_down never writes through a link in the folder.
    let report = s3.sync_down("p", dir.path()).await.unwrap();
    let skipped: Vec<_> = report.skipped.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(skipped, ["p/link.txt", "p/linked-dir/secret.txt"]);
    assert_eq!(
        std::fs::read(outside.path().join("secret.txt")).unwrap(),
        b"secret"
    );
}

#[tokio::test]
async fn a_large_unchanged_tree_costs_its_listing_pages() {
    if awsimple_testkit::skip_if_lacking("native-sha512") {
        return;
    }
    const FILES: usize = 1001;
    let access = emulator_access().await;
    let s3 = bucket(&access).await;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..FILES {
        write(
            dir.path(),
            &format!("d{}/f{i}.txt", i % 10),
            format!("{i}").as_bytes(),
        );
    }
    let counter = access.request_counter();
    counter.reset();
    let started = std::time::Instant::now();
    let report = s3
        .sync_up_with(dir.path(), "big", &SyncOptions::new().concurrency(16))
        .await
        .unwrap();
    let first = started.elapsed();
    assert_eq!(report.uploaded.len(), FILES);
    assert_eq!(counter.operation("S3", "PutObject"), FILES as u64);
    assert_eq!(
        counter.total(),
        FILES as u64 + 1,
        "{:?}",
        counter.snapshot()
    );

    counter.reset();
    let started = std::time::Instant::now();
    let report = s3.sync_up(dir.path(), "big").await.unwrap();
    let again = started.elapsed();
    assert_eq!(report.unchanged.len(), FILES);
    // Two ListObjectsV2 pages (1000 keys each), nothing else.
    assert_eq!(counter.total(), 2, "{:?}", counter.snapshot());
    eprintln!("sync_up of {FILES} files: {first:?} first, {again:?} unchanged");

    let down = tempfile::tempdir().unwrap();
    s3.sync_down("big", down.path()).await.unwrap();
    counter.reset();
    let report = s3.sync_down("big", down.path()).await.unwrap();
    assert_eq!(report.unchanged.len(), FILES);
    assert_eq!(counter.total(), 2, "{:?}", counter.snapshot());
}
