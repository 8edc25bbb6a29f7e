//! Simple async Amazon DynamoDB: tables, typed and dynamic items, queries, batch writes, and
//! cached table scans shared with the Python `awsimple` package.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple).
//!
//! ```no_run
//! use awsimple_dynamodb::{AwsAccess, CreateTable, DynamoDbAccess, KeyType, Query};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Reading {
//!     device: String,
//!     ts: u64,
//!     celsius: f64,
//! }
//!
//! # async fn demo() -> awsimple_dynamodb::Result<()> {
//! let access = AwsAccess::new().await?;
//! let db = DynamoDbAccess::new(&access, "readings")?;
//! db.create_table(&CreateTable::partition("device", KeyType::String).sort("ts", KeyType::Number))
//!     .await?;
//! db.put_item(&Reading { device: "d1".into(), ts: 1, celsius: 21.5 }).await?;
//! let one: Option<Reading> = db.get_item(("d1", 1)).await?;
//! let all: Vec<Reading> = db.query(&Query::partition("d1")).await?;
//!
//! // Dynamic, Python-style items.
//! db.put_item(&serde_json::json!({"device": "d2", "ts": 7, "status": "ok"})).await?;
//! let item: Option<awsimple_dynamodb::Item> = db.get_item(("d2", 7)).await?;
//!
//! // A whole (slowly changing) table, from the local cache while nothing wrote to it.
//! let scan = db.scan_table_cached::<Reading>().await?;
//! println!("{} items, cache hit: {}", scan.items.len(), scan.cache_hit);
//! # let _ = (one, all, item); Ok(()) }
//! ```
//!
//! # Formats shared with Python
//! Every write records the table's modification time in the `__awsimple_metadata__` table
//! (partition `service` = `dynamodb`, sort `name` = table, `mtime_f`, `mtime_human`), exactly as
//! the Python package does, so caches of Rust and Python programs invalidate each other.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod access;
mod clock;
mod codec;
mod csv;
mod item;
mod metadata;
mod miv;
mod scan_cache;
mod table;

pub use access::{
    CachedScan, Direction, DynamoDbAccess, DynamoDbAccessBuilder, METADATA_TABLE, PrimaryKey,
    Query, ScanOptions,
};
pub use awsimple_core::{AwsAccess, Error, Result};
pub use item::{Item, Key, KeyType, KeyValue, MAX_ITEM_SIZE, RawItem, raw_item_to_json};
pub use metadata::{record_use, recorded_use};
pub use miv::{MIV_ATTRIBUTE, MivTable};
pub use table::{CreateTable, KeyAttribute, SECONDARY_INDEX_SUFFIX, SecondaryIndex, TableSchema};

/// The SDK's attribute value, for [`RawItem`].
pub use aws_sdk_dynamodb::types::AttributeValue;
