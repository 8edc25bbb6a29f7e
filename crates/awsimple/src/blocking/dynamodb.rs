//! The blocking [`DynamoDbAccess`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{AwsAccess, Iter, run};
use crate::Result;
use crate::dynamodb::{
    CachedScan, CreateTable, DeleteItemOptions, Key, PutItemOptions, Query, ScanOptions,
    TableNamesOptions, TransactGet, TransactWrite, TtlStatus, Update,
};

/// One DynamoDB table: the blocking form of [`crate::DynamoDbAccess`], whose methods it runs.
/// Cheap to clone. Options (cache, version and TTL attributes) go through the async builder
/// and `From`; transactions take the async handle ([`DynamoDbAccess::as_async`]).
#[derive(Clone, Debug)]
pub struct DynamoDbAccess {
    inner: crate::DynamoDbAccess,
}

impl From<crate::DynamoDbAccess> for DynamoDbAccess {
    fn from(inner: crate::DynamoDbAccess) -> Self {
        Self { inner }
    }
}

impl DynamoDbAccess {
    /// A handle of `table` with the default options, as [`crate::DynamoDbAccess::new`].
    pub fn new(access: &AwsAccess, table: impl Into<String>) -> Result<Self> {
        crate::DynamoDbAccess::new(access.as_async(), table).map(Self::from)
    }

    /// The async handle, for the async API (and for [`TransactWrite`] / [`TransactGet`]).
    pub fn as_async(&self) -> &crate::DynamoDbAccess {
        &self.inner
    }

    /// The async handle, for the async API.
    pub fn into_async(self) -> crate::DynamoDbAccess {
        self.inner
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        self.inner.table_name()
    }

    /// See [`crate::DynamoDbAccess::create_table`].
    pub fn create_table(&self, spec: &CreateTable) -> Result<bool> {
        run(self.inner.create_table(spec))
    }

    /// See [`crate::DynamoDbAccess::delete_table`].
    pub fn delete_table(&self) -> Result<bool> {
        run(self.inner.delete_table())
    }

    /// See [`crate::DynamoDbAccess::table_exists`].
    pub fn table_exists(&self) -> Result<bool> {
        run(self.inner.table_exists())
    }

    /// See [`crate::DynamoDbAccess::table_names`].
    pub fn table_names(&self) -> Result<Vec<String>> {
        run(self.inner.table_names())
    }

    /// See [`crate::DynamoDbAccess::table_names_with`].
    pub fn table_names_with(&self, options: &TableNamesOptions) -> Result<Vec<String>> {
        run(self.inner.table_names_with(options))
    }

    /// See [`crate::DynamoDbAccess::item_count`].
    pub fn item_count(&self) -> Result<u64> {
        run(self.inner.item_count())
    }

