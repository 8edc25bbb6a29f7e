//! Typed update and condition expressions: [`Update`] and [`Condition`], rendered with `#n`/`:v`
//! placeholders so that any attribute name works, reserved words (`name`, `status`) included.
//! Pure: no request is sent here.

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use aws_sdk_dynamodb::types::AttributeValue;
use awsimple_core::{Error, Result};
use serde::Serialize;

use crate::item::RawItem;
use crate::validate;
use crate::{clock, exact};

/// A value given to a builder: converted at once, a conversion failure reported when the
/// expression is used (so that builders chain without `?`).
type Value = std::result::Result<AttributeValue, String>;

fn value<V: Serialize>(value: V) -> Value {
    let mut value =
        serde_dynamo::to_attribute_value::<_, AttributeValue>(value).map_err(|e| e.to_string())?;
    exact::restore(&mut value);
    Ok(value)
}

/// A condition on the stored item: a put, update or delete (or a transaction's condition
/// check) happens only when it holds, else the call fails with
/// [`Error::Precondition`](awsimple_core::Error::Precondition) and nothing is written.
///
/// Attribute names are top-level attribute names (any name: reserved words and names with dots
/// are sent as `#n` placeholders). Values are anything `Serialize`, converted as items are.
///
/// ```
/// use awsimple_dynamodb::Condition;
/// let pending = Condition::equals("status", "pending").and(Condition::exists("owner"));
/// let fresh = Condition::not_exists("id");
/// let affordable = Condition::greater_or_equal("balance", 10).or(!Condition::exists("limit"));
/// # let _ = (pending, fresh, affordable);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    node: Node,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Exists(String),
    NotExists(String),
    Compare(String, Comparison, Value),
    BeginsWith(String, String),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn operator(self) -> &'static str {
        match self {
            Comparison::Equal => "=",
            Comparison::NotEqual => "<>",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
        }
    }
}

impl Condition {
    fn compare<V: Serialize>(attribute: impl Into<String>, cmp: Comparison, v: V) -> Self {
        Condition {
            node: Node::Compare(attribute.into(), cmp, value(v)),
        }
    }

    /// The item exists and has attribute `attribute` (`attribute_exists`).
    pub fn exists(attribute: impl Into<String>) -> Self {
        Condition {
            node: Node::Exists(attribute.into()),
        }
    }

    /// The item does not exist or lacks attribute `attribute` (`attribute_not_exists`); on a key
    /// attribute: no item with this key exists.
    pub fn not_exists(attribute: impl Into<String>) -> Self {
        Condition {
            node: Node::NotExists(attribute.into()),
        }
    }

    /// Attribute `attribute` equals `value` (false when it is absent).
    pub fn equals<V: Serialize>(attribute: impl Into<String>, value: V) -> Self {
        Self::compare(attribute, Comparison::Equal, value)
    }

    /// Attribute `attribute` differs from `value` (true when it is absent).
    pub fn not_equals<V: Serialize>(attribute: impl Into<String>, value: V) -> Self {
        Self::compare(attribute, Comparison::NotEqual, value)
    }

    /// Attribute `attribute` is less than `value` (numbers by value, strings and bytes bytewise).
    pub fn less_than<V: Serialize>(attribute: impl Into<String>, value: V) -> Self {
        Self::compare(attribute, Comparison::Less, value)
    }

    /// Attribute `attribute` is at most `value`.
    pub fn less_or_equal<V: Serialize>(attribute: impl Into<String>, value: V) -> Self {
        Self::compare(attribute, Comparison::LessOrEqual, value)
    }

    /// Attribute `attribute` is greater than `value`.
    pub fn greater_than<V: Serialize>(attribute: impl Into<String>, value: V) -> Self {
        Self::compare(attribute, Comparison::Greater, value)
    }

    /// Attribute `attribute` is at least `value`.
    pub fn greater_or_equal<V: Serialize>(attribute: impl Into<String>, value: V) -> Self {
        Self::compare(attribute, Comparison::GreaterOrEqual, value)
    }

    /// The string attribute `attribute` begins with `prefix`.
    pub fn begins_with(attribute: impl Into<String>, prefix: impl Into<String>) -> Self {
        Condition {
            node: Node::BeginsWith(attribute.into(), prefix.into()),
        }
    }

