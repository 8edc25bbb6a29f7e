//! The metadata table shared with the Python package (PARITY.md, "Table modification times").
//!
//! Table `__awsimple_metadata__`, partition key `service` (S), sort key `name` (S); the item
//! of a DynamoDB table is (`dynamodb`, table name) with `mtime_f` (N, seconds since the epoch,
//! fractional) and `mtime_human` (S, ISO 8601 with offset). Created on first need.

use std::time::SystemTime;

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};
use tracing::{Instrument, debug, info_span};

use crate::access::{DynamoDbAccess, METADATA_SERVICE, METADATA_TABLE};
use crate::clock;
use crate::item::{KeyType, RawItem};
use crate::table::CreateTable;

const SERVICE: &str = "service";
const NAME: &str = "name";
const MTIME_F: &str = "mtime_f";
const MTIME_HUMAN: &str = "mtime_human";

fn metadata_handle(db: &DynamoDbAccess) -> Result<DynamoDbAccess> {
    DynamoDbAccess::builder(&db.inner.access, METADATA_TABLE).build()
}

fn key(service: &str, name: &str) -> RawItem {
    RawItem::from([
        (SERVICE.to_owned(), AttributeValue::S(service.to_owned())),
        (NAME.to_owned(), AttributeValue::S(name.to_owned())),
    ])
}

/// Writes the table's modification time `now`, creating the metadata table when missing.
pub(crate) async fn write_mtime(db: &DynamoDbAccess, now: SystemTime) -> Result<()> {
    write_record(db, METADATA_SERVICE, &db.inner.table, now).await
}

/// Writes the record (`service`, `name`) with time `now`, creating the metadata table when
/// missing.
async fn write_record(
    db: &DynamoDbAccess,
    service: &str,
    name: &str,
    now: SystemTime,
) -> Result<()> {
    let mut item = key(service, name);
    item.insert(
        MTIME_F.to_owned(),
        AttributeValue::N(clock::epoch_seconds_text(now)),
    );
    item.insert(
        MTIME_HUMAN.to_owned(),
        AttributeValue::S(clock::iso8601_utc(now)),
    );
    let put = || {
        let span = info_span!("dynamodb.put_item", table = METADATA_TABLE, service, name);
        db.inner
            .client
            .put_item()
            .table_name(METADATA_TABLE)
            .set_item(Some(item.clone()))
            .send()
            .instrument(span)
    };
    let resource = format!("DynamoDB table {METADATA_TABLE:?}");
    match put().await {
        Ok(_) => Ok(()),
        Err(err) => match Error::from_sdk(err, "PutItem", resource.clone()) {
            Error::NotFound { .. } => {
                debug!("creating {METADATA_TABLE}");
                let handle = metadata_handle(db)?;
                handle
                    .create_table_only(
                        &CreateTable::partition(SERVICE, KeyType::String)
                            .sort(NAME, KeyType::String),
                    )
                    .await?;
                handle.wait_active().await?;
                put()
                    .await
                    .map(|_| ())
                    .map_err(|e| Error::from_sdk(e, "PutItem", resource))
            }
            other => Err(other),
        },
    }
}

/// The table's recorded modification time; `None` when there is no record (or no metadata
/// table).
pub(crate) async fn read_mtime(db: &DynamoDbAccess) -> Result<Option<f64>> {
    read_record(db, METADATA_SERVICE, &db.inner.table).await
}

/// The time of the record (`service`, `name`); `None` when there is none.
async fn read_record(db: &DynamoDbAccess, service: &str, name: &str) -> Result<Option<f64>> {
    let span = info_span!("dynamodb.get_item", table = METADATA_TABLE, service, name);
    let result = db
        .inner
        .client
        .get_item()
        .table_name(METADATA_TABLE)
        .set_key(Some(key(service, name)))
        .consistent_read(true)
        .send()
        .instrument(span)
        .await;
    let out = match result {
        Ok(out) => out,
        Err(err) => {
            return match Error::from_sdk(
                err,
                "GetItem",
                format!("DynamoDB table {METADATA_TABLE:?}"),
            ) {
                Error::NotFound { .. } => Ok(None),
                other => Err(other),
            };
        }
    };
    Ok(out.item.and_then(|item| match item.get(MTIME_F) {
        Some(AttributeValue::N(n)) => n.parse::<f64>().ok(),
        _ => None,
    }))
}

/// Records that `name` of `service` was used or modified now, in the metadata table shared with
/// the Python package (for example `("sqs", queue name)` for pub/sub queues). Creates the
/// metadata table when missing.
pub async fn record_use(
    access: &awsimple_core::AwsAccess,
    service: &str,
    name: &str,
) -> Result<()> {
    let db = DynamoDbAccess::builder(access, METADATA_TABLE).build()?;
    write_record(&db, service, name, SystemTime::now()).await
}

/// When `name` of `service` was last recorded (`mtime_f`, seconds since the epoch), if ever.
pub async fn recorded_use(
    access: &awsimple_core::AwsAccess,
    service: &str,
    name: &str,
) -> Result<Option<f64>> {
    let db = DynamoDbAccess::builder(access, METADATA_TABLE).build()?;
    read_record(&db, service, name).await
}
