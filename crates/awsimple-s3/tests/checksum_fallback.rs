//! A store that refuses SHA-512 checksums (as SeaweedFS does): the fault proxy answers
//! `400 InvalidRequest` to every request carrying `x-amz-checksum-sha512`. The first write of a
//! handle falls back, later writes (of every clone) do not send SHA-512 again, and the object
//! keeps the SHA-512 identity Python reads (the `awsimple-sha512` metadata).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_s3::types::ChecksumMode;
use awsimple_core::Error;
use awsimple_s3::{Identity, S3Access, WriteChecksum};
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use awsimple_testkit::{access_at, emulator_endpoint, unique_name};

async fn proxy() -> FaultProxy {
    let upstream = tokio::task::spawn_blocking(emulator_endpoint)
        .await
        .unwrap();
    FaultProxy::start(&upstream).await.unwrap()
}

fn refuse(proxy: &FaultProxy, header: &str) {
    proxy.add_rule(Rule::new(Fault::s3_unsupported_checksum()).header(header));
}

#[tokio::test]
async fn the_first_write_falls_back_and_the_handle_remembers() {
    let proxy = proxy().await;
    let access = access_at(&proxy.endpoint()).await;
    let s3 = S3Access::new(&access, unique_name("fallback")).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    refuse(&proxy, "x-amz-checksum-sha512");
    let puts = || access.request_counter().operation("S3", "PutObject");
    assert_eq!(s3.write_checksum(), WriteChecksum::Sha512);

    s3.write_string("abc", "a.txt").await.unwrap();
    assert_eq!(proxy.faults_applied(), 1, "SHA-512 refused once");
    assert_eq!(puts(), 2, "the refused PutObject and the fallback");
    assert_eq!(s3.write_checksum(), WriteChecksum::Crc64Nvme);

    // A clone shares what the handle learned: no SHA-512 again, one PutObject.
    let clone = s3.clone();
    clone.write_string("def", "b.txt").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.txt");
    std::fs::write(&file, b"ghi").unwrap();
    assert!(s3.upload(&file, "c.txt").await.unwrap());
    assert_eq!(proxy.faults_applied(), 1, "SHA-512 never sent again");
    assert_eq!(puts(), 4);

    // The identity is still the SHA-512 (from the metadata Python reads), and the store
    // holds the fallback's native checksum.
    for (key, content) in [("a.txt", "abc"), ("b.txt", "def"), ("c.txt", "ghi")] {
        let metadata = s3.get_object_metadata(key).await.unwrap();
        let hex = awsimple_core::sha512(content.as_bytes()).to_hex();
        assert_eq!(metadata.sha512.as_deref(), Some(hex.as_str()), "{key}");
        assert_eq!(metadata.identity, Identity::Sha512(hex.clone()), "{key}");
        let head = s3
            .client()
            .head_object()
            .bucket(s3.bucket_name())
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(head.checksum_sha512(), None, "{key}");
        assert!(head.checksum_crc64_nvme().is_some(), "{key}");
        assert_eq!(head.metadata().unwrap()["awsimple-sha512"], hex, "{key}");
        assert_eq!(s3.read_string(key).await.unwrap(), content);
    }
    // The upload of the same content is skipped: same identity.
    assert!(!s3.upload(&file, "c.txt").await.unwrap());
}

#[tokio::test]
async fn a_small_upload_falls_back_too_and_a_new_handle_learns_again() {
    let proxy = proxy().await;
    let access = access_at(&proxy.endpoint()).await;
    let bucket = unique_name("fallback");
    let s3 = S3Access::new(&access, &bucket).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    refuse(&proxy, "x-amz-checksum-sha512");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.bin");
    std::fs::write(&file, vec![7u8; 1000]).unwrap();
    assert!(s3.upload(&file, "small.bin").await.unwrap());
    assert_eq!(proxy.faults_applied(), 1);
    assert_eq!(s3.write_checksum(), WriteChecksum::Crc64Nvme);
    let local = awsimple_core::sha512(&vec![7u8; 1000]).to_hex();
    assert_eq!(
        s3.get_object_metadata("small.bin")
            .await
            .unwrap()
            .sha512
            .as_deref(),
        Some(local.as_str())
    );
    // The download is verified (against the CRC64NVME) and whole.
    let copy = dir.path().join("copy.bin");
    s3.download("small.bin", &copy).await.unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), vec![7u8; 1000]);

    // A handle chosen with CRC64NVME never sends SHA-512.
    let chosen = S3Access::builder(&access, &bucket)
        .checksum(WriteChecksum::Crc64Nvme)
        .build()
        .unwrap();
    chosen.write_string("x", "x.txt").await.unwrap();
    assert_eq!(proxy.faults_applied(), 1);
    // A fresh default handle learns again (one more refusal).
    let fresh = S3Access::new(&access, &bucket).unwrap();
    fresh.write_string("y", "y.txt").await.unwrap();
    assert_eq!(proxy.faults_applied(), 2);
}

