//! Queries: [`Query`], [`DynamoDbAccess::query`], [`DynamoDbAccess::query_stream`] and
//! [`DynamoDbAccess::query_one`]; all read the pages of one stream.

use std::collections::HashMap;
use std::time::SystemTime;

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};
use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::item::{self, KeyValue, RawItem};
use crate::op::traced;
use crate::schema::{SECONDARY_INDEX_SUFFIX, check_key_value};
use crate::validate::{MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};

/// Which end of the sort key a query starts from ([`Query::direction`]):
/// [`query_one`](DynamoDbAccess::query_one) returns the item at that end (default
/// [`Highest`](Direction::Highest), as Python's `query_one`); [`query`](DynamoDbAccess::query)
/// and [`query_stream`](DynamoDbAccess::query_stream) return the items in order from that end
/// (default [`Lowest`](Direction::Lowest): ascending, as DynamoDB does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The item with the lowest sort key.
    Lowest,
    /// The item with the highest sort key.
    Highest,
}

/// A query: exact match on the partition key (or on an indexed attribute), optionally narrowed
/// on the sort key.
///
/// ```
/// use awsimple_dynamodb::{Direction, Query};
/// let by_user = Query::partition("user-1");                       // the table's partition key
/// let range = Query::partition("user-1").sort_begins_with("2024-"); // begins_with on the sort key
/// let by_email = Query::attribute("email", "a@example.com");     // routed to `email-index`
/// let newest_first = Query::partition("user-1").direction(Direction::Highest);
/// # let _ = (by_user, range, by_email, newest_first);
/// ```
#[derive(Clone, Debug)]
pub struct Query {
    attribute: Option<String>,
    value: KeyValue,
    sort: Option<SortCondition>,
    page_size: Option<i32>,
    direction: Option<Direction>,
}

#[derive(Clone, Debug)]
enum SortCondition {
    Equals(KeyValue),
    BeginsWith(String),
}

impl Query {
    /// Items whose partition key equals `value`.
    pub fn partition(value: impl Into<KeyValue>) -> Self {
        Query {
            attribute: None,
            value: value.into(),
            sort: None,
            page_size: None,
            direction: None,
        }
    }

    /// Items whose attribute `name` equals `value`: the table's partition key, or an attribute
    /// with a secondary index (the query then goes to `<name>-index`).
    pub fn attribute(name: impl Into<String>, value: impl Into<KeyValue>) -> Self {
        Query {
            attribute: Some(name.into()),
            ..Query::partition(value)
        }
    }

    /// Only the item whose sort key equals `value`.
    pub fn sort_eq(mut self, value: impl Into<KeyValue>) -> Self {
        self.sort = Some(SortCondition::Equals(value.into()));
        self
    }

    /// Only items whose (string) sort key begins with `prefix`.
    pub fn sort_begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.sort = Some(SortCondition::BeginsWith(prefix.into()));
        self
    }

    /// Items per request (`Limit`); results still follow every page to the end.
    pub fn page_size(mut self, items: i32) -> Self {
        self.page_size = Some(items);
        self
    }

    /// The end of the sort key to start from (see [`Direction`] for the defaults).
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = Some(direction);
        self
    }
}

/// A query checked against the schema, ready to send page after page.
#[derive(Clone, Debug)]
struct QueryRequest {
    index: Option<String>,
    condition: String,
    names: HashMap<String, String>,
    values: RawItem,
    page_size: Option<i32>,
    /// `ScanIndexForward`: false to start from the highest sort key.
    forward: Option<bool>,
    /// `Limit 1`: one item per page.
    one: bool,
}

