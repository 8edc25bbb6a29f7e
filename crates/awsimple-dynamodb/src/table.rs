//! The table itself: create, delete, exists, the account's table names, the item count.

use awsimple_core::{Error, Found, Result};

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::op::traced;
use crate::provision::settle_backoff;
use crate::schema::CreateTable;

/// Options of [`DynamoDbAccess::table_names_with`].
#[derive(Clone, Debug, Default)]
pub struct TableNamesOptions {
    pub(crate) page_size: Option<i32>,
}

impl TableNamesOptions {
    /// Default options: DynamoDB's page size.
    pub fn new() -> Self {
        TableNamesOptions::default()
    }

    /// Names per ListTables request (`Limit`); the listing still follows every page.
    pub fn page_size(mut self, names: i32) -> Self {
        self.page_size = Some(names);
        self
    }
}

impl DynamoDbAccess {
    /// Creates the table (on-demand billing) and waits until it and its index are active.
    ///
    /// Returns false when the table exists already (whatever its schema). Records the table's
    /// modification time, creating [`METADATA_TABLE`](crate::METADATA_TABLE) when needed.
    ///
    /// ```no_run
    /// # async fn demo(access: awsimple_dynamodb::AwsAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::{AttributeType, CreateTable, DynamoDbAccess};
    /// let db = DynamoDbAccess::new(&access, "readings")?;
    /// let created = db
    ///     .create_table(
    ///         &CreateTable::partition("device", AttributeType::String)
    ///             .sort("ts", AttributeType::Number)
    ///             .secondary_index("site", AttributeType::String),
    ///     )
    ///     .await?;
    /// println!("created now: {created}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Service`] when AWS refuses the table (an account limit, no permission);
    /// [`Error::Timeout`] when it does not become active within the wait.
    pub async fn create_table(&self, spec: &CreateTable) -> Result<bool> {
        traced("create_table", self.table_name(), async {
            let created = self.create_table_only(spec).await?;
            self.clear_schema();
            self.wait_active().await?;
            self.record_mtime(true).await?;
            Ok(created)
        })
        .await
    }

    /// Deletes the table and waits until it is gone. Returns false when it did not exist.
    pub async fn delete_table(&self) -> Result<bool> {
        traced("delete_table", self.table_name(), async {
            let request = self
                .inner
                .client
                .delete_table()
                .table_name(&self.inner.table)
                .send();
            let result = DYNAMODB.call("DeleteTable", self.resource(), request).await;
            self.clear_schema();
            if !result.exists()? {
                return Ok(false);
            }
            let mut backoff = settle_backoff();
            loop {
                if !self.table_exists().await? {
                    return Ok(true);
                }
                if !backoff.wait().await {
                    return Err(Error::timeout(
                        "DeleteTable",
                        self.resource(),
                        "the table was not gone in time",
                    ));
                }
            }
        })
        .await
    }

    /// True when the table exists.
    pub async fn table_exists(&self) -> Result<bool> {
        self.describe().await.exists()
    }

    /// The names of all tables of the account and region, every page, sorted.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        self.table_names_with(&TableNamesOptions::default()).await
    }

    /// [`table_names`](Self::table_names) with options (the page size).
    pub async fn table_names_with(&self, options: &TableNamesOptions) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let request = self
                .inner
                .client
                .list_tables()
                .set_exclusive_start_table_name(start.take())
                .set_limit(options.page_size)
                .send();
            let out = DYNAMODB
                .call("ListTables", "DynamoDB tables", request)
                .await?;
            names.extend(out.table_names.unwrap_or_default());
            match out.last_evaluated_table_name {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The table's item count as DynamoDB reports it (AWS refreshes it about every 6 hours).
    pub async fn item_count(&self) -> Result<u64> {
        let out = self.describe().await?;
        Ok(out
            .table()
            .and_then(|t| t.item_count())
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }
}
