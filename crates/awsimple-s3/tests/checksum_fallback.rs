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