#[tokio::test]
async fn every_algorithm_refused_ends_with_the_metadata_only() {
    let proxy = proxy().await;
    let access = access_at(&proxy.endpoint()).await;
    let s3 = S3Access::new(&access, unique_name("fallback")).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    // Whether the SDK sends a checksum as a header or names it in a trailer.
    for name in ["sha512", "crc64nvme", "crc32"] {
        proxy.add_rule(
            Rule::new(Fault::s3_unsupported_checksum())
                .head_contains(&format!("x-amz-checksum-{name}")),
        );
    }
    s3.write_string("abc", "a.txt").await.unwrap();
    assert_eq!(proxy.faults_applied(), 3);
    assert_eq!(s3.write_checksum(), WriteChecksum::None);
    let hex = awsimple_core::sha512(b"abc").to_hex();
    let metadata = s3.get_object_metadata("a.txt").await.unwrap();
    assert_eq!(metadata.identity, Identity::Sha512(hex));
    assert_eq!(s3.read_string("a.txt").await.unwrap(), "abc");
    s3.write_string("def", "b.txt").await.unwrap();
    assert_eq!(proxy.faults_applied(), 3, "nothing refused again");
}

#[tokio::test]
async fn a_refusal_of_something_else_is_not_a_fallback() {
    let proxy = proxy().await;
    let access = access_at(&proxy.endpoint()).await;
    let s3 = S3Access::new(&access, unique_name("fallback")).unwrap();
    assert!(s3.create_bucket().await.unwrap());
    proxy.add_rule(
        Rule::new(Fault::Respond {
            status: 400,
            content_type: "application/xml".to_owned(),
            body: "<Error><Code>BadDigest</Code><Message>The SHA512 you specified did not \
                   match the calculated checksum.</Message></Error>"
                .to_owned(),
        })
        .method("PUT"),
    );
    let err = s3.write_string("abc", "a.txt").await.unwrap_err();
    assert!(matches!(err, Error::Service { .. }), "{err:?}");
    assert_eq!(err.aws_code(), Some("BadDigest"));
    assert_eq!(s3.write_checksum(), WriteChecksum::Sha512);
    assert_eq!(proxy.faults_applied(), 1);
}

// Multipart uploads: the same per-handle state. SHA-512 is single-part only (a multipart upload
// of a handle at SHA-512 sends a full-object CRC64NVME); a refusal at CreateMultipartUpload or
// at the first UploadPart aborts what was started and uploads again with the next algorithm.

const MIB: usize = 1024 * 1024;

/// Multipart from 5 MiB, one part at a time (so the refused requests are countable).
fn multipart_handle(access: &awsimple_core::AwsAccess, bucket: &str) -> S3Access {
    S3Access::builder(access, bucket)
        .multipart_threshold(5 * MIB as u64)
        .part_size(5 * MIB as u64)
        .concurrency(1)
        .build()
        .unwrap()
}

fn big_file(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    let content: Vec<u8> = (0..5 * MIB + 1000).map(|i| (i % 251) as u8).collect();
    let file = dir.join("big.bin");
    std::fs::write(&file, &content).unwrap();
    (file, content)
}

/// The object holds the SHA-512 identity (the metadata) and no CRC64NVME, and reads back whole.
async fn assert_identity_kept(s3: &S3Access, key: &str, content: &[u8], dir: &std::path::Path) {
    let hex = awsimple_core::sha512(content).to_hex();
    let metadata = s3.get_object_metadata(key).await.unwrap();
    assert_eq!(metadata.identity, Identity::Sha512(hex.clone()));
    let head = s3
        .client()
        .head_object()
        .bucket(s3.bucket_name())
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.metadata().unwrap()["awsimple-sha512"], hex);
    assert_eq!(head.checksum_crc64_nvme(), None);
    let copy = dir.join("copy.bin");
    s3.download(key, &copy).await.unwrap();
    assert!(std::fs::read(&copy).unwrap() == content);
}

async fn no_upload_left(s3: &S3Access) {
    let listed = s3
        .client()
        .list_multipart_uploads()
        .bucket(s3.bucket_name())
        .send()
        .await
        .unwrap();
    assert!(listed.uploads().is_empty(), "{:?}", listed.uploads());
}