    /// Both conditions hold.
    pub fn and(self, other: Condition) -> Self {
        Condition {
            node: Node::And(Box::new(self.node), Box::new(other.node)),
        }
    }

    /// At least one of the conditions holds.
    pub fn or(self, other: Condition) -> Self {
        Condition {
            node: Node::Or(Box::new(self.node), Box::new(other.node)),
        }
    }

    /// Renders the condition, its names and values into `placeholders`.
    pub(crate) fn render(&self, placeholders: &mut Placeholders) -> Result<String> {
        render_node(&self.node, placeholders)
    }
}

/// The condition does not hold (`NOT`).
impl std::ops::Not for Condition {
    type Output = Condition;

    fn not(self) -> Condition {
        Condition {
            node: Node::Not(Box::new(self.node)),
        }
    }
}

fn render_node(node: &Node, p: &mut Placeholders) -> Result<String> {
    Ok(match node {
        Node::Exists(a) => format!("attribute_exists({})", p.name(a)?),
        Node::NotExists(a) => format!("attribute_not_exists({})", p.name(a)?),
        Node::Compare(a, cmp, v) => {
            let name = p.name(a)?;
            format!("{name} {} {}", cmp.operator(), p.value(a, v)?)
        }
        Node::BeginsWith(a, prefix) => {
            let name = p.name(a)?;
            let v = p.value(a, &Ok(AttributeValue::S(prefix.clone())))?;
            format!("begins_with({name}, {v})")
        }
        Node::And(l, r) => format!("({}) AND ({})", render_node(l, p)?, render_node(r, p)?),
        Node::Or(l, r) => format!("({}) OR ({})", render_node(l, p)?, render_node(r, p)?),
        Node::Not(c) => format!("NOT ({})", render_node(c, p)?),
    })
}

/// Changes to one item, sent as an UpdateItem update expression (`SET`, `ADD`, `REMOVE`), with
/// an optional [`Condition`]. The item is created when missing (with its key and the attributes
/// set or added), as UpdateItem does.
///
/// Attribute names are top-level attribute names (reserved words work). Key attributes cannot
/// be changed; on a handle with a
/// [version attribute](crate::DynamoDbAccessBuilder::version_attribute) that attribute is the
/// library's to change.
///
/// ```
/// use awsimple_dynamodb::{Condition, Update};
/// let ship = Update::new()
///     .set("status", "shipped")           // `status` is a reserved word: no matter
///     .add("shipments", 1)                // numbers add up atomically (absent counts as 0)
///     .set_if_not_exists("first_shipped", 1_700_000_000)
///     .remove("draft")
///     .condition(Condition::equals("status", "paid"));
/// # let _ = ship;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    actions: Vec<Action>,
    condition: Option<Condition>,
}

#[derive(Clone, Debug, PartialEq)]
enum Action {
    Set(String, Value),
    SetIfNotExists(String, Value),
    Add(String, Value),
    Remove(String),
    /// Sets the handle's TTL attribute (named when rendered).
    ExpiresAt(SystemTime),
}

impl Update {
    /// No changes yet.
    pub fn new() -> Self {
        Update::default()
    }

    /// Sets `attribute` to `value` (`SET #a = :v`).
    pub fn set<V: Serialize>(mut self, attribute: impl Into<String>, value: V) -> Self {
        self.actions
            .push(Action::Set(attribute.into(), self::value(value)));
        self
    }

    /// Sets `attribute` to `value` only when the item lacks it (`SET #a = if_not_exists(#a, :v)`).
    pub fn set_if_not_exists<V: Serialize>(
        mut self,
        attribute: impl Into<String>,
        value: V,
    ) -> Self {
        self.actions
            .push(Action::SetIfNotExists(attribute.into(), self::value(value)));
        self
    }

    /// Adds `value` to the number `attribute` (absent counts as 0), or its elements to the set
    /// `attribute` (`ADD #a :v`); atomic, so concurrent adds never lose one another.
    pub fn add<V: Serialize>(mut self, attribute: impl Into<String>, value: V) -> Self {
        self.actions
            .push(Action::Add(attribute.into(), self::value(value)));
        self
    }

    /// Removes `attribute` from the item (`REMOVE #a`).
    pub fn remove(mut self, attribute: impl Into<String>) -> Self {
        self.actions.push(Action::Remove(attribute.into()));
        self
    }

