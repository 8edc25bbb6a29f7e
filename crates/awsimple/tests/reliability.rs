//! Faults, interruptions and concurrency across the services: a failure never loses or
//! corrupts data, never presents partial results as complete, and never leaves debris.
#![cfg(feature = "full")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use awsimple::dynamodb::{AttributeType, CreateTable, DynamoDbAccess, Item, ScanOptions};
use awsimple::s3::UploadOptions;
use awsimple::{Error, S3Access};
use awsimple_testkit::emulator::{self, EmulatorProcess, StartOptions};
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use awsimple_testkit::{access_at, emulator_access, emulator_endpoint, unique_name};
use serde_json::json;

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 7 + seed as usize) % 251) as u8)
        .collect()
}

async fn unfinished_uploads(s3: &S3Access) -> usize {
    s3.client()
        .list_multipart_uploads()
        .bucket(s3.bucket_name())
        .send()
        .await
        .unwrap()
        .uploads()
        .len()
}

#[tokio::test]
async fn s3_round_trips_of_32_mib_through_resets_and_slowdowns() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let cache = tempfile::tempdir().unwrap();
    // One handle sends 32 MiB as a single PUT, the other as four 8 MiB parts.
    let s3 = S3Access::builder(&access, unique_name("up"))
        .cache_dir(cache.path())
        .multipart_threshold(64 * 1024 * 1024)
        .build()
        .unwrap();
    let multipart = S3Access::builder(&access, s3.bucket_name())
        .cache_dir(cache.path())
        .build()
        .unwrap();
    s3.create_bucket().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("32.bin");
    let content = data(32 * 1024 * 1024, 1);
    std::fs::write(&file, &content).unwrap();

    // Transient: SlowDown twice, then a response cut off after the PUT was processed; the
    // SDK retries and the object arrives whole.
    proxy.add_rule(Rule::new(Fault::s3_slow_down()).method("PUT").first(2));
    proxy.add_rule(
        Rule::new(Fault::ResetResponseAfter(0))
            .method("PUT")
            .first(1),
    );
    proxy.add_rule(Rule::new(Fault::internal_error()).method("HEAD").first(1));
    assert!(s3.upload(&file, "ok.bin").await.unwrap());
    assert_eq!(proxy.faults_applied(), 4);
    proxy.clear_rules();
    // The same through the multipart path: a SlowDown on one part, a cut-off answer to
    // another (processed by S3, so the retry finds it done), a 500 on the completion.
    proxy.add_rule(
        Rule::new(Fault::s3_slow_down())
            .head_contains("partNumber=2")
            .first(2),
    );
    proxy.add_rule(
        Rule::new(Fault::ResetResponseAfter(0))
            .head_contains("partNumber=3")
            .first(1),
    );
    proxy.add_rule(
        Rule::new(Fault::internal_error())
            .method("POST")
            .head_contains("uploadId=")
            .first(1),
    );
    let applied = proxy.faults_applied();
    assert!(
        multipart
            .upload_with(&file, "parts.bin", &UploadOptions::new().force(true))
            .await
            .unwrap()
    );
    assert_eq!(proxy.faults_applied(), applied + 4, "every fault was met");
    proxy.clear_rules();
    assert_eq!(
        unfinished_uploads(&s3).await,
        0,
        "completed, nothing left open"
    );
    let parts_back = dir.path().join("parts-back.bin");
    multipart.download("parts.bin", &parts_back).await.unwrap();
    assert!(
        std::fs::read(&parts_back).unwrap() == content,
        "identical bytes"
    );
    // The download of the same 32 MiB through cut-off responses and SlowDowns (2 resets: a
    // range is fetched at most 3 times, so 3 resets on one range would be a persistent fault).
    proxy.add_rule(
        Rule::new(Fault::ResetResponseAfter(300_000))
            .method("GET")
            .first(2),
    );
    proxy.add_rule(Rule::new(Fault::s3_slow_down()).method("GET").first(2));
    let back = dir.path().join("back.bin");
    let applied = proxy.faults_applied();
    s3.download("ok.bin", &back).await.unwrap();
    assert!(
        proxy.faults_applied() >= applied + 4,
        "the download met its faults"
    );
    assert!(std::fs::read(&back).unwrap() == content, "identical bytes");
    proxy.clear_rules();

    // Persistent download faults: a typed error, no destination file, no cache entry.
    proxy.add_rule(Rule::new(Fault::ResetResponseAfter(1000)).method("GET"));
    let never = dir.path().join("never-down.bin");
    let err = s3.download_cached("ok.bin", &never).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(!never.exists());
    let cached: Vec<_> = std::fs::read_dir(cache.path())
        .map(|d| d.flatten().filter(|e| e.path().is_file()).collect())
        .unwrap_or_default();
    assert!(
        cached
            .iter()
            .all(|e| e.file_name().to_string_lossy().starts_with('.')),
        "no cache entry: {cached:?}"
    );
    proxy.clear_rules();

    // Persistent: a typed error, and the multipart upload is aborted, not left behind.
    proxy.add_rule(Rule::new(Fault::s3_slow_down()).head_contains("partNumber=4"));
    let err = multipart
        .upload_with(&file, "never.bin", &UploadOptions::new().force(true))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    proxy.clear_rules();
    assert_eq!(unfinished_uploads(&s3).await, 0, "aborted");
    assert!(!s3.object_exists("never.bin").await.unwrap());
}

