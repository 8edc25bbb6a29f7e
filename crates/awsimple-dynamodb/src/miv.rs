//! MIV tables: a sort key `mivui` that increases monotonically per partition.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access::DynamoDbAccess;
use crate::item::{self, AttributeType, Key, KeyValue};
use crate::query::{Direction, Query};
use crate::schema::CreateTable;

/// The sort key of MIV tables: microseconds since the epoch, as an integer.
pub const MIV_ATTRIBUTE: &str = "mivui";

/// Now, in microseconds since the epoch: the `mivui` a write made now gets (Python's
/// `get_time_us()`).
pub fn get_time_us() -> u64 {
    crate::clock::epoch_micros(SystemTime::now())
}

/// The moment a `mivui` value stands for (Python's `miv_us_to_timestamp`, which gives the same
/// moment as float seconds: `t.duration_since(UNIX_EPOCH)?.as_secs_f64()`).
pub fn miv_us_to_timestamp(miv: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(miv)
}

/// A table whose sort key `mivui` is a monotonically increasing value (microseconds since the
/// epoch) per partition: ordered writes and "most senior item" reads, as Python's
/// `DynamoDBMIVUI`.
///
/// ```no_run
/// # async fn demo(access: &awsimple_dynamodb::AwsAccess) -> awsimple_dynamodb::Result<()> {
/// use awsimple_dynamodb::{DynamoDbAccess, AttributeType, MivTable};
/// let miv = MivTable::new(DynamoDbAccess::new(access, "events")?);
/// miv.create_table("device", AttributeType::String).await?;
/// miv.put_item(&serde_json::json!({"device": "d1", "temp": 21.5})).await?;
/// let latest: Option<serde_json::Value> = miv.get_most_senior_item("d1").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MivTable {
    db: DynamoDbAccess,
}

impl MivTable {
    /// An MIV view of a table handle.
    pub fn new(db: DynamoDbAccess) -> Self {
        MivTable { db }
    }

    /// The underlying table handle (queries, scans, deletes).
    pub fn table(&self) -> &DynamoDbAccess {
        &self.db
    }

    /// Creates the table with partition key `partition` and sort key `mivui` (number).
    pub async fn create_table(
        &self,
        partition: &str,
        attribute_type: AttributeType,
    ) -> Result<bool> {
        self.db
            .create_table(
                &CreateTable::partition(partition, attribute_type)
                    .sort(MIV_ATTRIBUTE, AttributeType::Number),
            )
            .await
    }

    /// Writes `item` with `mivui` set to now in microseconds, or to the partition's most senior
    /// value + 1 when that is not below now (a writer whose clock is ahead came before), so
    /// values increase within a partition. Returns the `mivui` given to the item.
    pub async fn put_item<T: Serialize + ?Sized>(&self, item: &T) -> Result<u64> {
        self.put_item_at(item, get_time_us()).await
    }

    /// [`MivTable::put_item`] with the time of your choice, in microseconds since the epoch
    /// (Python's `put_item(item, time_us)`): the item gets `time_us`, or the partition's most
    /// senior value + 1 when that is not below it.
    pub async fn put_item_at<T: Serialize + ?Sized>(&self, item: &T, time_us: u64) -> Result<u64> {
        let schema = self.db.schema().await?;
        let mut raw = item::to_raw_item(item, self.db.resource())?;
        let partition = raw
            .get(&schema.partition.name)
            .and_then(KeyValue::from_attribute)
            .ok_or_else(|| {
                Error::invalid(
                    format!("MIV item for {}", self.db.resource()),
                    format!(
                        "the partition key {:?} is missing or not a key type",
                        schema.partition.name
                    ),
                )
            })?;
        let senior = self
            .db
            .query_first_raw(&Query::partition(partition).direction(Direction::Highest))
            .await?
            .and_then(|top| match top.get(MIV_ATTRIBUTE) {
                Some(AttributeValue::N(n)) => n.parse::<u64>().ok(),
                _ => None,
            });
        let miv = match senior {
            Some(s) if s >= time_us => s + 1,
            _ => time_us,
        };
        raw.insert(MIV_ATTRIBUTE.to_owned(), AttributeValue::N(miv.to_string()));
        self.db.put_raw_checked(raw).await?;
        Ok(miv)
    }

    /// The item with the highest `mivui` in partition `partition`; `None` when the partition is
    /// empty.
    pub async fn get_most_senior_item<T: DeserializeOwned + 'static>(
        &self,
        partition: impl Into<KeyValue>,
    ) -> Result<Option<T>> {
        self.db
            .query_one(&Query::partition(partition).direction(Direction::Highest))
            .await
    }

    /// Deletes one item by partition and `mivui`.
    pub async fn delete_item(&self, partition: impl Into<KeyValue>, miv: u64) -> Result<()> {
        self.db
            .delete_item(Key::new(partition).with_sort(miv))
            .await
    }
}
