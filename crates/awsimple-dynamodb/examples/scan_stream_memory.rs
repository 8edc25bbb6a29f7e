//! Peak memory of a large scan read through `scan_stream` (items handled one at a time) against
//! `scan_table` (every item in one `Vec`), in one process, against an emulator.
//!
//! `cargo run --release -p awsimple-dynamodb --example scan_stream_memory -- 100000`
//! (without `AWS_ENDPOINT_URL`, a moto server is started as the tests do). The stream is
//! measured first, so the `Vec` scan's peak cannot hide it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use awsimple_dynamodb::{AttributeType, CreateTable, DynamoDbAccess, Item};
use awsimple_testkit::bench::{peak_rss, reset_peak_rss};
use awsimple_testkit::{access_at, emulator_endpoint, unique_name};
use futures::StreamExt;
use serde_json::json;

const MIB: f64 = 1024.0 * 1024.0;

#[tokio::main]
async fn main() -> awsimple_dynamodb::Result<()> {
    let items: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let endpoint = match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => tokio::task::spawn_blocking(emulator_endpoint)
            .await
            .expect("emulator"),
    };
    let access = access_at(&endpoint).await;
    let db = DynamoDbAccess::new(&access, unique_name("stream-mem"))?;
    db.create_table(&CreateTable::partition("id", AttributeType::String))
        .await?;
    let filled = Instant::now();
    let batch: Vec<_> = (0..items)
        .map(|i| json!({"id": format!("item-{i:07}"), "n": i, "pad": "x".repeat(200)}))
        .collect();
    for chunk in batch.chunks(5_000) {
        db.put_items(chunk).await?;
    }
    drop(batch);
    println!(
        "{items} items written in {:.1} s",
        filled.elapsed().as_secs_f64()
    );

    reset_peak_rss();
    let base = peak_rss();
    let started = Instant::now();
    let mut stream = db.scan_stream::<Item>();
    let mut seen = 0_usize;
    while let Some(item) = stream.next().await {
        let _ = item?;
        seen += 1;
    }
    let stream_peak = peak_rss();
    println!(
        "scan_stream: {seen} items in {:.1} s, peak RSS {:.1} MiB ({:+.1} MiB over the start)",
        started.elapsed().as_secs_f64(),
        stream_peak as f64 / MIB,
        (stream_peak as f64 - base as f64) / MIB
    );

    reset_peak_rss();
    let base = peak_rss();
    let started = Instant::now();
    let all: Vec<Item> = db.scan_table().await?;
    let vec_peak = peak_rss();
    println!(
        "scan_table:  {} items in {:.1} s, peak RSS {:.1} MiB ({:+.1} MiB over the start)",
        all.len(),
        started.elapsed().as_secs_f64(),
        vec_peak as f64 / MIB,
        (vec_peak as f64 - base as f64) / MIB
    );
    drop(all);
    db.delete_table().await?;
    Ok(())
}