#[tokio::test]
async fn emulator_killed_during_a_download_leaves_no_partial_file() {
    let root = emulator::workspace_root_from(&std::env::current_dir().unwrap()).unwrap();
    let python = emulator::find_or_install_moto(&root, &|l| eprintln!("{l}")).unwrap();
    let mut own = EmulatorProcess::start(&python, &StartOptions::default()).unwrap();
    let proxy = FaultProxy::start(own.endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let s3 = S3Access::new(&access, unique_name("kill")).unwrap();
    s3.create_bucket().await.unwrap();
    s3.write_bytes(data(6 * 1024 * 1024, 2), "big.bin")
        .await
        .unwrap();
    // Slow the GET down so the kill lands mid-transfer.
    proxy.add_rule(Rule::new(Fault::Delay(Duration::from_millis(1500))).method("GET"));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("big.bin");
    let download = tokio::spawn({
        let s3 = s3.clone();
        let dest = dest.clone();
        async move { s3.download("big.bin", &dest).await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    own.stop();
    let err = download.await.unwrap().unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(!dest.exists(), "no partial file");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file"
    );
}

async fn table(access: &awsimple::AwsAccess) -> DynamoDbAccess {
    let db = DynamoDbAccess::new(access, unique_name("rel")).unwrap();
    db.create_table(&CreateTable::partition("id", AttributeType::String))
        .await
        .unwrap();
    db
}

#[tokio::test]
async fn batch_writes_under_throttling_write_every_item() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let db = table(&access).await;
    proxy.add_rule(
        Rule::new(Fault::dynamodb_throttling())
            .head_contains("BatchWriteItem")
            .first(4),
    );
    let items: Vec<_> = (0..120)
        .map(|i| json!({"id": format!("i{i}"), "v": i}))
        .collect();
    db.put_items(&items).await.unwrap();
    assert_eq!(proxy.faults_applied(), 4);
    let all: Vec<Item> = db.scan_table().await.unwrap();
    assert_eq!(all.len(), 120, "every item written");

    // Throttled for good: an error, never a silent partial write reported as success.
    proxy.add_rule(Rule::new(Fault::dynamodb_throttling()).head_contains("BatchWriteItem"));
    let more: Vec<_> = (0..30).map(|i| json!({"id": format!("m{i}")})).collect();
    let err = db.put_items(&more).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn an_interrupted_scan_is_an_error_and_keeps_the_good_cache() {
    let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
    let access = access_at(&proxy.endpoint()).await;
    let cache = tempfile::tempdir().unwrap();
    let name = unique_name("scan");
    let db = DynamoDbAccess::builder(&access, &name)
        .cache_dir(cache.path())
        .clock_skew(Duration::ZERO)
        .mtime_window(Duration::ZERO)
        .build()
        .unwrap();
    db.create_table(&CreateTable::partition("id", AttributeType::String))
        .await
        .unwrap();
    let items: Vec<_> = (0..50).map(|i| json!({"id": format!("i{i}")})).collect();
    db.put_items(&items).await.unwrap();
    let paged = ScanOptions::new().page_size(10);
    let good = db.scan_table_cached_with::<Item>(&paged).await.unwrap();
    assert_eq!(good.items.len(), 50);

    // The table changes, then the re-scan fails on its third page.
    db.put_item(&json!({"id": "new"})).await.unwrap();
    proxy.add_rule(
        Rule::new(Fault::internal_error())
            .head_contains("DynamoDB_20120810.Scan")
            .after(2),
    );
    let err = db.scan_table_cached_with::<Item>(&paged).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let err = db.scan_table_with::<Item>(&paged).await.unwrap_err();
    assert!(
        err.is_transient(),
        "a plain scan fails too, never a shorter list: {err:?}"
    );
    proxy.clear_rules();

    // The cache was not overwritten by partial data: a new scan returns all 51.
    let after = db.scan_table_cached_with::<Item>(&paged).await.unwrap();
    assert_eq!(after.items.len(), 51);
}

#[tokio::test]
async fn two_writers_of_one_scan_cache_leave_a_readable_cache() {
    let access = emulator_access().await;
    let cache = tempfile::tempdir().unwrap();
    let name = unique_name("two");
    let make = || {
        DynamoDbAccess::builder(&access, &name)
            .cache_dir(cache.path())
            .clock_skew(Duration::ZERO)
            .mtime_window(Duration::ZERO)
            .build()
            .unwrap()
    };
    let db = make();
    db.create_table(&CreateTable::partition("id", AttributeType::String))
        .await
        .unwrap();
    let items: Vec<_> = (0..200)
        .map(|i| json!({"id": format!("i{i}"), "pad": "x".repeat(200)}))
        .collect();
    db.put_items(&items).await.unwrap();
    let (a, b) = (make(), make());
    let mut tasks = Vec::new();
    for handle in [a, b] {
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                let scan = handle
                    .scan_table_cached_with::<Item>(&ScanOptions::new().invalidate_cache(true))
                    .await
                    .unwrap();
                assert_eq!(scan.items.len(), 200);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let reader = make();
    let scan = reader.scan_table_cached::<Item>().await.unwrap();
    assert!(scan.cache_hit, "the cache left behind is readable");
    assert_eq!(scan.items.len(), 200);
}

#[tokio::test]
async fn a_missing_object_is_not_found_not_a_generic_error() {
    let access = emulator_access().await;
    let s3 = S3Access::new(&access, unique_name("nf")).unwrap();
    s3.create_bucket().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = s3
        .download("missing", dir.path().join("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
