//! Integrity under attack and faults: the cache takes only bytes that were checked, objects
//! without a stored checksum are checked against their MD5 ETag, one deadline bounds a whole
//! transfer, an object overwritten mid-download is read again whole, and errors stay small.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::types::{ChecksumMode, ServerSideEncryption};
use awsimple_cache::DiskCache;
use awsimple_core::{AwsAccess, Error};
use awsimple_s3::{DownloadOptions, S3Access, Verification};
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use awsimple_testkit::{
    TEST_ACCESS_KEY_ID, TEST_REGION, access_at, emulator_access, emulator_endpoint, unique_name,
};

const MIB: usize = 1024 * 1024;

fn cache(dir: &Path) -> DiskCache {
    DiskCache::builder("s3")
        .dir(dir)
        .max_free_fraction(1.0)
        .build()
        .unwrap()
}

/// A new bucket whose transfers are ranged above 5 MiB, in 5 MiB parts, one at a time.
async fn bucket(access: &AwsAccess, cache_dir: &Path) -> S3Access {
    let s3 = S3Access::builder(access, unique_name("in"))
        .cache(cache(cache_dir))
        .multipart_threshold(5 * MIB as u64)
        .part_size(5 * MIB as u64)
        .concurrency(1)
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

/// Files in `dir` (temporary files included).
fn names_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Another process replaces the destination the moment it appears, round after round: the
/// cache must only ever hold the object's own bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_takes_only_checked_bytes_when_the_destination_is_replaced() {
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let foreign = data(256 * 1024, 999);
    let mut replaced = 0;
    for round in 0..20u64 {
        let key = format!("r{round}.bin");
        let content = data(256 * 1024, round);
        s3.write_bytes(content.clone(), &key).await.unwrap();
        let dest = dir.path().join(format!("dest-{round}.bin"));
        let evil = dir.path().join(format!("evil-{round}"));
        std::fs::write(&evil, &foreign).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let attacker = std::thread::spawn({
            let (dest, stop) = (dest.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::SeqCst) {
                    if std::fs::symlink_metadata(&dest).is_ok() {
                        return std::fs::rename(&evil, &dest).is_ok();
                    }
                    std::hint::spin_loop();
                }
                false
            }
        });
        let status = s3.download_cached(&key, &dest).await.unwrap();
        stop.store(true, Ordering::SeqCst);
        if attacker.join().unwrap() {
            replaced += 1;
        }
        assert!(!status.cache_hit && status.cache_write, "round {round}");
        // The destination is the other process's business now; the cache is ours.
        let check = dir.path().join(format!("check-{round}.bin"));
        let hit = s3.download_cached(&key, &check).await.unwrap();
        assert!(hit.cache_hit, "round {round}");
        let got = std::fs::read(&check).unwrap();
        assert!(
            got != foreign,
            "round {round}: the foreign bytes were cached"
        );
        assert!(got == content, "round {round}");
    }
    assert!(replaced > 0, "the destination was never replaced");
}

