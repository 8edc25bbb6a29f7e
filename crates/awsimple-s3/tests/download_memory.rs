//! A ranged download streams each range to the file as it arrives: its memory is bounded by the
//! configuration (a few body chunks per range in flight, one read buffer for the checksum), not
//! by part size x concurrency, nor by the object's size.
//!
//! One test in its own binary (its own process): it measures the process's peak resident memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_s3::primitives::ByteStream;
use awsimple_s3::S3Access;
use awsimple_testkit::bench::{peak_rss, reset_peak_rss, write_pseudo_random_file};
use awsimple_testkit::{emulator_access, unique_name};

const MIB: u64 = 1024 * 1024;

/// Resident memory now, in bytes (`VmRSS`).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ranged_download_holds_no_whole_parts_in_memory() {
    if !std::path::Path::new("/proc/self/clear_refs").exists() {
        panic!("this test measures memory through /proc (Linux)");
    }
    let access = emulator_access().await;
    // 8 ranges of 8 MiB, all in flight at once: collecting them would hold 64 MiB.
    let s3 = S3Access::builder(&access, unique_name("mem"))
        .multipart_threshold(8 * MIB)
        .part_size(8 * MIB)
        .concurrency(8)
        .build()
        .unwrap();
    assert!(s3.create_bucket().await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.bin");
    write_pseudo_random_file(&source, 64).unwrap();
    // Put with the bare SDK, streamed from the file: nothing large is allocated before the
    // download.
    s3.client()
        .put_object()
        .bucket(s3.bucket_name())
        .key("big.bin")
        .body(ByteStream::from_path(&source).await.unwrap())
        .send()
        .await
        .unwrap();

    let dest = dir.path().join("dest.bin");
    reset_peak_rss();
    let before = rss();
    s3.download("big.bin", &dest).await.expect("the download");
    let grown = peak_rss().saturating_sub(before);
    assert!(
        std::fs::read(&dest).unwrap() == std::fs::read(&source).unwrap(),
        "the bytes arrived whole"
    );
    assert!(
        grown < 24 * MIB,
        "the download raised the peak resident memory by {} MiB",
        grown / MIB
    );
}