#[tokio::test]
async fn a_multipart_upload_refused_at_create_falls_back() {
    if awsimple_testkit::skip_if_lacking("list-multipart-uploads") {
        return;
    }
    let proxy = proxy().await;
    let access = access_at(&proxy.endpoint()).await;
    let bucket = unique_name("fallback");
    let s3 = multipart_handle(&access, &bucket);
    assert!(s3.create_bucket().await.unwrap());
    // Any request naming CRC64NVME (CreateMultipartUpload's algorithm, or a part's) is refused.
    proxy.add_rule(Rule::new(Fault::s3_unsupported_checksum()).head_contains("CRC64NVME"));
    let counter = access.request_counter();
    let dir = tempfile::tempdir().unwrap();
    let (file, content) = big_file(dir.path());

    assert!(s3.upload(&file, "big.bin").await.unwrap());
    assert_eq!(proxy.faults_applied(), 1, "CRC64NVME refused once");
    assert_eq!(counter.operation("S3", "CreateMultipartUpload"), 2);
    assert_eq!(counter.operation("S3", "UploadPart"), 2);
    assert_eq!(s3.write_checksum(), WriteChecksum::Crc32);
    assert_identity_kept(&s3, "big.bin", &content, dir.path()).await;
    no_upload_left(&s3).await;

    // Same content: skipped. Forced, and single-part writes: no CRC64NVME again.
    assert!(!s3.upload(&file, "big.bin").await.unwrap());
    let force = awsimple_s3::UploadOptions::new().force(true);
    assert!(s3.upload_with(&file, "big.bin", &force).await.unwrap());
    s3.write_string("abc", "a.txt").await.unwrap();
    assert_eq!(proxy.faults_applied(), 1, "CRC64NVME never sent again");
    assert_eq!(counter.operation("S3", "CreateMultipartUpload"), 3);
}

#[tokio::test]
async fn a_multipart_upload_refused_at_its_first_part_is_aborted_and_falls_back() {
    if awsimple_testkit::skip_if_lacking("list-multipart-uploads") {
        return;
    }
    let proxy = proxy().await;
    let access = access_at(&proxy.endpoint()).await;
    let s3 = multipart_handle(&access, &unique_name("fallback"));
    assert!(s3.create_bucket().await.unwrap());
    // The store takes CreateMultipartUpload's algorithm but refuses the parts' checksums.
    proxy.add_rule(
        Rule::new(Fault::s3_unsupported_checksum())
            .method("PUT")
            .head_contains("CRC64NVME"),
    );
    let counter = access.request_counter();
    let dir = tempfile::tempdir().unwrap();
    let (file, content) = big_file(dir.path());

    assert!(s3.upload(&file, "big.bin").await.unwrap());
    assert_eq!(proxy.faults_applied(), 1, "the first part refused");
    assert_eq!(counter.operation("S3", "CreateMultipartUpload"), 2);
    assert_eq!(counter.operation("S3", "AbortMultipartUpload"), 1);
    assert_eq!(counter.operation("S3", "UploadPart"), 3);
    assert_eq!(s3.write_checksum(), WriteChecksum::Crc32);
    assert_identity_kept(&s3, "big.bin", &content, dir.path()).await;
    no_upload_left(&s3).await;
}

#[tokio::test]
async fn a_multipart_upload_with_every_algorithm_refused_sends_none() {
    if awsimple_testkit::skip_if_lacking("list-multipart-uploads") {
        return;
    }
    let proxy = proxy().await;
    let access = access_at(&proxy.endpoint()).await;
    let s3 = multipart_handle(&access, &unique_name("fallback"));
    assert!(s3.create_bucket().await.unwrap());
    // The algorithm named (CreateMultipartUpload's, a part's), or the checksum header or trailer
    // (the SDK's own CRC32 of a part).
    for algorithm in [
        "CRC64NVME",
        "CRC32",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-crc32",
    ] {
        proxy.add_rule(Rule::new(Fault::s3_unsupported_checksum()).head_contains(algorithm));
    }
    let counter = access.request_counter();
    let dir = tempfile::tempdir().unwrap();
    let (file, content) = big_file(dir.path());

    assert!(s3.upload(&file, "big.bin").await.unwrap());
    assert_eq!(proxy.faults_applied(), 2, "CRC64NVME, then CRC32 refused");
    assert_eq!(counter.operation("S3", "CreateMultipartUpload"), 3);
    assert_eq!(counter.operation("S3", "UploadPart"), 2, "no part refused");
    assert_eq!(s3.write_checksum(), WriteChecksum::None);
    assert_identity_kept(&s3, "big.bin", &content, dir.path()).await;
    no_upload_left(&s3).await;
}

#[tokio::test]
async fn a_handle_chosen_with_crc32_never_sends_crc64nvme_in_multipart() {
    let proxy = proxy().await;
    let access = access_at(&proxy.endpoint()).await;
    let bucket = unique_name("fallback");
    let s3 = S3Access::builder(&access, &bucket)
        .multipart_threshold(5 * MIB as u64)
        .part_size(5 * MIB as u64)
        .checksum(WriteChecksum::Crc32)
        .build()
        .unwrap();
    assert!(s3.create_bucket().await.unwrap());
    proxy.add_rule(Rule::new(Fault::s3_unsupported_checksum()).head_contains("CRC64NVME"));
    let dir = tempfile::tempdir().unwrap();
    let (file, content) = big_file(dir.path());
    assert!(s3.upload(&file, "big.bin").await.unwrap());
    assert_eq!(proxy.faults_applied(), 0);
    assert_identity_kept(&s3, "big.bin", &content, dir.path()).await;
}