/// A client that adds no checksum of its own to a PUT (the SDK adds a CRC32 by default), so
/// the object is as other tools write it: no checksum at all, an MD5 ETag.
fn plain_client(s3: &S3Access) -> aws_sdk_s3::Client {
    let conf = s3
        .client()
        .config()
        .to_builder()
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn plain_put(s3: &S3Access, key: &str, body: &[u8]) {
    plain_client(s3)
        .put_object()
        .bucket(s3.bucket_name())
        .key(key)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
    let head = s3
        .client()
        .head_object()
        .bucket(s3.bucket_name())
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert!(
        head.checksum_crc32().is_none()
            && head.checksum_crc32_c().is_none()
            && head.checksum_crc64_nvme().is_none()
            && head.checksum_sha1().is_none()
            && head.checksum_sha256().is_none()
            && head.checksum_sha512().is_none()
            && head.metadata().is_none_or(|m| m.is_empty()),
        "{head:?}"
    );
}

#[tokio::test]
async fn objects_without_a_checksum_are_checked_against_their_md5_etag() {
    if awsimple_testkit::skip_if_lacking("sse-kms") {
        return;
    }
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let small = data(100_000, 1);
    let large = data(11 * MIB, 2);
    plain_put(&s3, "small.bin", &small).await;
    plain_put(&s3, "large.bin", &large).await;

    // Untouched: identical, and checked against the ETag.
    for (key, content) in [("small.bin", &small), ("large.bin", &large)] {
        let dest = dir.path().join(key);
        s3.download(key, &dest).await.unwrap();
        assert!(std::fs::read(&dest).unwrap() == *content, "{key}");
        std::fs::remove_file(&dest).unwrap();
    }
    assert!(s3.read_bytes("small.bin").await.unwrap() == small);

    // A byte flipped in transit: an integrity error, nothing left behind.
    for (key, offset) in [("small.bin", 1000), ("large.bin", 3 * MIB as u64)] {
        let dest = dir.path().join(key);
        for cached in [false, true] {
            proxy.add_rule(
                Rule::new(Fault::CorruptResponseByte(offset))
                    .method("GET")
                    .first(1),
            );
            let result = if cached {
                s3.download_cached(key, &dest).await.map(|s| s.path)
            } else {
                s3.download(key, &dest).await
            };
            match result {
                Err(Error::Integrity { algorithm, .. }) => assert_eq!(algorithm, "MD5"),
                other => panic!("{key} (cached: {cached}): {other:?}"),
            }
            assert!(!dest.exists(), "{key}");
            assert!(
                names_in(dir.path()).is_empty(),
                "{:?}",
                names_in(dir.path())
            );
            proxy.clear_rules();
        }
    }
    assert!(cache(cache_dir.path()).ids().is_empty(), "nothing cached");
    proxy.add_rule(
        Rule::new(Fault::CorruptResponseByte(10))
            .method("GET")
            .first(1),
    );
    let err = s3.read_bytes("small.bin").await.unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err:?}");
    proxy.clear_rules();

    // Verified, then cached; a hit says what the bytes were checked against when stored.
    let meta = s3.get_object_metadata("small.bin").await.unwrap();
    assert_eq!(meta.md5.as_deref(), Some(meta.etag.as_str()));
    let dest = dir.path().join("small.bin");
    let miss = s3.download_cached("small.bin", &dest).await.unwrap();
    assert_eq!(
        (miss.cache_hit, miss.cache_write, miss.verified),
        (false, true, Verification::Md5Etag)
    );
    let hit = s3.download_cached("small.bin", &dest).await.unwrap();
    assert_eq!((hit.cache_hit, hit.verified), (true, Verification::Md5Etag));
    assert!(std::fs::read(&dest).unwrap() == small);

    // Nothing to check against (a multipart ETag, SSE-KMS): said so, and never cached.
    plain_multipart(&s3, "multi.bin", &small).await;
    let plain = plain_client(&s3);
    plain
        .put_object()
        .bucket(s3.bucket_name())
        .key("kms.bin")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(small.clone().into())
        .send()
        .await
        .unwrap();
    for key in ["multi.bin", "kms.bin"] {
        assert_eq!(
            s3.get_object_metadata(key).await.unwrap().md5,
            None,
            "{key}"
        );
        let dest = dir.path().join(key);
        for _ in 0..2 {
            let status = s3.download_cached(key, &dest).await.unwrap();
            assert_eq!(
                (status.cache_hit, status.cache_write, status.verified),
                (false, false, Verification::Unverified),
                "{key}"
            );
            assert!(std::fs::read(&dest).unwrap() == small, "{key}");
        }
    }
    assert_eq!(cache(cache_dir.path()).ids().len(), 1, "only small.bin");
}