    /// Sets the item's expiry: the handle's
    /// [TTL attribute](crate::DynamoDbAccessBuilder::ttl_attribute) to `at` in seconds since the
    /// epoch (an [`Error::InvalidInput`] when the handle has none).
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.actions.push(Action::ExpiresAt(at));
        self
    }

    /// The change happens only when `condition` holds on the stored item (several calls: all
    /// must hold).
    pub fn condition(mut self, condition: Condition) -> Self {
        self.condition = Some(match self.condition.take() {
            Some(previous) => previous.and(condition),
            None => condition,
        });
        self
    }

    /// True when there is no change (a condition alone is no change).
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The condition, if any.
    pub(crate) fn condition_ref(&self) -> Option<&Condition> {
        self.condition.as_ref()
    }

    /// Sets `attribute` to a raw value (library use: upserts, versions).
    pub(crate) fn set_raw(mut self, attribute: impl Into<String>, value: AttributeValue) -> Self {
        self.actions.push(Action::Set(attribute.into(), Ok(value)));
        self
    }

    /// Adds a raw value (library use: version bumps).
    pub(crate) fn add_raw(mut self, attribute: impl Into<String>, value: AttributeValue) -> Self {
        self.actions.push(Action::Add(attribute.into(), Ok(value)));
        self
    }

    /// The attributes the actions change (the TTL attribute as `ttl`).
    fn targets<'a>(&'a self, ttl: Option<&'a str>) -> impl Iterator<Item = Option<&'a str>> {
        self.actions.iter().map(move |a| match a {
            Action::Set(n, _) | Action::SetIfNotExists(n, _) | Action::Add(n, _) => {
                Some(n.as_str())
            }
            Action::Remove(n) => Some(n.as_str()),
            Action::ExpiresAt(_) => ttl,
        })
    }

    /// Checks that no action touches one of `reserved` (key and version attributes), that every
    /// expiry has a TTL attribute to go to, and that no attribute is changed twice.
    pub(crate) fn check(
        &self,
        reserved: &[(&str, &str)],
        ttl: Option<&str>,
        what: &dyn Fn() -> String,
    ) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for target in self.targets(ttl) {
            let Some(name) = target else {
                return Err(Error::invalid(
                    what(),
                    "expires_at needs a TTL attribute: set one with DynamoDbAccessBuilder::ttl_attribute",
                ));
            };
            if let Some((_, why)) = reserved.iter().find(|(n, _)| *n == name) {
                return Err(Error::invalid(
                    what(),
                    format!("attribute {name:?} cannot be changed by an update: it is {why}"),
                ));
            }
            if !seen.insert(name) {
                return Err(Error::invalid(
                    what(),
                    format!("attribute {name:?} is changed twice in one update"),
                ));
            }
        }
        Ok(())
    }

    /// Renders the update expression (`SET .. ADD .. REMOVE ..`) into `placeholders`; `ttl` is
    /// the TTL attribute for [`expires_at`](Self::expires_at).
    pub(crate) fn render(&self, p: &mut Placeholders, ttl: Option<&str>) -> Result<String> {
        let mut sets = Vec::new();
        let mut adds = Vec::new();
        let mut removes = Vec::new();
        for action in &self.actions {
            match action {
                Action::Set(a, v) => {
                    let name = p.name(a)?;
                    sets.push(format!("{name} = {}", p.value(a, v)?));
                }
                Action::SetIfNotExists(a, v) => {
                    let name = p.name(a)?;
                    sets.push(format!(
                        "{name} = if_not_exists({name}, {})",
                        p.value(a, v)?
                    ));
                }
                Action::Add(a, v) => {
                    let name = p.name(a)?;
                    adds.push(format!("{name} {}", p.value(a, v)?));
                }
                Action::Remove(a) => removes.push(p.name(a)?),
                Action::ExpiresAt(at) => {
                    let a = ttl.ok_or_else(|| {
                        Error::invalid(p.what(), "expires_at needs a TTL attribute")
                    })?;
                    let name = p.name(a)?;
                    let v = Ok(AttributeValue::N(epoch_seconds(*at).to_string()));
                    sets.push(format!("{name} = {}", p.value(a, &v)?));
                }
            }
        }
        let mut clauses = Vec::new();
        for (keyword, parts) in [("SET", sets), ("ADD", adds), ("REMOVE", removes)] {
            if !parts.is_empty() {
                clauses.push(format!("{keyword} {}", parts.join(", ")));
            }
        }
        if clauses.is_empty() {
            return Err(Error::invalid(p.what(), "there is nothing to update"));
        }
        Ok(clauses.join(" "))
    }
}

