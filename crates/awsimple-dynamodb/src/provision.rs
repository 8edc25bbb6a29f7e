//! Creating a table and waiting for it to settle, without recording a modification time: the
//! primitives both `table.rs` (the public table operations) and `metadata.rs` (which creates
//! the metadata table on first need) build on.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement,
    Projection, ProjectionType, ScalarAttributeType, TableStatus,
};
use awsimple_core::{Backoff, BackoffConfig, Error, Result};
use tracing::debug;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::item::AttributeType;
use crate::schema::{CreateTable, KeyAttribute, SECONDARY_INDEX_SUFFIX};

/// How long create / delete waits for the table to settle.
const TABLE_WAIT: Duration = Duration::from_secs(600);

/// The polling of a table that settles: 50 ms growing to 2 s, until [`TABLE_WAIT`] has passed.
pub(crate) fn settle_backoff() -> Backoff {
    BackoffConfig::default()
        .with_delays(Duration::from_millis(50), Duration::from_secs(2))
        .with_max_attempts(u32::MAX)
        .start()
        .with_timeout(Some(TABLE_WAIT))
}

impl DynamoDbAccess {
    /// Sends CreateTable (on-demand billing); `false` when the table exists already. Does not
    /// wait for the table to be active.
    pub(crate) async fn create_table_only(&self, spec: &CreateTable) -> Result<bool> {
        let mut definitions = vec![definition(&spec.partition)?];
        let mut schema = vec![schema_element(
            &spec.partition.name,
            aws_sdk_dynamodb::types::KeyType::Hash,
        )?];
        if let Some(sort) = &spec.sort {
            if sort.name == spec.partition.name {
                return Err(Error::invalid(
                    format!("key schema of {}", self.resource()),
                    "the sort key must differ from the partition key",
                ));
            }
            definitions.push(definition(sort)?);
            schema.push(schema_element(
                &sort.name,
                aws_sdk_dynamodb::types::KeyType::Range,
            )?);
        }
        let mut request = self
            .inner
            .client
            .create_table()
            .table_name(&self.inner.table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(schema));
        if let Some(index) = &spec.index {
            if !definitions.iter().any(|d| d.attribute_name() == index.name) {
                definitions.push(definition(index)?);
            }
            let gsi = GlobalSecondaryIndex::builder()
                .index_name(format!("{}{SECONDARY_INDEX_SUFFIX}", index.name))
                .key_schema(schema_element(
                    &index.name,
                    aws_sdk_dynamodb::types::KeyType::Hash,
                )?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| Error::invalid("secondary index", e.to_string()))?;
            request = request.global_secondary_indexes(gsi);
        }
        let request = request.set_attribute_definitions(Some(definitions)).send();
        match DYNAMODB.call("CreateTable", self.resource(), request).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_already_exists() => {
                debug!(table = %self.inner.table, "table exists already");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Waits until the table and its indexes are ACTIVE.
    pub(crate) async fn wait_active(&self) -> Result<()> {
        let mut backoff = settle_backoff();
        loop {
            let out = self.describe().await?;
            let table = out.table();
            let active = table.and_then(|t| t.table_status()) == Some(&TableStatus::Active)
                && table.is_none_or(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .all(|i| i.index_status().is_none_or(|s| *s == IndexStatus::Active))
                });
            if active {
                return Ok(());
            }
            if !backoff.wait().await {
                return Err(Error::timeout(
                    "CreateTable",
                    self.resource(),
                    "the table did not become active",
                ));
            }
        }
    }
}

fn definition(attr: &KeyAttribute) -> Result<AttributeDefinition> {
    let t = match attr.attribute_type {
        AttributeType::String => ScalarAttributeType::S,
        AttributeType::Number => ScalarAttributeType::N,
        AttributeType::Binary => ScalarAttributeType::B,
    };
    if attr.name.is_empty() {
        return Err(Error::invalid(
            "key attribute name",
            "a key attribute needs a name",
        ));
    }
    AttributeDefinition::builder()
        .attribute_name(&attr.name)
        .attribute_type(t)
        .build()
        .map_err(|e| Error::invalid("attribute definition", e.to_string()))
}

fn schema_element(
    name: &str,
    key_type: aws_sdk_dynamodb::types::KeyType,
) -> Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(|e| Error::invalid("key schema", e.to_string()))
}
