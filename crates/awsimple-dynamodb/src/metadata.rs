//! The metadata table shared with the Python package (`docs/python-compatibility.md`,
//! "DynamoDB modification times").
//!
//! Table `__awsimple_metadata__`, partition key `service` (S), sort key `name` (S); the item
//! of a DynamoDB table is (`dynamodb`, table name) with `mtime_f` (N, seconds since the epoch,
//! fractional) and `mtime_human` (S, ISO 8601 with offset). Created on first need.

use std::time::{Instant, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{AwsAccess, Error, Found, Result};
use tracing::debug;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::clock;
use crate::item::{AttributeType, RawItem};
use crate::schema::CreateTable;

/// The table shared with the Python package where table modification times are recorded.
pub const METADATA_TABLE: &str = "__awsimple_metadata__";

/// The `service` value of DynamoDB tables in [`METADATA_TABLE`].
const METADATA_SERVICE: &str = "dynamodb";

const SERVICE: &str = "service";
const NAME: &str = "name";
const MTIME_F: &str = "mtime_f";
const MTIME_HUMAN: &str = "mtime_human";

fn metadata_resource() -> String {
    format!("DynamoDB table {METADATA_TABLE:?}")
}

fn key(service: &str, name: &str) -> RawItem {
    RawItem::from([
        (SERVICE.to_owned(), AttributeValue::S(service.to_owned())),
        (NAME.to_owned(), AttributeValue::S(name.to_owned())),
    ])
}

impl DynamoDbAccess {
    /// Records the table's modification time in [`METADATA_TABLE`] (now plus the mtime window,
    /// which covers the writes that skip their record) unless this handle recorded one less
    /// than the mtime window ago (see
    /// [`DynamoDbAccessBuilder::mtime_window`](crate::DynamoDbAccessBuilder::mtime_window)).
    pub(crate) async fn record_mtime(&self, force: bool) -> Result<()> {
        if self.inner.table == METADATA_TABLE {
            return Ok(());
        }
        let window = self.inner.mtime_window;
        let recent = self
            .inner
            .last_mtime_write
            .lock()
            .ok()
            .and_then(|last| *last)
            .is_some_and(|at| at.elapsed() < window);
        if recent && !force {
            debug!(table = %self.inner.table, "mtime recorded within the window: skipped");
            return Ok(());
        }
        // The record covers the whole window: the writes it lets skip their own record happen
        // before `now + window`, so readers see a modification time not before any of them,
        // whether they stamp their cache when the scan starts (Rust) or ends (Python).
        let at = Instant::now();
        let covered = SystemTime::now() + window;
        write_record(self, METADATA_SERVICE, &self.inner.table, covered).await?;
        if let Ok(mut last) = self.inner.last_mtime_write.lock() {
            *last = Some(at);
        }
        Ok(())
    }

    /// The table's modification time as recorded in [`METADATA_TABLE`] (by this library in
    /// Rust or Python), in seconds since the epoch; `None` when none is recorded (or there is
    /// no metadata table).
    pub async fn recorded_mtime(&self) -> Result<Option<f64>> {
        read_record(self, METADATA_SERVICE, &self.inner.table).await
    }
}

/// Writes the record (`service`, `name`) with time `now` through `db`'s client, unless a later
/// time is recorded; creates the metadata table when missing.
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
    // Never moves a recorded time back: a record covering a window (or from a writer whose
    // clock is ahead) stays until a later time is recorded.
    let put = || async {
        let request = db
            .inner
            .client
            .put_item()
            .table_name(METADATA_TABLE)
            .set_item(Some(item.clone()))
            .condition_expression("attribute_not_exists(#m) OR #m < :m")
            .expression_attribute_names("#m", MTIME_F)
            .expression_attribute_values(":m", AttributeValue::N(clock::epoch_seconds_text(now)))
            .send();
        match DYNAMODB.call("PutItem", metadata_resource(), request).await {
            Err(Error::Precondition { .. }) => {
                debug!(
                    service,
                    name, "a later modification time is recorded already"
                );
                Ok(Some(()))
            }
            other => other.found().map(|out| out.map(|_| ())),
        }
    };
    if put().await?.is_none() {
        debug!("creating {METADATA_TABLE}");
        let handle = DynamoDbAccess::builder(&db.inner.access, METADATA_TABLE).build()?;
        handle
            .create_table_only(
                &CreateTable::partition(SERVICE, AttributeType::String)
                    .sort(NAME, AttributeType::String),
            )
            .await?;
        handle.wait_active().await?;
        put().await?;
    }
    Ok(())
}

/// The time of the record (`service`, `name`); `None` when there is none (or no metadata table).
async fn read_record(db: &DynamoDbAccess, service: &str, name: &str) -> Result<Option<f64>> {
    let request = db
        .inner
        .client
        .get_item()
        .table_name(METADATA_TABLE)
        .set_key(Some(key(service, name)))
        .consistent_read(true)
        .send();
    let out = DYNAMODB
        .call("GetItem", metadata_resource(), request)
        .await
        .found()?;
    Ok(out
        .and_then(|out| out.item)
        .and_then(|item| match item.get(MTIME_F) {
            Some(AttributeValue::N(n)) => n.parse::<f64>().ok(),
            _ => None,
        }))
}

/// Records that `name` of `service` was used or modified now, in the metadata table shared with
/// the Python package (for example `("sqs", queue name)` for pub/sub queues). Creates the
/// metadata table when missing.
pub async fn record_use(access: &AwsAccess, service: &str, name: &str) -> Result<()> {
    let db = DynamoDbAccess::builder(access, METADATA_TABLE).build()?;
    write_record(&db, service, name, SystemTime::now()).await
}

/// When `name` of `service` was last recorded (`mtime_f`, seconds since the epoch), if ever.
pub async fn recorded_use(access: &AwsAccess, service: &str, name: &str) -> Result<Option<f64>> {
    let db = DynamoDbAccess::builder(access, METADATA_TABLE).build()?;
    read_record(&db, service, name).await
}
