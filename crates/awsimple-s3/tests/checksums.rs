//! Native checksums against the emulator: the SHA-512 S3 stores, objects written the way
//! Python awsimple 8 writes them (full-object CRC64NVME only), and stored checksums that do not
//! match the body — on single, ranged and cached downloads and on reads. (Bucket ownership
//! across accounts: `bucket_owner.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType};
use awsimple_cache::DiskCache;
use awsimple_core::{AwsAccess, Error};
use awsimple_s3::{Identity, S3Access};
use awsimple_testkit::{emulator_access, unique_name};

async fn bucket(access: &AwsAccess, cache_dir: &Path) -> S3Access {
    let s3 = S3Access::builder(access, unique_name("ck"))
        .cache(cache(cache_dir))
        .build()
        .unwrap();
    assert!(s3.create_bucket().await.unwrap());
    s3
}

fn cache(dir: &Path) -> DiskCache {
    DiskCache::builder("s3")
        .dir(dir)
        .max_free_fraction(1.0)
        .build()
        .unwrap()
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test]
async fn single_part_writes_store_the_native_sha512() {
    if awsimple_testkit::skip_if_lacking("native-sha512") {
        return;
    }
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    s3.write_string("abc", "a.txt").await.unwrap();
    let head = s3
        .client()
        .head_object()
        .bucket(s3.bucket_name())
        .key("a.txt")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    let digest = awsimple_core::sha512(b"abc");
    assert_eq!(
        head.checksum_sha512(),
        Some(digest.to_base64().as_str()),
        "x-amz-checksum-sha512"
    );
    assert_eq!(
        head.metadata().unwrap()["awsimple-sha512"],
        digest.to_hex(),
        "and the metadata Python awsimple < 8 reads"
    );
}

#[tokio::test]
async fn multipart_uploads_store_a_full_object_crc64nvme() {
    if awsimple_testkit::skip_if_lacking("full-object-crc64nvme") {
        return;
    }
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mp.bin");
    std::fs::write(&file, data(12 * 1024 * 1024, 1)).unwrap();
    assert!(s3.upload(&file, "mp.bin").await.unwrap());
    let head = s3
        .client()
        .head_object()
        .bucket(s3.bucket_name())
        .key("mp.bin")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_type(), Some(&ChecksumType::FullObject));
    let crc = head.checksum_crc64_nvme().unwrap();
    assert!(!crc.contains('-'), "not a composite checksum: {crc}");
}

/// An object as Python awsimple 8 writes it: the native CRC64NVME (computed by the SDK here),
/// no SHA-512 anywhere.
#[tokio::test]
async fn objects_with_only_a_crc64nvme_are_identified_skipped_and_verified() {
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let content = data(100_000, 2);
    s3.client()
        .put_object()
        .bucket(s3.bucket_name())
        .key("py.bin")
        .body(content.clone().into())
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .send()
        .await
        .unwrap();
    let meta = s3.get_object_metadata("py.bin").await.unwrap();
    assert!(matches!(meta.identity, Identity::Crc64Nvme(_)), "{meta:?}");
    assert_eq!(meta.sha512, None);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("py.bin");
    std::fs::write(&file, &content).unwrap();
    let counter = access.request_counter();
    counter.reset();
    assert!(
        !s3.upload(&file, "py.bin").await.unwrap(),
        "same CRC: skipped"
    );
    assert_eq!(counter.total(), 1, "{:?}", counter.snapshot());

    let back = dir.path().join("back.bin");
    s3.download("py.bin", &back).await.unwrap();
    assert!(std::fs::read(&back).unwrap() == content);
    let status = s3
        .download_cached("py.bin", dir.path().join("c.bin"))
        .await
        .unwrap();
    assert!(status.cache_write);
    assert!(cache(cache_dir.path()).ids()[0].starts_with("crc64-"));
}

/// Puts `body` under `key` with a native checksum that belongs to other content (moto stores
/// the value it is given without checking it).
async fn put_with_wrong_checksum(s3: &S3Access, key: &str, body: Vec<u8>, algorithm: &str) {
    let request = s3
        .client()
        .put_object()
        .bucket(s3.bucket_name())
        .key(key)
        .body(body.into());
    let request = match algorithm {
        "SHA-512" => request
            .checksum_algorithm(ChecksumAlgorithm::Sha512)
            .checksum_sha512(awsimple_core::sha512(b"other content").to_base64()),
        _ => request
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .checksum_crc64_nvme("AAAAAAAAAAA="),
    };
    request.send().await.unwrap();
}

