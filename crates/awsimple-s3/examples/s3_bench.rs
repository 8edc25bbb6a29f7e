//! A quick S3 benchmark against an emulator (not a test): wall time and requests of large
//! uploads and downloads, an unchanged re-upload, `dir` of 200 objects, 200 cache hits, and the
//! peak memory of a 256 MiB download measured in a fresh process.
//!
//! ```text
//! cargo run --release -p awsimple-s3 --example s3_bench
//! ```
//!
//! Uses `AWS_ENDPOINT_URL` when set, otherwise starts the test kit's moto server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use awsimple_s3::{S3Access, UploadOptions};
use awsimple_testkit::bench::{self, measure};
use awsimple_testkit::{access_at, emulator_endpoint, unique_name};
use futures::StreamExt;

const MIB: usize = 1024 * 1024;
const CHILD: &str = "AWSIMPLE_S3_BENCH_CHILD";

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| emulator_endpoint())
}

/// VmHWM (peak resident set) of this process, in MiB.
fn peak_rss_mib() -> f64 {
    bench::peak_rss() as f64 / MIB as f64
}

/// The child: one download in a fresh process, reporting its own peak memory.
async fn child(spec: &str) {
    let parts: Vec<&str> = spec.split('|').collect();
    let access = access_at(parts[0]).await;
    let s3 = S3Access::new(&access, parts[1]).unwrap();
    let before = peak_rss_mib();
    measure(&access, "download 256 MiB (fresh process)", async {
        s3.download(parts[2], parts[3]).await.unwrap();
    })
    .await;
    println!(
        "{:<34} {:>8.1} MiB (VmHWM; {before:.1} MiB before the download)",
        "peak memory of that download",
        peak_rss_mib()
    );
}

#[tokio::main]
async fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec).await;
        return;
    }
    let endpoint = endpoint();
    let access = access_at(&endpoint).await;
    let folder = tempfile::tempdir().unwrap();
    let s3 = S3Access::builder(&access, unique_name("bench"))
        .cache_dir(folder.path().join("cache"))
        .build()
        .unwrap();
    s3.create_bucket().await.unwrap();
    println!(
        "S3 benchmark against {endpoint} (bucket {})",
        s3.bucket_name()
    );

    let big = folder.path().join("64.bin");
    bench::write_pseudo_random_file(&big, 64).unwrap();
    let forced = UploadOptions::new().force(true);
    measure(&access, "upload 64 MiB", async {
        assert!(s3.upload_with(&big, "64.bin", &forced).await.unwrap());
    })
    .await;
    measure(&access, "re-upload 64 MiB unchanged", async {
        assert!(!s3.upload(&big, "64.bin").await.unwrap());
    })
    .await;
    let back = folder.path().join("64-back.bin");
    measure(&access, "download 64 MiB", async {
        s3.download("64.bin", &back).await.unwrap();
    })
    .await;
    std::fs::remove_file(&back).unwrap();

    futures::stream::iter(0..200)
        .map(|i| {
            let s3 = s3.clone();
            async move {
                s3.write_string(&format!("value {i}"), &format!("dir/{i:03}"))
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    measure(&access, "dir of 200 objects", async {
        assert_eq!(s3.dir("dir/").await.unwrap().len(), 200);
    })
    .await;

    s3.write_bytes(vec![7u8; 100_000], "cached.bin")
        .await
        .unwrap();
    let dests = folder.path().join("cached");
    std::fs::create_dir(&dests).unwrap();
    let warm = s3
        .download_cached("cached.bin", dests.join("warm.bin"))
        .await
        .unwrap();
    assert!(warm.cache_write);
    measure(&access, "download_cached hit x200 (100 kB)", async {
        for i in 0..200 {
            let status = s3
                .download_cached("cached.bin", dests.join(format!("{i}.bin")))
                .await
                .unwrap();
            assert!(status.cache_hit);
        }
    })
    .await;

    let huge = folder.path().join("256.bin");
    bench::write_pseudo_random_file(&huge, 256).unwrap();
    measure(&access, "upload 256 MiB", async {
        assert!(s3.upload_with(&huge, "256.bin", &forced).await.unwrap());
    })
    .await;
    std::fs::remove_file(&huge).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(
            CHILD,
            format!(
                "{endpoint}|{}|256.bin|{}",
                s3.bucket_name(),
                folder.path().join("256-back.bin").display()
            ),
        )
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "the download child failed");
    print!("{}", String::from_utf8_lossy(&out.stdout));
}
