//! Time to live: enable and disable it on the table, and its status (UpdateTimeToLive,
//! DescribeTimeToLive). Expiry times on items are set with
//! [`PutItemOptions::expires_at`](crate::PutItemOptions::expires_at) and
//! [`Update::expires_at`](crate::Update::expires_at).

use aws_sdk_dynamodb::types::{TimeToLiveSpecification, TimeToLiveStatus};
use awsimple_core::{Error, Result};

use crate::access::{DYNAMODB, DynamoDbAccess};

/// The time-to-live setting of a table, from [`DynamoDbAccess::ttl_status`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TtlStatus {
    /// Items do not expire.
    Disabled,
    /// Being enabled on `attribute` (AWS takes up to an hour).
    Enabling {
        /// The TTL attribute.
        attribute: String,
    },
    /// Items expire by `attribute`.
    Enabled {
        /// The TTL attribute.
        attribute: String,
    },
    /// Being disabled (AWS takes up to an hour).
    Disabling {
        /// The TTL attribute until then.
        attribute: String,
    },
}

impl TtlStatus {
    /// True when enabled or being enabled.
    pub fn is_enabled(&self) -> bool {
        matches!(self, TtlStatus::Enabled { .. } | TtlStatus::Enabling { .. })
    }

    /// The TTL attribute, unless disabled.
    pub fn attribute(&self) -> Option<&str> {
        match self {
            TtlStatus::Disabled => None,
            TtlStatus::Enabling { attribute }
            | TtlStatus::Enabled { attribute }
            | TtlStatus::Disabling { attribute } => Some(attribute),
        }
    }
}

impl DynamoDbAccess {
    /// The table's time-to-live setting (DescribeTimeToLive).
    pub async fn ttl_status(&self) -> Result<TtlStatus> {
        let request = self
            .inner
            .client
            .describe_time_to_live()
            .table_name(&self.inner.table)
            .send();
        let out = DYNAMODB
            .call("DescribeTimeToLive", self.resource(), request)
            .await?;
        let description = out.time_to_live_description;
        let attribute = description
            .as_ref()
            .and_then(|d| d.attribute_name.clone())
            .unwrap_or_default();
        let status = description.and_then(|d| d.time_to_live_status);
        Ok(match status {
            Some(TimeToLiveStatus::Enabled) if !attribute.is_empty() => {
                TtlStatus::Enabled { attribute }
            }
            Some(TimeToLiveStatus::Enabling) if !attribute.is_empty() => {
                TtlStatus::Enabling { attribute }
            }
            Some(TimeToLiveStatus::Disabling) if !attribute.is_empty() => {
                TtlStatus::Disabling { attribute }
            }
            _ => TtlStatus::Disabled,
        })
    }

    /// Enables time to live on the handle's
    /// [TTL attribute](crate::DynamoDbAccessBuilder::ttl_attribute): DynamoDB then deletes items
    /// whose attribute (seconds since the epoch) is in the past, usually within a few days.
    /// Returns false when it was enabled on that attribute already.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the handle has no TTL attribute; AWS refuses an attribute
    /// other than the one enabled, and changes more often than about once an hour.
    pub async fn enable_ttl(&self) -> Result<bool> {
        let attribute = self.ttl_attribute().ok_or_else(|| {
            Error::invalid(
                format!("enable_ttl on {}", self.resource()),
                "the handle has no TTL attribute: set one with DynamoDbAccessBuilder::ttl_attribute",
            )
        })?;
        let status = self.ttl_status().await?;
        if status.is_enabled() && status.attribute() == Some(attribute) {
            return Ok(false);
        }
        self.update_ttl(attribute, true).await?;
        Ok(true)
    }

    /// Disables time to live (items stop expiring). Returns false when it was not enabled.
    pub async fn disable_ttl(&self) -> Result<bool> {
        let status = self.ttl_status().await?;
        match status.attribute() {
            Some(attribute) if status.is_enabled() => {
                self.update_ttl(attribute, false).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn update_ttl(&self, attribute: &str, enabled: bool) -> Result<()> {
        let specification = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(enabled)
            .build()
            .map_err(|e| Error::invalid("time to live specification", e.to_string()))?;
        let request = self
            .inner
            .client
            .update_time_to_live()
            .table_name(&self.inner.table)
            .time_to_live_specification(specification)
            .send();
        DYNAMODB
            .call("UpdateTimeToLive", self.resource(), request)
            .await?;
        Ok(())
    }
}