#[tokio::test]
async fn wrong_native_checksums_fail_every_read_and_leave_nothing() {
    if awsimple_testkit::skip_if_lacking("native-sha512") {
        return;
    }
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let cases = [
        ("small-sha.bin", 1000, "SHA-512"),
        ("small-crc.bin", 1000, "CRC64NVME"),
        // Above the threshold: parallel ranged GETs, checked as they are appended.
        ("large-sha.bin", 9 * 1024 * 1024, "SHA-512"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let counter = access.request_counter();
    for (key, len, algorithm) in cases {
        put_with_wrong_checksum(&s3, key, data(len, 3), algorithm).await;
        let dest = dir.path().join(key);

        counter.reset();
        match s3.download(key, &dest).await.unwrap_err() {
            Error::Integrity { algorithm: a, .. } => assert_eq!(a, algorithm, "{key}"),
            other => panic!("{key}: {other:?}"),
        }
        let gets = len.div_ceil(8 * 1024 * 1024) as u64;
        assert_eq!(
            counter.operation("S3", "GetObject"),
            gets,
            "{key}: a mismatch is not retried"
        );
        assert!(!dest.exists(), "{key}");

        let err = s3.download_cached(key, &dest).await.unwrap_err();
        assert!(matches!(err, Error::Integrity { .. }), "{key}: {err:?}");
        assert!(!dest.exists(), "{key}");

        if len < 1_000_000 {
            let err = s3.read_bytes(key).await.unwrap_err();
            assert!(matches!(err, Error::Integrity { .. }), "{key}: {err:?}");
        }
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file and no temporary file"
    );
    assert!(cache(cache_dir.path()).ids().is_empty(), "nothing cached");
}

/// Puts a 9 MiB object (ranged downloads) with a full-object CRC64NVME and an `awsimple-sha512`
/// metadata value, either of which may belong to other content.
async fn put_with_crc_and_sha(s3: &S3Access, key: &str, body: &[u8], crc: &str, sha_hex: &str) {
    s3.client()
        .put_object()
        .bucket(s3.bucket_name())
        .key(key)
        .body(body.to_vec().into())
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .checksum_crc64_nvme(crc)
        .metadata("awsimple-sha512", sha_hex)
        .send()
        .await
        .unwrap();
}

fn crc64nvme(body: &[u8]) -> String {
    let mut digest = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
    digest.update(body);
    aws_smithy_types::base64::encode(digest.finalize().to_be_bytes())
}

#[tokio::test]
async fn downloads_check_the_crc64nvme_and_the_cache_checks_the_sha512() {
    if awsimple_testkit::skip_if_lacking("full-object-crc64nvme") {
        return;
    }
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let body = data(9 * 1024 * 1024, 5);
    let sha = awsimple_core::sha512(&body).to_hex();
    let other_sha = awsimple_core::sha512(b"other content").to_hex();
    let dir = tempfile::tempdir().unwrap();
    let counter = access.request_counter();

    // A wrong CRC64NVME (and the right SHA-512): the download checks the CRC and refuses.
    put_with_crc_and_sha(&s3, "bad-crc.bin", &body, "AAAAAAAAAAA=", &sha).await;
    let meta = s3.get_object_metadata("bad-crc.bin").await.unwrap();
    assert_eq!(meta.crc64nvme.as_deref(), Some("AAAAAAAAAAA="));
    assert_eq!(
        meta.identity,
        Identity::Sha512(sha.clone()),
        "identity stays SHA-512"
    );
    let dest = dir.path().join("bad-crc.bin");
    counter.reset();
    match s3.download("bad-crc.bin", &dest).await.unwrap_err() {
        Error::Integrity { algorithm, .. } => assert_eq!(algorithm, "CRC64NVME"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        counter.operation("S3", "GetObject"),
        2,
        "two ranges, no retry"
    );
    assert!(!dest.exists());

    // The right CRC64NVME and a wrong SHA-512: the bytes are the object's, so the download
    // succeeds; the cache files content under its SHA-512, so download_cached refuses.
    put_with_crc_and_sha(&s3, "bad-sha.bin", &body, &crc64nvme(&body), &other_sha).await;
    let dest = dir.path().join("bad-sha.bin");
    s3.download("bad-sha.bin", &dest).await.unwrap();
    assert!(std::fs::read(&dest).unwrap() == body, "identical bytes");
    std::fs::remove_file(&dest).unwrap();
    match s3.download_cached("bad-sha.bin", &dest).await.unwrap_err() {
        Error::Integrity { algorithm, .. } => assert_eq!(algorithm, "SHA-512"),
        other => panic!("{other:?}"),
    }
    assert!(!dest.exists());
    assert!(cache(cache_dir.path()).ids().is_empty(), "nothing cached");

    // Both right: downloaded, cached, and served from the cache.
    put_with_crc_and_sha(&s3, "good.bin", &body, &crc64nvme(&body), &sha).await;
    let dest = dir.path().join("good.bin");
    assert!(
        !s3.download_cached("good.bin", &dest)
            .await
            .unwrap()
            .cache_hit
    );
    std::fs::remove_file(&dest).unwrap();
    assert!(
        s3.download_cached("good.bin", &dest)
            .await
            .unwrap()
            .cache_hit
    );
    assert!(std::fs::read(&dest).unwrap() == body, "identical bytes");
}
