#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use awsimple_core::AwsAccess;
use awsimple_dynamodb::{AttributeType, CreateTable, DynamoDbAccess};
use awsimple_testkit::{emulator_access, unique_name};

pub async fn access() -> AwsAccess {
    emulator_access().await
}

/// A handle on a fresh table with a private cache folder (kept alive by the returned guard).
pub async fn table(access: &AwsAccess, spec: CreateTable) -> (DynamoDbAccess, tempfile::TempDir) {
    table_with_window(access, spec, awsimple_dynamodb::DEFAULT_MTIME_WINDOW).await
}

/// [`table`] through a handle with mtime window `window` (zero: each write records its own
/// time, so that a zero-skew reader's cache written after it is valid at once).
pub async fn table_with_window(
    access: &AwsAccess,
    spec: CreateTable,
    window: Duration,
) -> (DynamoDbAccess, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = DynamoDbAccess::builder(access, unique_name("ddb"))
        .cache_dir(dir.path())
        .mtime_window(window)
        .build()
        .unwrap();
    assert!(db.create_table(&spec).await.unwrap());
    (db, dir)
}

/// A second handle on the same table and cache folder, with zero clock skew (and window) so
/// that caches written after a write are valid at once.
pub fn reader(access: &AwsAccess, db: &DynamoDbAccess, dir: &tempfile::TempDir) -> DynamoDbAccess {
    DynamoDbAccess::builder(access, db.table_name())
        .cache_dir(dir.path())
        .clock_skew(Duration::ZERO)
        .mtime_window(Duration::ZERO)
        .build()
        .unwrap()
}

pub fn string_key(name: &str) -> CreateTable {
    CreateTable::partition(name, AttributeType::String)
}

pub fn requests(access: &AwsAccess, operation: &str) -> u64 {
    access.request_counter().operation("DynamoDB", operation)
}
