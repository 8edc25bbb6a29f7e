//! Queries: [`Query`], [`DynamoDbAccess::query`] and [`DynamoDbAccess::query_one`].

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};
use serde::de::DeserializeOwned;

use crate::access::{DYNAMODB, DynamoDbAccess};
use crate::item::{self, KeyValue, RawItem};
use crate::schema::{SECONDARY_INDEX_SUFFIX, check_key_value};

/// Which end of a partition [`DynamoDbAccess::query_one`] returns.
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
/// use awsimple_dynamodb::Query;
/// let by_user = Query::partition("user-1");                       // the table's partition key
/// let range = Query::partition("user-1").sort_begins_with("2024-"); // begins_with on the sort key
/// let by_email = Query::attribute("email", "a@example.com");     // routed to `email-index`
/// # let _ = (by_user, range, by_email);
/// ```
#[derive(Clone, Debug)]
pub struct Query {
    attribute: Option<String>,
    value: KeyValue,
    sort: Option<SortCondition>,
    page_size: Option<i32>,
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
}

impl DynamoDbAccess {
    /// All items matching `query`, every page.
    pub async fn query<T: DeserializeOwned + 'static>(&self, query: &Query) -> Result<Vec<T>> {
        let raws = self.query_raw(query, None).await?;
        raws.into_iter()
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .collect()
    }

    /// The item with the lowest or highest sort key among those matching `query` (one request,
    /// `Limit 1`); `None` when nothing matches.
    pub async fn query_one<T: DeserializeOwned + 'static>(
        &self,
        query: &Query,
        direction: Direction,
    ) -> Result<Option<T>> {
        let mut raws = self.query_raw(query, Some(direction)).await?;
        raws.pop()
            .map(|raw| item::from_raw_item(raw, self.resource()))
            .transpose()
    }

    /// The raw items matching `query`: every page, or with `one` the first item from that end.
    pub(crate) async fn query_raw(
        &self,
        query: &Query,
        one: Option<Direction>,
    ) -> Result<Vec<RawItem>> {
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
        check_key_value(partition, &query.value, &what)?;
        let mut names = HashMap::from([("#p".to_owned(), partition.name.clone())]);
        let mut values = HashMap::from([(":p".to_owned(), query.value.to_attribute())]);
        let mut condition = "#p = :p".to_owned();
        if let Some(sort_condition) = &query.sort {
            let sort =
                sort.ok_or_else(|| Error::invalid(what(), "there is no sort key to narrow on"))?;
            names.insert("#s".to_owned(), sort.name.clone());
            match sort_condition {
                SortCondition::Equals(value) => {
                    check_key_value(sort, value, &what)?;
                    values.insert(":s".to_owned(), value.to_attribute());
                    condition.push_str(" AND #s = :s");
                }
                SortCondition::BeginsWith(prefix) => {
                    values.insert(":s".to_owned(), AttributeValue::S(prefix.clone()));
                    condition.push_str(" AND begins_with(#s, :s)");
                }
            }
        }
        let mut items = Vec::new();
        let mut start: Option<RawItem> = None;
        loop {
            let mut request = self
                .inner
                .client
                .query()
                .table_name(&self.inner.table)
                .set_index_name(index.clone())
                .key_condition_expression(&condition)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .set_exclusive_start_key(start.take())
                .set_limit(query.page_size);
            if let Some(direction) = one {
                request = request
                    .scan_index_forward(direction == Direction::Lowest)
                    .limit(1);
            }
            let out = DYNAMODB
                .call("Query", self.resource(), request.send())
                .await?;
            items.extend(out.items.unwrap_or_default());
            if one.is_some() {
                return Ok(items);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}