impl DynamoDbAccess {
    /// All items matching `query`, every page, in sort key order (see [`Query::direction`]);
    /// [`query_stream`](Self::query_stream) reads them one page at a time.
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::{Item, Query};
    /// let all: Vec<Item> = db.query(&Query::partition("device-1")).await?;
    /// // On a table whose sort key is a string: only some sort keys.
    /// let march: Vec<Item> =
    ///     db.query(&Query::partition("device-1").sort_begins_with("2024-03")).await?;
    /// // On a secondary index (`email-index`).
    /// let by_email: Vec<Item> = db.query(&Query::attribute("email", "ada@example.com")).await?;
    /// # let _ = (all, march, by_email); Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`], before any request, when the query's attribute is neither the
    /// partition key nor indexed, or a value does not fit the key's type or DynamoDB's key
    /// limits; [`Error::Serialization`] when an item does not convert into `T`;
    /// [`Error::NotFound`] when the table does not exist.
    pub async fn query<T: DeserializeOwned + 'static>(&self, query: &Query) -> Result<Vec<T>> {
        traced("query", self.table_name(), async {
            let raws = self.query_pages(query, false).try_concat().await?;
            self.convert_all(raws)
        })
        .await
    }

    /// The items matching `query` as a stream that reads the next page only when the items of
    /// the previous one are consumed: any number of items with one page in memory.
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::{Item, Query};
    /// use futures::StreamExt;
    /// let mut readings = db.query_stream::<Item>(&Query::partition("device-1"));
    /// while let Some(reading) = readings.next().await {
    ///     println!("{:?}", reading?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn query_stream<T: DeserializeOwned + Send + 'static>(
        &self,
        query: &Query,
    ) -> BoxStream<'static, Result<T>> {
        self.items_of(self.query_pages(query, false))
    }

    /// The item with the highest sort key among those matching `query` (as Python's
    /// `query_one`), or the lowest with [`Query::direction`]`(Direction::Lowest)`; `None` when
    /// nothing matches. One request (`Limit 1`), more only to pass expired items hidden by
    /// [`hide_expired`](crate::DynamoDbAccessBuilder::hide_expired).
    ///
    /// ```no_run
    /// # async fn demo(db: awsimple_dynamodb::DynamoDbAccess) -> awsimple_dynamodb::Result<()> {
    /// use awsimple_dynamodb::{Direction, Item, Query};
    /// let latest: Option<Item> = db.query_one(&Query::partition("device-1")).await?;
    /// let first: Option<Item> =
    ///     db.query_one(&Query::partition("device-1").direction(Direction::Lowest)).await?;
    /// # let _ = (latest, first); Ok(()) }
    /// ```
    pub async fn query_one<T: DeserializeOwned + 'static>(
        &self,
        query: &Query,
    ) -> Result<Option<T>> {
        traced("query_one", self.table_name(), async {
            let mut pages = self.query_pages(query, true);
            while let Some(page) = pages.try_next().await? {
                let now = SystemTime::now();
                if let Some(raw) = page.into_iter().find(|raw| self.visible(raw, now)) {
                    return item::from_raw_item(raw, self.resource()).map(Some);
                }
            }
            Ok(None)
        })
        .await
    }

    /// The first stored item from the query's end of the sort key (default highest), expired or
    /// not (one request).
    pub(crate) async fn query_first_raw(&self, query: &Query) -> Result<Option<RawItem>> {
        let mut pages = self.query_pages(query, true);
        Ok(pages
            .try_next()
            .await?
            .and_then(|page| page.into_iter().next()))
    }

    /// The pages of `query`, one Query request each, sent when the stream is polled for the
    /// next page; with `one`, pages of one item from the query's end (default highest).
    fn query_pages(&self, query: &Query, one: bool) -> BoxStream<'static, Result<Vec<RawItem>>> {
        let db = self.clone();
        let query = query.clone();
        stream::once(async move {
            let request = db.query_request(&query, one).await?;
            Ok::<_, Error>(query_pages(db, request))
        })
        .try_flatten()
        .boxed()
    }

    /// Checks `query` against the schema and prepares its request.
    async fn query_request(&self, query: &Query, one: bool) -> Result<QueryRequest> {
        let schema = self.schema().await?;
        let what = || format!("query on {}", self.resource());
        let attribute = query.attribute.as_deref().unwrap_or(&schema.partition.name);
        let (index, partition, sort) = if attribute == schema.partition.name {
            (None, &schema.partition, schema.sort.as_ref())
        } else {
            let index = schema.index_for(attribute).ok_or_else(|| {
                Error::invalid(
                    what(),
                    format!("{attribute:?} is neither the partition key nor an indexed attribute (no `{attribute}{SECONDARY_INDEX_SUFFIX}`)"),
                )
            })?;
            (
                Some(index.name.clone()),
                &index.partition,
                index.sort.as_ref(),
            )
        };
        check_key_value(partition, &query.value, MAX_PARTITION_KEY_BYTES, &what)?;
        let mut names = HashMap::from([("#p".to_owned(), partition.name.clone())]);
        let mut values = HashMap::from([(":p".to_owned(), query.value.to_attribute())]);
        let mut condition = "#p = :p".to_owned();
        if let Some(sort_condition) = &query.sort {
            let sort =
                sort.ok_or_else(|| Error::invalid(what(), "there is no sort key to narrow on"))?;
            names.insert("#s".to_owned(), sort.name.clone());
            match sort_condition {
                SortCondition::Equals(value) => {
                    check_key_value(sort, value, MAX_SORT_KEY_BYTES, &what)?;
                    values.insert(":s".to_owned(), value.to_attribute());
                    condition.push_str(" AND #s = :s");
                }
                SortCondition::BeginsWith(prefix) => {
                    values.insert(":s".to_owned(), AttributeValue::S(prefix.clone()));
                    condition.push_str(" AND begins_with(#s, :s)");
                }
            }
        }
        Ok(QueryRequest {
            index,
            condition,
            names,
            values,
            page_size: query.page_size,
            forward: match (query.direction, one) {
                (Some(direction), _) => Some(direction == Direction::Lowest),
                (None, true) => Some(false),
                (None, false) => None,
            },
            one,
        })
    }
}

/// The pages of a prepared query.
fn query_pages(
    db: DynamoDbAccess,
    query: QueryRequest,
) -> impl Stream<Item = Result<Vec<RawItem>>> + Send + 'static {
    // The state: the start key of the next page (`Some(None)` first, `None` after the last).
    stream::try_unfold(Some(None), move |next: Option<Option<RawItem>>| {
        let db = db.clone();
        let query = query.clone();
        async move {
            let Some(start) = next else {
                return Ok(None);
            };
            let request = db
                .inner
                .client
                .query()
                .table_name(&db.inner.table)
                .set_index_name(query.index)
                .key_condition_expression(query.condition)
                .set_expression_attribute_names(Some(query.names))
                .set_expression_attribute_values(Some(query.values))
                .set_exclusive_start_key(start)
                .set_limit(if query.one { Some(1) } else { query.page_size })
                .set_scan_index_forward(query.forward);
            let out = DYNAMODB
                .call("Query", db.resource(), request.send())
                .await?;
            let next = out
                .last_evaluated_key
                .filter(|key| !key.is_empty())
                .map(Some);
            Ok(Some((out.items.unwrap_or_default(), next)))
        }
    })
}