    /// See [`crate::DynamoDbAccess::put_item`].
    ///
    /// ```no_run
    /// # fn demo(access: &awsimple::blocking::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::blocking::DynamoDbAccess;
    /// use awsimple::dynamodb::Item;
    ///
    /// let users = DynamoDbAccess::new(access, "users")?;
    /// users.put_item(&serde_json::json!({"email": "sting@thepolice.com", "nickname": "Sting"}))?;
    /// let sting: Option<Item> = users.get_item("sting@thepolice.com")?;
    /// # let _ = sting; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The errors of [`crate::DynamoDbAccess::put_item`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn put_item<T: Serialize + ?Sized>(&self, item: &T) -> Result<()> {
        run(self.inner.put_item(item))
    }

    /// See [`crate::DynamoDbAccess::put_item_with`].
    pub fn put_item_with<T: Serialize + ?Sized>(
        &self,
        item: &T,
        options: &PutItemOptions,
    ) -> Result<()> {
        run(self.inner.put_item_with(item, options))
    }

    /// See [`crate::DynamoDbAccess::put_item_if_not_exists`].
    pub fn put_item_if_not_exists<T: Serialize + ?Sized>(&self, item: &T) -> Result<()> {
        run(self.inner.put_item_if_not_exists(item))
    }

    /// See [`crate::DynamoDbAccess::get_item`].
    ///
    /// # Errors
    /// The errors of [`crate::DynamoDbAccess::get_item`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn get_item<T: DeserializeOwned + 'static>(
        &self,
        key: impl Into<Key>,
    ) -> Result<Option<T>> {
        run(self.inner.get_item(key))
    }

    /// See [`crate::DynamoDbAccess::delete_item`].
    pub fn delete_item(&self, key: impl Into<Key>) -> Result<()> {
        run(self.inner.delete_item(key))
    }

    /// See [`crate::DynamoDbAccess::delete_item_with`].
    pub fn delete_item_with(&self, key: impl Into<Key>, options: &DeleteItemOptions) -> Result<()> {
        run(self.inner.delete_item_with(key, options))
    }

    /// See [`crate::DynamoDbAccess::update_item`].
    pub fn update_item(&self, key: impl Into<Key>, update: &Update) -> Result<()> {
        run(self.inner.update_item(key, update))
    }

    /// See [`crate::DynamoDbAccess::upsert_item`].
    pub fn upsert_item<T: Serialize + ?Sized>(
        &self,
        key: impl Into<Key>,
        attributes: &T,
    ) -> Result<()> {
        run(self.inner.upsert_item(key, attributes))
    }

    /// See [`crate::DynamoDbAccess::update_item_retrying`].
    pub fn update_item_retrying<T, F>(
        &self,
        key: impl Into<Key>,
        changes: F,
        max_attempts: u32,
    ) -> Result<T>
    where
        T: DeserializeOwned + 'static,
        F: FnMut(Option<&T>) -> Update,
    {
        run(self.inner.update_item_retrying(key, changes, max_attempts))
    }

    /// See [`crate::DynamoDbAccess::put_items`].
    pub fn put_items<T: Serialize>(&self, items: &[T]) -> Result<()> {
        run(self.inner.put_items(items))
    }

    /// See [`crate::DynamoDbAccess::get_items`].
    pub fn get_items<T: DeserializeOwned + 'static, K: Into<Key>>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<Vec<T>> {
        run(self.inner.get_items(keys))
    }

    /// See [`crate::DynamoDbAccess::delete_items`].
    pub fn delete_items<K: Into<Key>>(&self, keys: impl IntoIterator<Item = K>) -> Result<()> {
        run(self.inner.delete_items(keys))
    }

    /// See [`crate::DynamoDbAccess::delete_all_items`].
    pub fn delete_all_items(&self) -> Result<usize> {
        run(self.inner.delete_all_items())
    }

    /// See [`crate::DynamoDbAccess::query`].
    pub fn query<T: DeserializeOwned + 'static>(&self, query: &Query) -> Result<Vec<T>> {
        run(self.inner.query(query))
    }

    /// See [`crate::DynamoDbAccess::query_one`].
    pub fn query_one<T: DeserializeOwned + 'static>(&self, query: &Query) -> Result<Option<T>> {
        run(self.inner.query_one(query))
    }

    /// The items of a query one at a time, pages read as they are needed: see
    /// [`crate::DynamoDbAccess::query_stream`].
    pub fn query_iter<T: DeserializeOwned + Send + 'static>(
        &self,
        query: &Query,
    ) -> Iter<'static, T> {
        Iter::new(self.inner.query_stream(query))
    }

    /// See [`crate::DynamoDbAccess::scan_table`].
    pub fn scan_table<T: DeserializeOwned + 'static>(&self) -> Result<Vec<T>> {
        run(self.inner.scan_table())
    }

    /// See [`crate::DynamoDbAccess::scan_table_with`].
    pub fn scan_table_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<Vec<T>> {
        run(self.inner.scan_table_with(options))
    }

    /// See [`crate::DynamoDbAccess::scan_table_map`].
    pub fn scan_table_map<T: DeserializeOwned + 'static>(&self) -> Result<BTreeMap<Key, T>> {
        run(self.inner.scan_table_map())
    }

    /// See [`crate::DynamoDbAccess::scan_table_map_with`].
    pub fn scan_table_map_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<BTreeMap<Key, T>> {
        run(self.inner.scan_table_map_with(options))
    }

    /// The items of a scan one at a time, pages read as they are needed: see
    /// [`crate::DynamoDbAccess::scan_stream`].
    pub fn scan_iter<T: DeserializeOwned + Send + 'static>(&self) -> Iter<'static, T> {
        Iter::new(self.inner.scan_stream())
    }

    /// See [`crate::DynamoDbAccess::scan_table_cached`].
    pub fn scan_table_cached<T: DeserializeOwned + 'static>(&self) -> Result<CachedScan<Vec<T>>> {
        run(self.inner.scan_table_cached())
    }

    /// See [`crate::DynamoDbAccess::scan_table_cached_with`].
    pub fn scan_table_cached_with<T: DeserializeOwned + 'static>(
        &self,
        options: &ScanOptions,
    ) -> Result<CachedScan<Vec<T>>> {
        run(self.inner.scan_table_cached_with(options))
    }

    /// See [`crate::DynamoDbAccess::transact_write`].
    pub fn transact_write(&self, transaction: &TransactWrite) -> Result<()> {
        run(self.inner.transact_write(transaction))
    }

    /// See [`crate::DynamoDbAccess::transact_get`].
    pub fn transact_get<T: DeserializeOwned + 'static>(
        &self,
        transaction: &TransactGet,
    ) -> Result<Vec<Option<T>>> {
        run(self.inner.transact_get(transaction))
    }

    /// See [`crate::DynamoDbAccess::ttl_status`].
    pub fn ttl_status(&self) -> Result<TtlStatus> {
        run(self.inner.ttl_status())
    }

    /// See [`crate::DynamoDbAccess::enable_ttl`].
    pub fn enable_ttl(&self) -> Result<bool> {
        run(self.inner.enable_ttl())
    }

    /// See [`crate::DynamoDbAccess::disable_ttl`].
    pub fn disable_ttl(&self) -> Result<bool> {
        run(self.inner.disable_ttl())
    }

    /// See [`crate::DynamoDbAccess::dump_to_csv`].
    pub fn dump_to_csv(&self, path: impl AsRef<Path>) -> Result<usize> {
        run(self.inner.dump_to_csv(path))
    }
}
