//! Cached scans, the shared metadata table, MIV tables and CSV dumps against the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsimple_dynamodb::{
    AttributeType, CreateTable, DynamoDbAccess, Item, METADATA_TABLE, MivTable, ScanOptions,
};
use common::{access, reader, requests, string_key, table, table_with_window};
use serde_json::json;

/// The cached scans: `awsimple-cache` slots, in `<cache dir>/slots` (temporary files excluded).
fn cache_files(dir: &tempfile::TempDir) -> Vec<std::path::PathBuf> {
    let Ok(listing) = std::fs::read_dir(dir.path().join("slots")) else {
        return Vec::new();
    };
    listing
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

#[tokio::test]
async fn cached_scan_hits_and_is_invalidated_by_another_handles_write() {
    let access = access().await;
    let (writer, dir) = table_with_window(&access, string_key("id"), Duration::ZERO).await;
    let items: Vec<_> = (0..40)
        .map(|i| json!({"id": format!("i{i}"), "v": i}))
        .collect();
    writer.put_items(&items).await.unwrap();

    // A reader with zero skew: a cache written after the last write is valid at once.
    let db = reader(&access, &writer, &dir);
    let first = db.scan_table_cached::<Item>().await.unwrap();
    assert!(!first.cache_hit);
    assert_eq!(first.items.len(), 40);
    assert_eq!(cache_files(&dir).len(), 1, "one cache file");

    let scans = requests(&access, "Scan");
    let second = db.scan_table_cached::<Item>().await.unwrap();
    assert!(second.cache_hit);
    assert_eq!(requests(&access, "Scan"), scans, "a hit sends no Scan");
    let mut a: Vec<_> = first
        .items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let mut b: Vec<_> = second
        .items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);

    // Map form from the cache.
    let map = db
        .scan_table_cached_map_with::<Item>(&ScanOptions::new())
        .await
        .unwrap();
    assert!(map.cache_hit);
    assert_eq!(map.items.len(), 40);

    // A write through another handle records a new mtime: the reader's cache is stale.
    let other = DynamoDbAccess::builder(&access, writer.table_name())
        .mtime_window(Duration::ZERO)
        .build()
        .unwrap();
    other
        .put_item(&json!({"id": "new", "v": 99}))
        .await
        .unwrap();
    let third = db.scan_table_cached::<Item>().await.unwrap();
    assert!(!third.cache_hit);
    assert_eq!(third.items.len(), 41);
    let fourth = db.scan_table_cached::<Item>().await.unwrap();
    assert!(fourth.cache_hit);
    assert_eq!(fourth.items.len(), 41);

    // The invalidate flag forces a scan.
    let forced = db
        .scan_table_cached_with::<Item>(&ScanOptions::new().invalidate_cache(true))
        .await
        .unwrap();
    assert!(!forced.cache_hit);
    writer.delete_table().await.unwrap();
}

#[tokio::test]
async fn default_skew_means_a_fresh_write_is_never_trusted() {
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    db.put_item(&json!({"id": "a"})).await.unwrap();
    // Default clock skew (100 s): the table changed less than 100 s before the scan, so every
    // cached scan is a miss (as in Python).
    assert!(!db.scan_table_cached::<Item>().await.unwrap().cache_hit);
    assert!(!db.scan_table_cached::<Item>().await.unwrap().cache_hit);
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn cache_life_expiry_and_corrupt_files_are_misses() {
    let access = access().await;
    let (writer, dir) = table_with_window(&access, string_key("id"), Duration::ZERO).await;
    writer.put_item(&json!({"id": "a", "v": 1})).await.unwrap();

    let expired = DynamoDbAccess::builder(&access, writer.table_name())
        .cache_dir(dir.path())
        .clock_skew(Duration::ZERO)
        .mtime_window(Duration::ZERO)
        .cache_life(Duration::ZERO)
        .build()
        .unwrap();
    assert!(!expired.scan_table_cached::<Item>().await.unwrap().cache_hit);
    assert!(
        !expired.scan_table_cached::<Item>().await.unwrap().cache_hit,
        "older than a zero life"
    );

    let db = reader(&access, &writer, &dir);
    assert!(
        db.scan_table_cached::<Item>().await.unwrap().cache_hit,
        "same file, no life limit"
    );

    // Corrupt the file: a miss that rescans and rewrites a good file.
    let files = cache_files(&dir);
    assert_eq!(files.len(), 1);
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&files[0], &bytes).unwrap();
    let after = db.scan_table_cached::<Item>().await.unwrap();
    assert!(!after.cache_hit);
    assert_eq!(after.items.len(), 1);
    assert!(
        db.scan_table_cached::<Item>().await.unwrap().cache_hit,
        "rewritten"
    );

    std::fs::write(&files[0], b"not a cache file").unwrap();
    assert!(!db.scan_table_cached::<Item>().await.unwrap().cache_hit);
    std::fs::write(&files[0], b"").unwrap();
    let truncated = db.scan_table_cached::<Item>().await.unwrap();
    assert!(!truncated.cache_hit);
    assert_eq!(truncated.items.len(), 1);
    writer.delete_table().await.unwrap();
}

