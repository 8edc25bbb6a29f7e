//! Transactions: [`TransactWrite`] (TransactWriteItems: puts, updates, deletes and condition
//! checks that all happen or none) and [`TransactGet`] (TransactGetItems: a consistent snapshot
//! of several items), across tables.

use std::collections::HashSet;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Get, Put, TransactGetItem, TransactWriteItem, Update as SdkUpdate,
};
use awsimple_core::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::cancellation::{EntryLabel, cancelled};
use crate::expr::{Condition, Update};
use crate::item::{self, Key, RawItem};
use crate::items::{DeleteItemOptions, PreparedWrite, PutItemOptions};
use crate::op::traced;

/// The most items one transaction may hold (TransactWriteItems and TransactGetItems).
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// Writes to several items, of one table or several, that all happen or none: puts, updates,
/// deletes, and condition checks on items that are not written. Built here, sent with
/// [`DynamoDbAccess::transact_write`].
///
/// Each entry names the handle of its table: its schema checks the key, and its
/// [version](crate::DynamoDbAccessBuilder::version_attribute) and
/// [TTL](crate::DynamoDbAccessBuilder::ttl_attribute) attributes apply as they do to single
/// writes. At most [`MAX_TRANSACTION_ITEMS`] entries, each on a different item.
///
/// ```no_run
/// # async fn demo(accounts: awsimple_dynamodb::DynamoDbAccess,
/// #               audit: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
/// use awsimple_dynamodb::{Condition, Error, TransactWrite, Update};
/// let transfer = TransactWrite::new()
///     .update(&accounts, "alice", Update::new()
///         .add("balance", -10)
///         .condition(Condition::greater_or_equal("balance", 10)))
///     .update(&accounts, "bob", Update::new().add("balance", 10))
///     .put(&audit, &serde_json::json!({"id": "t-1", "from": "alice", "to": "bob", "amount": 10}));
/// match accounts.transact_write(&transfer).await {
///     Ok(()) => println!("moved"),
///     // The resource names the entry (0-based) and item whose condition failed.
///     Err(Error::Precondition { resource, message, .. }) => println!("not moved: {resource}: {message}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct TransactWrite {
    entries: Vec<WriteEntry>,
}

#[derive(Clone, Debug)]
struct WriteEntry {
    table: DynamoDbAccess,
    op: WriteOp,
}

#[derive(Clone, Debug)]
enum WriteOp {
    /// The item (or why it could not be converted) and the put's options.
    Put(std::result::Result<RawItem, String>, PutItemOptions),
    Update(Key, Update),
    Delete(Key, DeleteItemOptions),
    Check(Key, Condition),
}

impl WriteOp {
    fn name(&self) -> &'static str {
        match self {
            WriteOp::Put(..) => "put",
            WriteOp::Update(..) => "update",
            WriteOp::Delete(..) => "delete",
            WriteOp::Check(..) => "condition check",
        }
    }
}

impl TransactWrite {
    /// An empty transaction.
    pub fn new() -> Self {
        TransactWrite::default()
    }

    fn push(mut self, table: &DynamoDbAccess, op: WriteOp) -> Self {
        self.entries.push(WriteEntry {
            table: table.clone(),
            op,
        });
        self
    }

    /// Puts `item` into `table` (replacing the item with its key).
    pub fn put<T: Serialize + ?Sized>(self, table: &DynamoDbAccess, item: &T) -> Self {
        self.put_with(table, item, &PutItemOptions::default())
    }

    /// Puts `item` into `table` with options: a condition, an expiry.
    pub fn put_with<T: Serialize + ?Sized>(
        self,
        table: &DynamoDbAccess,
        item: &T,
        options: &PutItemOptions,
    ) -> Self {
        let raw = item::to_raw_item(item, table.resource()).map_err(|e| e.to_string());
        self.push(table, WriteOp::Put(raw, options.clone()))
    }

    /// Applies `update` (and its condition) to the item with `key` in `table`.
    pub fn update(self, table: &DynamoDbAccess, key: impl Into<Key>, update: Update) -> Self {
        self.push(table, WriteOp::Update(key.into(), update))
    }

    /// Deletes the item with `key` from `table`.
    pub fn delete(self, table: &DynamoDbAccess, key: impl Into<Key>) -> Self {
        self.delete_with(table, key, &DeleteItemOptions::default())
    }

    /// Deletes the item with `key` from `table` with options: a condition.
    pub fn delete_with(
        self,
        table: &DynamoDbAccess,
        key: impl Into<Key>,
        options: &DeleteItemOptions,
    ) -> Self {
        self.push(table, WriteOp::Delete(key.into(), options.clone()))
    }

