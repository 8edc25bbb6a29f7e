//! Optimistic locking's read-modify-write loop: [`DynamoDbAccess::update_item_retrying`].

use std::time::{Duration, SystemTime};

use awsimple_core::{BackoffConfig, Error, Result};
use serde::de::DeserializeOwned;
use tracing::debug;

use crate::access::DynamoDbAccess;
use crate::expr::Update;
use crate::item::{self, Key, RawItem};
use crate::op::traced;
use crate::version;

/// The waits between attempts: short (the other writer has just written), growing to 1 s.
fn conflict_backoff(max_attempts: u32) -> BackoffConfig {
    BackoffConfig::default()
        .with_delays(Duration::from_millis(5), Duration::from_secs(1))
        .with_max_attempts(max_attempts)
}

impl DynamoDbAccess {
    /// Reads the item with `key` (a consistent read), asks `changes` for the changes to make to
    /// it (`None`: there is no item yet; the update creates it), and applies them only if the
    /// item's [version](crate::DynamoDbAccessBuilder::version_attribute) is still the one read,
    /// advancing it. When another writer came first, reads again and asks `changes` again, at
    /// most `max_attempts` times in all (with a short randomized wait between attempts).
    /// Returns the item as it is after the update.
    ///
    /// `changes` may run several times: it should only compute the changes from the item.
    ///
    /// ```no_run
    /// # async fn demo(access: &awsimple_dynamodb::AwsAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::{DynamoDbAccess, Update};
    /// #[derive(serde::Deserialize)]
    /// struct Counter { count: u64 }
    /// let counters = DynamoDbAccess::builder(access, "counters").version_attribute("version").build()?;
    /// let after: Counter = counters
    ///     .update_item_retrying("visits", |c: Option<&Counter>| {
    ///         Update::new().set("count", c.map_or(0, |c| c.count) + 1)
    ///     }, 10)
    ///     .await?;
    /// # let _ = after; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the handle has no version attribute;
    /// [`Error::Precondition`] naming the item when the update's own condition did not hold
    /// (the version had not changed: not retried), or when every attempt met a newer version.
    pub async fn update_item_retrying<T, F>(
        &self,
        key: impl Into<Key>,
        mut changes: F,
        max_attempts: u32,
    ) -> Result<T>
    where
        T: DeserializeOwned + 'static,
        F: FnMut(Option<&T>) -> Update,
    {
        traced("update_item_retrying", self.table_name(), async {
            let key = key.into();
            let what = || format!("update of item {key} in {}", self.resource());
            let attribute = self
                .version_attribute()
                .ok_or_else(|| {
                    Error::invalid(
                        what(),
                        "update_item_retrying needs a version attribute: set one with DynamoDbAccessBuilder::version_attribute",
                    )
                })?
                .to_owned();
            let schema = self.schema().await?;
            let key_map = self.key_map(&schema, &key)?;
            let version_of = |raw: &Option<RawItem>| -> Result<Option<u64>> {
                match raw {
                    Some(raw) => version::version_of(raw, &attribute, &what),
                    None => Ok(None),
                }
            };
            let mut backoff = conflict_backoff(max_attempts).start();
            let mut current = self.get_raw(key_map.clone(), true).await?;
            loop {
                let read = version_of(&current)?;
                let update = {
                    let shown = current
                        .take()
                        .filter(|raw| self.visible(raw, SystemTime::now()))
                        .map(|raw| item::from_raw_item::<T>(raw, self.resource()))
                        .transpose()?;
                    changes(shown.as_ref())
                };
                let prepared = self.prepare_update(&schema, &key, &update, Some(read))?;
                match self.send_update(prepared, true).await {
                    Ok(after) => {
                        self.record_mtime(false).await?;
                        let after = after.ok_or_else(|| {
                            Error::other(format!(
                                "UpdateItem on {}: no item came back after the update",
                                self.resource()
                            ))
                        })?;
                        return item::from_raw_item(after, self.resource());
                    }
                    Err(err @ Error::Precondition { .. }) => {
                        current = self.get_raw(key_map.clone(), true).await?;
                        if version_of(&current)? == read {
                            // Nobody else wrote: the update's own condition failed.
                            return Err(err);
                        }
                        let attempt = backoff.attempt();
                        debug!(table = %self.inner.table, %key, attempt, "version conflict: retrying");
                        if !backoff.wait().await {
                            return Err(Error::Precondition {
                                resource: format!("item {key} in {}", self.resource()),
                                message: format!(
                                    "another writer changed the item during each of {attempt} attempts (optimistic locking on {attribute:?}): giving up"
                                ),
                                source: None,
                                answer: None,
                            });
                        }
                    }
                    Err(err) => return Err(err),
                }
            }
        })
        .await
    }
}