/// Rewrites the stamp inside the cached scan of `dir` (the scan's start, µs since the epoch,
/// after the 20-byte magic) and its SHA-512, as a writer whose clock is `ahead` of ours would.
fn restamp_cached_scan(dir: &tempfile::TempDir, stamp: SystemTime) {
    let files = cache_files(dir);
    assert_eq!(files.len(), 1);
    let slot = files[0].file_name().unwrap().to_string_lossy().into_owned();
    let cache = awsimple_cache::DiskCache::builder("dynamodb")
        .dir(dir.path())
        .build()
        .unwrap();
    let mut bytes = cache.read_slot(&slot).unwrap().bytes;
    let micros = stamp.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
    bytes[20..28].copy_from_slice(&micros.to_le_bytes());
    let body = bytes.len() - 64;
    let digest = awsimple_core::sha512(&bytes[..body]);
    bytes[body..].copy_from_slice(digest.as_bytes());
    assert!(cache.write_slot(&slot, &bytes));
}

#[tokio::test]
async fn cached_scan_stamped_in_the_future_is_stale() {
    let access = access().await;
    let (writer, dir) = table_with_window(&access, string_key("id"), Duration::ZERO).await;
    writer.put_item(&json!({"id": "a", "v": 1})).await.unwrap();
    for life in [None, Some(Duration::from_secs(3600))] {
        let mut builder = DynamoDbAccess::builder(&access, writer.table_name())
            .cache_dir(dir.path())
            .clock_skew(Duration::ZERO)
            .mtime_window(Duration::ZERO);
        if let Some(life) = life {
            builder = builder.cache_life(life);
        }
        let db = builder.build().unwrap();
        db.scan_table_cached_with::<Item>(&ScanOptions::new().invalidate_cache(true))
            .await
            .unwrap();
        assert!(db.scan_table_cached::<Item>().await.unwrap().cache_hit);

        // Slightly ahead (within the tolerance): still a hit.
        restamp_cached_scan(&dir, SystemTime::now() + Duration::from_secs(20));
        assert!(
            db.scan_table_cached::<Item>().await.unwrap().cache_hit,
            "within FUTURE_TOLERANCE ({life:?})"
        );

        // Far ahead (the clock was stepped back, or the file came from a clock far ahead): its
        // age is unknown, so it is stale and the table is scanned again.
        restamp_cached_scan(
            &dir,
            SystemTime::now() + awsimple_cache::FUTURE_TOLERANCE + Duration::from_secs(3600),
        );
        let scans = requests(&access, "Scan");
        let far = db.scan_table_cached::<Item>().await.unwrap();
        assert!(
            !far.cache_hit,
            "a stamp far in the future is stale ({life:?})"
        );
        assert_eq!(far.items.len(), 1);
        assert_eq!(
            requests(&access, "Scan"),
            scans + 1,
            "the table was scanned"
        );
        assert!(
            db.scan_table_cached::<Item>().await.unwrap().cache_hit,
            "rewritten with a true stamp"
        );
    }
    writer.delete_table().await.unwrap();
}