    /// The transaction happens only when `condition` holds on the item with `key` in `table`,
    /// which is not written.
    pub fn condition_check(
        self,
        table: &DynamoDbAccess,
        key: impl Into<Key>,
        condition: Condition,
    ) -> Self {
        self.push(table, WriteOp::Check(key.into(), condition))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Items to read together, of one table or several, as one consistent snapshot (no write
/// happens in between). Built here, sent with [`DynamoDbAccess::transact_get`]. At most
/// [`MAX_TRANSACTION_ITEMS`] entries.
#[derive(Clone, Debug, Default)]
pub struct TransactGet {
    entries: Vec<(DynamoDbAccess, Key)>,
}

impl TransactGet {
    /// An empty read.
    pub fn new() -> Self {
        TransactGet::default()
    }

    /// Reads the item with `key` in `table`.
    pub fn get(mut self, table: &DynamoDbAccess, key: impl Into<Key>) -> Self {
        self.entries.push((table.clone(), key.into()));
        self
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn check_size(count: usize, what: &str) -> Result<()> {
    if count == 0 {
        return Err(Error::invalid(what, "the transaction has no entry"));
    }
    if count > MAX_TRANSACTION_ITEMS {
        return Err(Error::invalid(
            what,
            format!(
                "{count} entries, over DynamoDB's limit of {MAX_TRANSACTION_ITEMS} per transaction"
            ),
        ));
    }
    Ok(())
}

/// `DynamoDB transaction on tables "a", "b"`: the resource errors of a transaction name.
fn transaction_name<'a>(kind: &str, tables: impl Iterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = tables.collect();
    names.sort_unstable();
    names.dedup();
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.len() {
        0 => format!("DynamoDB {kind} (empty)"),
        1 => format!("DynamoDB {kind} on table {}", quoted.join("")),
        _ => format!("DynamoDB {kind} on tables {}", quoted.join(", ")),
    }
}

fn build_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid(what, e.to_string())
}

impl DynamoDbAccess {
    /// Sends `transaction` (TransactWriteItems, with this handle's client; the tables of its
    /// entries must be in this handle's account and region): every entry happens, or none.
    /// Records the modification time of each table written.
    ///
    /// # Errors
    /// - [`Error::InvalidInput`] before any request: no entry, more than
    ///   [`MAX_TRANSACTION_ITEMS`], two entries on one item, or an entry that fails the checks
    ///   of a single write.
    /// - [`Error::Precondition`] when the transaction was cancelled because a condition (or a
    ///   version check) did not hold: `resource` names the first such entry by its 0-based index
    ///   in the transaction, its item key and table (`entry 1 of the transaction (update of item
    ///   "bob" in DynamoDB table "accounts")`), `message` gives DynamoDB's cancellation code
    ///   and message, followed by those of any other cancelled entry.
    /// - [`Error::Throttled`] (transient) when it was cancelled only by conflicts with other
    ///   transactions or by throttling: retrying later may succeed.
    pub async fn transact_write(&self, transaction: &TransactWrite) -> Result<()> {
        traced("transact_write", self.table_name(), async {
            let what = transaction_name(
                "transaction",
                transaction.entries.iter().map(|e| e.table.table_name()),
            );
            check_size(transaction.entries.len(), &what)?;
            let mut items = Vec::with_capacity(transaction.entries.len());
            let mut labels = Vec::with_capacity(transaction.entries.len());
            let mut prepared_all = Vec::with_capacity(transaction.entries.len());
            let mut seen = HashSet::new();
            for (index, entry) in transaction.entries.iter().enumerate() {
                let db = &entry.table;
                let schema = db.schema().await?;
                let prepared = match &entry.op {
                    WriteOp::Put(raw, options) => {
                        let raw = raw.clone().map_err(|e| {
                            Error::serialization(format!("entry {index} of the {what}"), e)
                        })?;
                        db.prepare_put(&schema, raw, options, false)?
                    }
                    WriteOp::Update(key, update) => db.prepare_update(&schema, key, update, None)?,
                    WriteOp::Delete(key, options) => {
                        db.prepare_delete(&schema, key, options.condition.as_ref())?
                    }
                    WriteOp::Check(key, condition) => {
                        db.prepare_delete(&schema, key, Some(condition))?
                    }
                };
                let label = format!(
                    "{} of item {} in {}",
                    entry.op.name(),
                    prepared.key,
                    db.resource()
                );
                if !seen.insert((db.table_name().to_owned(), prepared.key.clone())) {
                    return Err(Error::invalid(
                        &what,
                        format!(
                            "entry {index} ({label}) is on an item an earlier entry is on: DynamoDB allows one operation per item in a transaction"
                        ),
                    ));
                }
                items.push(write_item(db, &entry.op, &prepared, &what)?);
                labels.push(EntryLabel { index, text: label });
                prepared_all.push(prepared);
            }
            let token = format!("{:032x}", fastrand::u128(..));
            let request = self
                .inner
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .client_request_token(token)
                .send();
            let mut reasons = None;
            let watched = async {
                let result = request.await;
                if let Err(SdkError::ServiceError(context)) = &result
                    && let TransactWriteItemsError::TransactionCanceledException(e) = context.err()
                {
                    reasons = Some(e.cancellation_reasons().to_vec());
                }
                result
            };
            let result = DYNAMODB.call("TransactWriteItems", &what, watched).await;
            if let Err(err) = result {
                return Err(cancelled(
                    err,
                    reasons,
                    &labels,
                    "TransactWriteItems",
                    |i| {
                        transaction
                            .entries
                            .get(i)
                            .zip(prepared_all.get(i))
                            .and_then(|(entry, prepared)| {
                                match (prepared.based_on, entry.table.version_attribute()) {
                                    (Some(read), Some(attribute)) => {
                                        Some(crate::version::conflict_message(
                                            attribute,
                                            read,
                                            prepared.own_condition,
                                        ))
                                    }
                                    _ => None,
                                }
                            })
                    },
                ));
            }
            // Each table written records its modification time once.
            let mut recorded = HashSet::new();
            for entry in &transaction.entries {
                if !matches!(entry.op, WriteOp::Check(..))
                    && recorded.insert(entry.table.table_name().to_owned())
                {
                    entry.table.record_mtime(false).await?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Reads the items of `transaction` together (TransactGetItems, with this handle's client),
    /// as they all were at one moment. One result per entry, in entry order: `None` for an item
    /// that does not exist (or has expired, on a handle that
    /// [hides expired items](crate::DynamoDbAccessBuilder::hide_expired)).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request: no entry, more than
    /// [`MAX_TRANSACTION_ITEMS`], or a key that does not fit its table's schema;
    /// [`Error::Throttled`] when a concurrent write transaction on one of the items cancelled it.
    pub async fn transact_get<T: DeserializeOwned + 'static>(
        &self,
        transaction: &TransactGet,
    ) -> Result<Vec<Option<T>>> {
        traced("transact_get", self.table_name(), async {
            let what = transaction_name(
                "transaction read",
                transaction.entries.iter().map(|(db, _)| db.table_name()),
            );
            check_size(transaction.entries.len(), &what)?;
            let mut items = Vec::with_capacity(transaction.entries.len());
            let mut labels = Vec::with_capacity(transaction.entries.len());
            for (index, (db, key)) in transaction.entries.iter().enumerate() {
                let schema = db.schema().await?;
                let key_map = db.key_map(&schema, key)?;
                let get = Get::builder()
                    .table_name(db.table_name())
                    .set_key(Some(key_map))
                    .build()
                    .map_err(|e| build_error(&what, e))?;
                items.push(TransactGetItem::builder().get(get).build());
                labels.push(EntryLabel {
                    index,
                    text: format!("get of item {key} in {}", db.resource()),
                });
            }
            let request = self
                .inner
                .client
                .transact_get_items()
                .set_transact_items(Some(items))
                .send();
            let mut reasons = None;
            let watched = async {
                let result = request.await;
                if let Err(SdkError::ServiceError(context)) = &result
                    && let TransactGetItemsError::TransactionCanceledException(e) = context.err()
                {
                    reasons = Some(e.cancellation_reasons().to_vec());
                }
                result
            };
            let out = DYNAMODB
                .call("TransactGetItems", &what, watched)
                .await
                .map_err(|err| cancelled(err, reasons, &labels, "TransactGetItems", |_| None))?;
            let responses = out.responses.unwrap_or_default();
            if responses.len() != transaction.entries.len() {
                return Err(Error::other(format!(
                    "TransactGetItems on {what}: {} responses for {} entries",
                    responses.len(),
                    transaction.entries.len()
                )));
            }
            let now = std::time::SystemTime::now();
            transaction
                .entries
                .iter()
                .zip(responses)
                .map(|((db, _), response)| {
                    response
                        .item
                        .filter(|raw| !raw.is_empty() && db.visible(raw, now))
                        .map(|raw| item::from_raw_item(raw, db.resource()))
                        .transpose()
                })
                .collect()
        })
        .await
    }
}

/// The SDK entry of a prepared write.
fn write_item(
    db: &DynamoDbAccess,
    op: &WriteOp,
    p: &PreparedWrite,
    what: &str,
) -> Result<TransactWriteItem> {
    let table = db.table_name();
    let names = p.names.clone();
    let values = p.values.clone();
    let condition = p.condition.clone();
    let item = p.item.clone();
    let builder = TransactWriteItem::builder();
    Ok(match op {
        WriteOp::Put(..) => builder.put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .build()
                .map_err(|e| build_error(what, e))?,
        ),
        WriteOp::Update(..) => builder.update(
            SdkUpdate::builder()
                .table_name(table)
                .set_key(Some(item))
                .set_update_expression(p.update.clone())
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .build()
                .map_err(|e| build_error(what, e))?,
        ),
        WriteOp::Delete(..) => builder.delete(
            Delete::builder()
                .table_name(table)
                .set_key(Some(item))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .build()
                .map_err(|e| build_error(what, e))?,
        ),
        WriteOp::Check(..) => builder.condition_check(
            ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(item))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .build()
                .map_err(|e| build_error(what, e))?,
        ),
    }
    .build())
}
