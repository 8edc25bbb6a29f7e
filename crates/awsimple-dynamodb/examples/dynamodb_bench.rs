//! Wall time and request counts of common DynamoDB paths, against an emulator.
//!
//! `AWS_ENDPOINT_URL=http://127.0.0.1:5000 cargo run --release -p awsimple-dynamodb --example dynamodb_bench`
//! (without `AWS_ENDPOINT_URL`, a moto server is started as the tests do). `BENCH_CACHED_ITEMS`
//! sets the size of the cached-scan case (default 100000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use awsimple_core::AwsAccess;
use awsimple_dynamodb::{AttributeType, CreateTable, DynamoDbAccess, Item, ScanOptions};
use awsimple_testkit::{access_at, emulator_endpoint, unique_name};
use serde_json::json;

fn report(access: &AwsAccess, what: &str, start: Instant) {
    let elapsed = start.elapsed();
    let counter = access.request_counter();
    let mut ops: Vec<String> = counter
        .snapshot()
        .into_iter()
        .map(|((_, op), n)| format!("{op} {n}"))
        .collect();
    ops.sort();
    println!(
        "{what:<44} {:>9.1} ms  {:>6} requests  ({})",
        elapsed.as_secs_f64() * 1000.0,
        counter.total(),
        ops.join(", ")
    );
    counter.reset();
}

#[tokio::main]
async fn main() -> awsimple_dynamodb::Result<()> {
    let endpoint = match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => tokio::task::spawn_blocking(emulator_endpoint)
            .await
            .expect("emulator"),
    };
    let cached_items: usize = std::env::var("BENCH_CACHED_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let access = access_at(&endpoint).await;
    let cache_dir = tempfile::tempdir().expect("temp dir");
    let db = DynamoDbAccess::builder(&access, unique_name("bench"))
        .cache_dir(cache_dir.path())
        .clock_skew(Duration::ZERO)
        .mtime_window(Duration::ZERO)
        .build()?;
    db.create_table(&CreateTable::partition("id", AttributeType::String))
        .await?;
    db.schema().await?;
    access.request_counter().reset();
    println!("endpoint {endpoint}");

    let windowed = DynamoDbAccess::new(&access, db.table_name())?;
    windowed.schema().await?;
    access.request_counter().reset();
    let start = Instant::now();
    for i in 0..200 {
        windowed
            .put_item(&json!({"id": format!("p{i}"), "v": i}))
            .await?;
    }
    report(&access, "200 put_item (default 10 s mtime window)", start);

    let start = Instant::now();
    for i in 0..200 {
        db.put_item(&json!({"id": format!("q{i}"), "v": i})).await?;
    }
    report(&access, "200 put_item (mtime after every write)", start);

    let start = Instant::now();
    for i in 0..200 {
        let item: Option<Item> = db.get_item(format!("p{i}")).await?;
        assert!(item.is_some());
    }
    report(&access, "200 get_item", start);

    db.delete_all_items().await?;
    access.request_counter().reset();
    let items: Vec<_> = (0..2000)
        .map(|i| json!({"id": format!("b{i:05}"), "v": i}))
        .collect();
    let start = Instant::now();
    db.put_items(&items).await?;
    report(&access, "batch put_items of 2000", start);

    let start = Instant::now();
    let serial: Vec<Item> = db.scan_table().await?;
    report(&access, "scan of 2000, serial", start);
    assert_eq!(serial.len(), 2000);
    let start = Instant::now();
    let parallel: Vec<Item> = db.scan_table_with(&ScanOptions::new().segments(4)).await?;
    report(&access, "scan of 2000, 4 parallel segments", start);
    assert_eq!(parallel.len(), 2000);

    // The cached-scan case: fill the table, scan once (miss, writes the cache), then time hits.
    let more: Vec<_> = (2000..cached_items)
        .map(|i| json!({"id": format!("b{i:06}"), "v": i, "s": "abc"}))
        .collect();
    let start = Instant::now();
    db.put_items(&more).await?;
    report(
        &access,
        &format!("batch put_items of {}", more.len()),
        start,
    );
    // The windowed writes above recorded the end of their 10 s window: a zero-skew cache is
    // valid only from then on.
    if let Some(mtime) = db.recorded_mtime().await? {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        if mtime >= now {
            tokio::time::sleep(Duration::from_secs_f64(mtime - now + 0.01)).await;
        }
    }
    let start = Instant::now();
    let miss = db.scan_table_cached::<Item>().await?;
    report(
        &access,
        &format!("cached scan miss of {} (scan + write)", miss.items.len()),
        start,
    );
    assert!(!miss.cache_hit);
    let start = Instant::now();
    let hit = db.scan_table_cached::<Item>().await?;
    report(
        &access,
        &format!("cached scan hit of {} (as Item)", hit.items.len()),
        start,
    );
    assert!(hit.cache_hit);

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Row {
        id: String,
        v: u64,
    }
    let start = Instant::now();
    let typed = db.scan_table_cached::<Row>().await?;
    report(
        &access,
        &format!("cached scan hit of {} (as struct)", typed.items.len()),
        start,
    );
    assert!(typed.cache_hit);

    db.delete_table().await?;
    Ok(())
}