#[tokio::test]
async fn failed_scan_returns_no_data_and_writes_no_cache() {
    let access = access().await;
    let dir = tempfile::tempdir().unwrap();
    let db = DynamoDbAccess::builder(&access, awsimple_testkit::unique_name("gone"))
        .cache_dir(dir.path())
        .build()
        .unwrap();
    assert!(
        db.scan_table_cached::<Item>()
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(cache_files(&dir).is_empty());
}

#[tokio::test]
async fn metadata_record_is_the_shared_format() {
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let fresh = DynamoDbAccess::new(&access, db.table_name()).unwrap();
    fresh.put_item(&json!({"id": "x"})).await.unwrap();

    let meta = DynamoDbAccess::new(&access, METADATA_TABLE).unwrap();
    let schema = meta.schema().await.unwrap();
    assert_eq!(schema.partition.name, "service");
    assert_eq!(schema.partition.attribute_type, AttributeType::String);
    assert_eq!(schema.sort.as_ref().unwrap().name, "name");
    let record: Item = meta
        .get_item(("dynamodb", db.table_name()))
        .await
        .unwrap()
        .expect("recorded");
    let mtime = record["mtime_f"].as_f64().unwrap();
    assert!(mtime >= before - 1.0 && mtime < before + 60.0, "{mtime}");
    let human = record["mtime_human"].as_str().unwrap();
    assert!(human.ends_with("+00:00") && human.contains('T'), "{human}");
    assert_eq!(fresh.recorded_mtime().await.unwrap(), Some(mtime));

    // A record written the way Python writes it (Decimal of time.time(), local offset),
    // in the future: caches written before it are stale.
    let future = before + 1000.0;
    meta.put_item(&json!({
        "service": "dynamodb",
        "name": db.table_name(),
        "mtime_f": serde_json::Number::from_f64(future).unwrap(),
        "mtime_human": "2100-01-01T00:00:00.000000-08:00",
    }))
    .await
    .unwrap();
    let zero = DynamoDbAccess::builder(&access, db.table_name())
        .clock_skew(Duration::ZERO)
        .mtime_window(Duration::ZERO)
        .cache_dir(_dir.path())
        .build()
        .unwrap();
    assert!(!zero.scan_table_cached::<Item>().await.unwrap().cache_hit);
    assert!(
        !zero.scan_table_cached::<Item>().await.unwrap().cache_hit,
        "the table changed 'later'"
    );
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn one_metadata_write_per_burst_and_per_batch() {
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    let fresh = DynamoDbAccess::new(&access, db.table_name()).unwrap();
    fresh.schema().await.unwrap();
    let before = requests(&access, "PutItem");
    for i in 0..10 {
        fresh
            .put_item(&json!({"id": format!("a{i}")}))
            .await
            .unwrap();
    }
    fresh.upsert_item("a1", &json!({"x": 1})).await.unwrap();
    fresh.delete_item("a2").await.unwrap();
    assert_eq!(
        requests(&access, "PutItem") - before,
        10 + 1,
        "ten puts, one mtime record"
    );

    // Window zero: every write records.
    let every = DynamoDbAccess::builder(&access, db.table_name())
        .mtime_window(Duration::ZERO)
        .build()
        .unwrap();
    every.schema().await.unwrap();
    let before = requests(&access, "PutItem");
    for i in 0..3 {
        every
            .put_item(&json!({"id": format!("b{i}")}))
            .await
            .unwrap();
    }
    assert_eq!(requests(&access, "PutItem") - before, 6);
    // One record per batch call.
    let items: Vec<_> = (0..60).map(|i| json!({"id": format!("c{i}")})).collect();
    let before = requests(&access, "PutItem");
    every.put_items(&items).await.unwrap();
    assert_eq!(requests(&access, "PutItem") - before, 1);
    assert!(
        DynamoDbAccess::builder(&access, db.table_name())
            .clock_skew(Duration::from_secs(1))
            .mtime_window(Duration::from_secs(2))
            .build()
            .is_err()
    );
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn the_recorded_mtime_covers_the_writes_skipped_in_its_window() {
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    let now_secs = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let writer = DynamoDbAccess::builder(&access, db.table_name())
        .mtime_window(Duration::from_secs(60))
        .build()
        .unwrap();
    writer.schema().await.unwrap();
    let before = requests(&access, "PutItem");
    writer.put_item(&json!({"id": "a"})).await.unwrap();
    writer.put_item(&json!({"id": "b"})).await.unwrap();
    let last_write = now_secs();
    assert_eq!(
        requests(&access, "PutItem") - before,
        3,
        "two puts, one mtime record (the second write skips its own)"
    );
    // The record is not before the skipped write: a reader that stamps its cache when its scan
    // ends (Python) and missed that write cannot find `mtime + skew <= stamp` any sooner than
    // had the write recorded its own time.
    let mtime = writer.recorded_mtime().await.unwrap().unwrap();
    assert!(mtime >= last_write, "{mtime} < {last_write}");

    // A later record of an earlier time (another handle, no window) does not move it back.
    let other = DynamoDbAccess::builder(&access, db.table_name())
        .mtime_window(Duration::ZERO)
        .build()
        .unwrap();
    other.put_item(&json!({"id": "c"})).await.unwrap();
    assert_eq!(other.recorded_mtime().await.unwrap(), Some(mtime));
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn miv_tables_increase_monotonically() {
    let access = access().await;
    let dir = tempfile::tempdir().unwrap();
    let db = DynamoDbAccess::builder(&access, awsimple_testkit::unique_name("miv"))
        .cache_dir(dir.path())
        .build()
        .unwrap();
    let miv = MivTable::new(db.clone());
    assert!(
        miv.create_table("device", AttributeType::String)
            .await
            .unwrap()
    );
    let a = miv
        .put_item(&json!({"device": "d1", "n": 1}))
        .await
        .unwrap();
    let b = miv
        .put_item(&json!({"device": "d1", "n": 2}))
        .await
        .unwrap();
    assert!(b > a);
    let senior: Item = miv.get_most_senior_item("d1").await.unwrap().unwrap();
    assert_eq!(senior["n"], 2);
    assert_eq!(senior["mivui"], json!(b));

    // A writer whose clock was ahead: the next value is that + 1, not the (lower) local time.
    let ahead = b + 3_600_000_000;
    db.put_item(&json!({"device": "d1", "mivui": ahead, "n": 3}))
        .await
        .unwrap();
    let c = miv
        .put_item(&json!({"device": "d1", "n": 4}))
        .await
        .unwrap();
    assert_eq!(c, ahead + 1);
    let senior: Item = miv.get_most_senior_item("d1").await.unwrap().unwrap();
    assert_eq!(senior["n"], 4);
    assert!(
        miv.get_most_senior_item::<Item>("d2")
            .await
            .unwrap()
            .is_none()
    );
    miv.delete_item("d1", a).await.unwrap();
    assert_eq!(db.scan_table::<Item>().await.unwrap().len(), 3);

    // Python's time_us argument, get_time_us() and miv_us_to_timestamp().
    let before = awsimple_dynamodb::get_time_us();
    let chosen = miv
        .put_item_at(&json!({"device": "d3", "n": 5}), 1_700_000_000_000_000)
        .await
        .unwrap();
    assert_eq!(
        chosen, 1_700_000_000_000_000,
        "an empty partition takes the time given"
    );
    let behind = miv
        .put_item_at(&json!({"device": "d3", "n": 6}), 1_600_000_000_000_000)
        .await
        .unwrap();
    assert_eq!(
        behind,
        chosen + 1,
        "a time behind the senior value is moved past it"
    );
    assert!(awsimple_dynamodb::get_time_us() >= before);
    let when = awsimple_dynamodb::miv_us_to_timestamp(chosen);
    assert_eq!(
        when.duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64(),
        1_700_000_000.0
    );
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn binary_attributes_are_stored_as_b() {
    use awsimple_dynamodb::{AttributeValue, Binary};
    let access = common::access().await;
    let db = DynamoDbAccess::new(&access, awsimple_testkit::unique_name("bin")).unwrap();
    db.create_table(&CreateTable::partition("id", AttributeType::String))
        .await
        .unwrap();
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Doc {
        id: String,
        data: Binary,
    }
    let doc = Doc {
        id: "x".into(),
        data: Binary::from(vec![0_u8, 1, 255]),
    };
    db.put_item(&doc).await.unwrap();
    let back: Doc = db.get_item("x").await.unwrap().unwrap();
    assert_eq!(back, doc);
    // Stored as a B attribute, not a list of numbers.
    let raw = db
        .client()
        .get_item()
        .table_name(db.table_name())
        .key("id", AttributeValue::S("x".into()))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(raw.item().unwrap().get("data"), Some(AttributeValue::B(_))),
        "{raw:?}"
    );
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn dump_to_csv_has_scalar_columns_sorted_by_key() {
    let access = access().await;
    let (db, dir) = table(
        &access,
        CreateTable::partition("p", AttributeType::String).sort("n", AttributeType::Number),
    )
    .await;
    db.put_items(&[
        json!({"p": "b", "n": 2, "name": "x,y", "list": [1, 2]}),
        json!({"p": "a", "n": 10, "ok": true}),
        json!({"p": "a", "n": 9, "name": "say \"hi\""}),
    ])
    .await
    .unwrap();
    let path = dir.path().join("out").join("table.csv");
    assert_eq!(db.dump_to_csv(&path).await.unwrap(), 3);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "n,name,ok,p");
    assert_eq!(lines[1], "9,\"say \"\"hi\"\"\",,a");
    assert_eq!(lines[2], "10,,True,a");
    assert_eq!(lines[3], "2,\"x,y\",,b");
    assert_eq!(lines.len(), 4);
    db.delete_table().await.unwrap();
}