/// Starts a multipart upload of one part without checksums: an ETag with a `-1` suffix, which
/// is not the MD5 of the content.
async fn plain_multipart(s3: &S3Access, key: &str, body: &[u8]) {
    let client = plain_client(s3);
    let created = client
        .create_multipart_upload()
        .bucket(s3.bucket_name())
        .key(key)
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap();
    let part = client
        .upload_part()
        .bucket(s3.bucket_name())
        .key(key)
        .upload_id(id)
        .part_number(1)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
    client
        .complete_multipart_upload()
        .bucket(s3.bucket_name())
        .key(key)
        .upload_id(id)
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(
                    aws_sdk_s3::types::CompletedPart::builder()
                        .part_number(1)
                        .set_e_tag(part.e_tag().map(str::to_owned))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// The whole call, retries included, ends within the operation timeout (plus slack), whether
/// the server freezes before answering or in the middle of a body.
#[tokio::test]
async fn one_deadline_bounds_a_whole_transfer() {
    if awsimple_testkit::skip_if_lacking("list-multipart-uploads") {
        return;
    }
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let timeout = Duration::from_secs(3);
    let access = AwsAccess::builder()
        .endpoint_url(proxy.endpoint())
        .region(TEST_REGION)
        .credentials(TEST_ACCESS_KEY_ID, "awsimple-test-secret", None)
        .operation_timeout(Some(timeout))
        .build()
        .await
        .unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    s3.write_bytes(data(12 * MIB, 1), "large.bin")
        .await
        .unwrap();
    s3.write_bytes(data(300_000, 2), "small.bin").await.unwrap();
    let bound = timeout.mul_f64(1.5) + Duration::from_secs(2);

    let cases: [(&str, &str, Fault); 4] = [
        (
            "ranged, no answer",
            "large.bin",
            Fault::Delay(Duration::from_secs(3600)),
        ),
        (
            "ranged, frozen after the head",
            "large.bin",
            Fault::StallResponseAfter(0),
        ),
        (
            "ranged, frozen mid-body",
            "large.bin",
            Fault::StallResponseAfter(100_000),
        ),
        (
            "single, frozen mid-body",
            "small.bin",
            Fault::StallResponseAfter(100_000),
        ),
    ];
    for (case, key, fault) in cases {
        proxy.clear_rules();
        proxy.add_rule(Rule::new(fault).method("GET"));
        let dest = dir.path().join(key);
        let start = Instant::now();
        let err = s3.download_cached(key, &dest).await.unwrap_err();
        let took = start.elapsed();
        eprintln!("{case}: {took:?}: {err}");
        assert!(took < bound, "{case}: {took:?} ({err:?})");
        assert!(err.is_transient(), "{case}: {err:?}");
        assert!(names_in(dir.path()).is_empty(), "{case}");
    }

    // A multipart upload whose completion never answers: the error in time, the upload
    // aborted (in the background when the deadline is past).
    proxy.clear_rules();
    proxy.add_rule(
        Rule::new(Fault::StallResponseAfter(0))
            .method("POST")
            .head_contains("uploadId="),
    );
    let file = dir.path().join("up.bin");
    std::fs::write(&file, data(11 * MIB, 3)).unwrap();
    let start = Instant::now();
    let err = s3.upload(&file, "up.bin").await.unwrap_err();
    let took = start.elapsed();
    eprintln!("upload: {took:?}: {err}");
    assert!(took < bound, "upload: {took:?} ({err:?})");
    assert!(err.is_transient(), "{err:?}");
    proxy.clear_rules();
    let mut pending = usize::MAX;
    for _ in 0..50 {
        let uploads = s3
            .client()
            .list_multipart_uploads()
            .bucket(s3.bucket_name())
            .send()
            .await
            .unwrap();
        pending = uploads.uploads().len();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(pending, 0, "the multipart upload was aborted");
}

/// Writes `body` under `key` from a client of its own, on a runtime of its own (called from a
/// progress callback, which may not wait on the download's runtime).
fn overwrite(bucket: &str, key: &str, body: Vec<u8>) {
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let access = emulator_access().await;
            let s3 = S3Access::new(&access, bucket).unwrap();
            s3.write_bytes(body, &key).await.unwrap();
        });
    })
    .join()
    .unwrap();
}

#[tokio::test]
async fn an_object_overwritten_mid_download_is_read_again_whole() {
    if awsimple_testkit::skip_if_lacking("conditional-get") {
        return;
    }
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let versions = [data(12 * MIB, 1), data(12 * MIB, 2)];
    s3.write_bytes(versions[0].clone(), "obj.bin")
        .await
        .unwrap();
    for (round, cached) in [(0usize, true), (1, false)] {
        // After the first of three ranges, the object is overwritten with the other version.
        let next = versions[(round + 1) % 2].clone();
        let done = Arc::new(AtomicBool::new(false));
        let bucket_name = s3.bucket_name().to_owned();
        let options = DownloadOptions::new().progress({
            let done = done.clone();
            move |got, total| {
                if got < total && !done.swap(true, Ordering::SeqCst) {
                    overwrite(&bucket_name, "obj.bin", next.clone());
                }
            }
        });
        let dest: PathBuf = dir.path().join(format!("obj-{round}.bin"));
        if cached {
            s3.download_cached_with("obj.bin", &dest, &options)
                .await
                .unwrap();
        } else {
            s3.download_with("obj.bin", &dest, &options).await.unwrap();
        }
        assert!(done.load(Ordering::SeqCst), "overwritten mid-download");
        let got = std::fs::read(&dest).unwrap();
        assert!(
            got == versions[(round + 1) % 2],
            "round {round}: the new version, whole (old: {})",
            got == versions[round]
        );
        if cached {
            let status = s3.download_cached("obj.bin", &dest).await.unwrap();
            assert!(status.cache_hit, "the new version was cached");
            assert_eq!(status.verified, Verification::Sha512);
            assert!(std::fs::read(&dest).unwrap() == versions[(round + 1) % 2]);
        }
    }
}

#[tokio::test]
async fn errors_stay_small_whatever_the_object() {
    let access = emulator_access().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let s3 = bucket(&access, cache_dir.path()).await;
    let mut bytes = vec![0xffu8; 4 * MIB];
    bytes[..5].copy_from_slice(b"hello");
    s3.write_bytes(bytes, "binary.json").await.unwrap();
    for err in [
        s3.read_string("binary.json").await.unwrap_err(),
        s3.read_lines("binary.json").await.unwrap_err(),
        s3.read_json::<Vec<u8>>("binary.json").await.unwrap_err(),
        s3.read_json_cached::<Vec<u8>>("binary.json")
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::Serialization { .. }), "{err}");
        let debug = format!("{err:?}");
        let display = format!("{err}");
        assert!(debug.len() < 1024, "Debug is {} bytes", debug.len());
        assert!(display.len() < 1024, "Display is {} bytes", display.len());
    }
}