/// Whole seconds since the epoch, the unit of DynamoDB TTL attributes.
pub(crate) fn epoch_seconds(at: SystemTime) -> u64 {
    clock::since_epoch(at).as_secs()
}

/// The `#n` names and `:v` values of one request's expressions (each attribute name gets one
/// placeholder, reused; every value its own). Values are checked as item values are.
pub(crate) struct Placeholders {
    what: String,
    names: HashMap<String, String>,
    by_name: HashMap<String, String>,
    values: RawItem,
}

impl fmt::Debug for Placeholders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Placeholders")
            .field("names", &self.names)
            .field("values", &self.values.len())
            .finish()
    }
}

impl Placeholders {
    /// Placeholders for the request `what` (named in errors).
    pub(crate) fn new(what: impl Into<String>) -> Self {
        Placeholders {
            what: what.into(),
            names: HashMap::new(),
            by_name: HashMap::new(),
            values: RawItem::new(),
        }
    }

    fn what(&self) -> String {
        self.what.clone()
    }

    /// The placeholder of attribute `name`.
    pub(crate) fn name(&mut self, name: &str) -> Result<String> {
        if name.is_empty() {
            return Err(Error::invalid(self.what(), "an attribute name is empty"));
        }
        if let Some(placeholder) = self.by_name.get(name) {
            return Ok(placeholder.clone());
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_owned());
        self.by_name.insert(name.to_owned(), placeholder.clone());
        Ok(placeholder)
    }

    /// A placeholder for `value` (of attribute `attribute`, for errors).
    fn value(&mut self, attribute: &str, value: &Value) -> Result<String> {
        let value = match value {
            Ok(v) => v.clone(),
            Err(e) => {
                return Err(Error::serialization(
                    self.what(),
                    format!("the value for attribute {attribute:?}: {e}"),
                ));
            }
        };
        let what = self.what();
        validate::check_value(&value, attribute, &|| what.clone())?;
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        Ok(placeholder)
    }

    /// The names and values for the request (`None` when empty: DynamoDB rejects empty maps).
    pub(crate) fn into_parts(self) -> (Option<HashMap<String, String>>, Option<RawItem>) {
        (
            (!self.names.is_empty()).then_some(self.names),
            (!self.values.is_empty()).then_some(self.values),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_placeholders_reusing_names() {
        let update = Update::new()
            .set("name", "x")
            .add("count", 2)
            .set_if_not_exists("created", 5)
            .remove("status")
            .condition(Condition::equals("status", "open").and(!Condition::exists("name")));
        let mut p = Placeholders::new("test");
        let expr = update.render(&mut p, None).unwrap_or_default();
        let cond = update
            .condition_ref()
            .map(|c| c.render(&mut p).unwrap_or_default());
        assert_eq!(
            expr,
            "SET #n0 = :v0, #n2 = if_not_exists(#n2, :v2) ADD #n1 :v1 REMOVE #n3"
        );
        assert_eq!(
            cond.as_deref(),
            Some("(#n3 = :v3) AND (NOT (attribute_exists(#n0)))")
        );
        let (names, values) = p.into_parts();
        let names = names.unwrap_or_default();
        assert_eq!(names.get("#n3").map(String::as_str), Some("status"));
        assert_eq!(names.len(), 4);
        assert_eq!(values.unwrap_or_default().len(), 4);
    }

    #[test]
    fn bad_updates_are_rejected() {
        let mut p = Placeholders::new("test");
        assert!(Update::new().render(&mut p, None).is_err(), "empty");
        assert!(
            Update::new()
                .expires_at(SystemTime::now())
                .check(&[], None, &|| "u".into())
                .is_err(),
            "no TTL attribute"
        );
        let key = [("id", "the partition key")];
        let what = || "u".to_owned();
        assert!(Update::new().set("id", 1).check(&key, None, &what).is_err());
        assert!(
            Update::new()
                .set("a", 1)
                .add("a", 1)
                .check(&key, None, &what)
                .is_err()
        );
        assert!(
            Update::new()
                .set("a", f64::NAN)
                .render(&mut p, None)
                .is_err()
        );
        assert!(Update::new().set("a", 1).check(&key, None, &what).is_ok());
    }
}
