//! Simple async Amazon DynamoDB: tables, typed and dynamic items, queries, batch writes, and
//! cached table scans shared with the Python `awsimple` package.
//!
//! Part of [awsimple](https://crates.io/crates/awsimple).
//!
//! ```no_run
//! use awsimple_dynamodb::{AwsAccess, CreateTable, DynamoDbAccess, AttributeType, Query};
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
//! db.create_table(&CreateTable::partition("device", AttributeType::String).sort("ts", AttributeType::Number))
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
//! # Beyond Python's API
//! - [`Update`] and [`Condition`]: typed update and condition expressions
//!   ([`update_item`](DynamoDbAccess::update_item),
//!   [`put_item_with`](DynamoDbAccess::put_item_with),
//!   [`delete_item_with`](DynamoDbAccess::delete_item_with)).
//! - [`TransactWrite`] and [`TransactGet`]: all-or-nothing writes and consistent reads across
//!   items and tables ([`transact_write`](DynamoDbAccess::transact_write),
//!   [`transact_get`](DynamoDbAccess::transact_get)).
//! - Optimistic locking: a [version attribute](DynamoDbAccessBuilder::version_attribute) per
//!   handle and [`update_item_retrying`](DynamoDbAccess::update_item_retrying).
//! - Time to live: [`enable_ttl`](DynamoDbAccess::enable_ttl), expiry times
//!   ([`PutItemOptions::expires_at`], [`Update::expires_at`]) and
//!   [`hide_expired`](DynamoDbAccessBuilder::hide_expired) reads.
//! - Streams of pages: [`query_stream`](DynamoDbAccess::query_stream) and
//!   [`scan_stream`](DynamoDbAccess::scan_stream) hold one page in memory at a time.
//!
//! # Formats shared with Python
//! Every write records the table's modification time in the `__awsimple_metadata__` table
//! (partition `service` = `dynamodb`, sort `name` = table, `mtime_f`, `mtime_human`), exactly as
//! the Python package does, so caches of Rust and Python programs invalidate each other.
#![cfg_attr(docsrs, feature(doc_cfg))]

// One file per concern; the operation files add `impl DynamoDbAccess` blocks. A file uses
// (imports, or calls methods defined in) only files of a lower layer, so there are no circles:
//   0. exact: exact numbers and items, decimal text
//   1. clock, item (exact)
//   1b. validate: every input check against DynamoDB's limits (item, exact); op: the span of one
//       public operation
//   2. codec (clock, item), schema: spec types and key checks (item, validate),
//      expr: update and condition expressions (clock, item, validate)
//   3. version: optimistic-locking rules (expr, item); access: the handle, its shared state,
//      the schema lookup, reading and converting items (item, schema)
//   4. builder (access, schema); provision: create a table, wait for it (access, schema)
//   5. metadata: modification times shared with Python (access, builder, provision, clock)
//   6. table (access, provision, metadata), items: put/get/delete (access, metadata, schema,
//      expr, version), query (access, schema), scan (access), ttl (access)
//   7. update (access, metadata, expr, items, version), batch (access, metadata, scan),
//      scan_cache (access, metadata, scan, codec, clock), csv (access, scan),
//      miv (access, items, query, clock)
//   8. locking: update_item_retrying (access, update, version),
//      cancellation (the typed reasons of a cancelled transaction)
//      transaction (access, cancellation, metadata, expr, items, update, version)
mod access;
mod batch;
mod binary;
mod builder;
mod cancellation;
mod clock;
mod codec;
mod csv;
mod exact;
mod expr;
mod item;
mod items;
mod locking;
mod metadata;
mod miv;
mod op;
mod provision;
mod query;
mod scan;
mod scan_cache;
mod schema;
mod table;
mod transaction;
mod ttl;
mod update;
mod validate;
mod version;

pub use access::DynamoDbAccess;
pub use awsimple_core::{AwsAccess, Error, Result};
pub use binary::Binary;
pub use builder::{DEFAULT_CLOCK_SKEW, DEFAULT_MTIME_WINDOW, DynamoDbAccessBuilder};
pub use cancellation::{CanceledEntry, TransactionCanceled};
pub use exact::{ExactItem, ExactValue, Number};
pub use expr::{Condition, Update};
pub use item::{AttributeType, Item, Key, KeyValue, RawItem, raw_item_to_json};
pub use items::{DeleteItemOptions, PutItemOptions};
pub use metadata::{METADATA_TABLE, record_use, recorded_use};
pub use miv::{MIV_ATTRIBUTE, MivTable, get_time_us, miv_us_to_timestamp};
pub use query::{Direction, Query};
pub use scan::ScanOptions;
pub use scan_cache::CachedScan;
pub use schema::{CreateTable, KeyAttribute, SECONDARY_INDEX_SUFFIX, SecondaryIndex, TableSchema};
pub use table::TableNamesOptions;
pub use transaction::{MAX_TRANSACTION_ITEMS, TransactGet, TransactWrite};
pub use ttl::TtlStatus;
pub use validate::{
    MAX_ITEM_SIZE, MAX_NESTING_DEPTH, MAX_NUMBER_DIGITS, MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
};

/// The SDK's attribute value, for [`RawItem`].
pub use aws_sdk_dynamodb::types::AttributeValue;

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
