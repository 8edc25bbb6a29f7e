//! [`DynamoDbAccessBuilder`]: the settings of a [`DynamoDbAccess`], and its constructors.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use awsimple_core::{AwsAccess, Error, Result};

use crate::access::{DynamoDbAccess, Inner};
use crate::schema::check_table_name;

/// The default clock difference allowed between writers and readers of a table (100 s, as in
/// Python); see [`DynamoDbAccessBuilder::clock_skew`].
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(100);

/// The default window in which writes share one modification-time record (10 s); see
/// [`DynamoDbAccessBuilder::mtime_window`].
pub const DEFAULT_MTIME_WINDOW: Duration = Duration::from_secs(10);

/// Options of a [`DynamoDbAccess`]; from [`DynamoDbAccess::builder`].
#[derive(Debug)]
pub struct DynamoDbAccessBuilder {
    access: AwsAccess,
    table: String,
    cache_dir: Option<PathBuf>,
    cache_life: Option<Duration>,
    clock_skew: Duration,
    mtime_window: Duration,
    version_attribute: Option<String>,
    ttl_attribute: Option<String>,
    hide_expired: bool,
}

impl DynamoDbAccess {
    /// A handle on `table` with default options.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid table name.
    pub fn new(access: &AwsAccess, table: impl Into<String>) -> Result<Self> {
        Self::builder(access, table).build()
    }

    /// A builder for a handle on `table`.
    pub fn builder(access: &AwsAccess, table: impl Into<String>) -> DynamoDbAccessBuilder {
        DynamoDbAccessBuilder {
            access: access.clone(),
            table: table.into(),
            cache_dir: None,
            cache_life: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
            mtime_window: DEFAULT_MTIME_WINDOW,
            version_attribute: None,
            ttl_attribute: None,
            hide_expired: false,
        }
    }
}

impl DynamoDbAccessBuilder {
    /// The folder of cached scans (default: the per-user cache folder, `awsimple/aws/dynamodb`).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// How long a cached scan may be used at most (default: no limit; the table's recorded
    /// modification time still invalidates it).
    pub fn cache_life(mut self, life: Duration) -> Self {
        self.cache_life = Some(life);
        self
    }

    /// The clock difference allowed between the hosts that write a table and this one
    /// (default [`DEFAULT_CLOCK_SKEW`], 100 s, as in Python): a cached scan is used only when it
    /// started at least this long after the table's recorded modification time.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// The window in which writes through this handle share one modification-time record
    /// (default [`DEFAULT_MTIME_WINDOW`], 10 s; zero records after every write).
    ///
    /// Why this is safe: a record written at time `t` says the table changed at `t + window`
    /// (the end of the window), writes within the window skip their own record, and a record
    /// never replaces a later one, so the recorded time is never before a write it stands for.
    /// A cached scan is used only when `recorded mtime + clock skew <= its stamp`; a scan that
    /// missed a write `w` started before `w <= recorded mtime`, so with the stamp taken when the
    /// scan starts (this library) it is never used, and with the stamp taken when it ends
    /// (Python) it is used no sooner than had each write recorded its own time. With a clock
    /// difference `d` between writer and reader, the condition is `d <= skew`. The cost: a cache
    /// written right after a burst becomes valid up to `window` later. The window must not be
    /// longer than the skew: Python writers replace the record unconditionally, and then
    /// `window <= skew` is what keeps start-stamped caches safe. Writes after the window record
    /// again.
    pub fn mtime_window(mut self, window: Duration) -> Self {
        self.mtime_window = window;
        self
    }

    /// Optimistic locking on the number attribute `attribute` (for example `"version"`): every
    /// write through this handle is based on the version the item was read at and stores the
    /// next one, so a write based on an item that changed since it was read fails instead of
    /// silently undoing the other write (a lost update).
    ///
    /// | write | based on | condition | stores |
    /// | --- | --- | --- | --- |
    /// | [`put_item`](DynamoDbAccess::put_item), a transaction's put | the item's own `attribute` (absent, `NULL` or 0: a new item) | stored version equal (new: `attribute_not_exists`) | version + 1 (new: 1) |
    /// | [`upsert_item`](DynamoDbAccess::upsert_item) | `attribute` among the attributes given, if there | as above | version + 1 |
    /// | [`update_item`](DynamoDbAccess::update_item), a transaction's update, an upsert without `attribute` | nothing (an atomic change) | none of its own | version + 1 (`ADD`) |
    /// | [`update_item_retrying`](DynamoDbAccess::update_item_retrying) | the item it reads (consistent read) | stored version equal | version + 1, retried on conflict |
    /// | [`put_item_if_not_exists`](DynamoDbAccess::put_item_if_not_exists) | nothing | no item with the key | 1 |
    ///
    /// A failed check is an [`Error::Precondition`] naming the item and the version expected.
    /// [`put_items`](DynamoDbAccess::put_items) (BatchWriteItem, which cannot check conditions)
    /// is refused with [`Error::InvalidInput`]; deletes are not checked.
    pub fn version_attribute(mut self, attribute: impl Into<String>) -> Self {
        self.version_attribute = Some(attribute.into());
        self
    }

    /// The table's time-to-live attribute (for example `"expires_at"`): a number of seconds since
    /// the epoch after which DynamoDB deletes the item (usually within a few days) once TTL is
    /// enabled ([`enable_ttl`](DynamoDbAccess::enable_ttl)). Used by
    /// [`PutItemOptions::expires_at`](crate::PutItemOptions::expires_at),
    /// [`Update::expires_at`](crate::Update::expires_at) and
    /// [`hide_expired`](Self::hide_expired).
    pub fn ttl_attribute(mut self, attribute: impl Into<String>) -> Self {
        self.ttl_attribute = Some(attribute.into());
        self
    }

    /// Reads leave out items whose [TTL attribute](Self::ttl_attribute) is in the past, which
    /// DynamoDB has not deleted yet (default false: every stored item is read, as DynamoDB
    /// returns them). Applies to gets, queries, scans (cached ones too: the cache keeps every
    /// item, each read filters) and their streams, batch and transaction gets, and CSV dumps.
    /// Needs a TTL attribute.
    pub fn hide_expired(mut self, hide: bool) -> Self {
        self.hide_expired = hide;
        self
    }

    /// Builds the handle (no request is sent).
    ///
    /// ```no_run
    /// # async fn demo(access: awsimple_dynamodb::AwsAccess) -> awsimple_dynamodb::Result<()> {
    /// use std::time::Duration;
    /// use awsimple_dynamodb::DynamoDbAccess;
    /// let db = DynamoDbAccess::builder(&access, "users")
    ///     .cache_life(Duration::from_secs(600))
    ///     .version_attribute("version")
    ///     .build()?;
    /// # let _ = db; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid table name, a window longer than the skew, an empty
    /// attribute name, or `hide_expired` without a TTL attribute.
    pub fn build(self) -> Result<DynamoDbAccess> {
        check_table_name(&self.table)?;
        if self.mtime_window > self.clock_skew {
            return Err(Error::invalid(
                "mtime window",
                format!(
                    "the window ({:?}) must not be longer than the clock skew ({:?}), or stale caches could be used",
                    self.mtime_window, self.clock_skew
                ),
            ));
        }
        for (what, attribute) in [
            ("version attribute", &self.version_attribute),
            ("TTL attribute", &self.ttl_attribute),
        ] {
            if attribute.as_deref() == Some("") {
                return Err(Error::invalid(what, "an attribute name must not be empty"));
            }
        }
        if self.version_attribute.is_some() && self.version_attribute == self.ttl_attribute {
            return Err(Error::invalid(
                "version attribute",
                "the version and the TTL attribute must differ",
            ));
        }
        if self.hide_expired && self.ttl_attribute.is_none() {
            return Err(Error::invalid(
                "hide_expired",
                "hiding expired items needs a TTL attribute (DynamoDbAccessBuilder::ttl_attribute)",
            ));
        }
        let conf = aws_sdk_dynamodb::config::Builder::from(self.access.sdk_config())
            .interceptor(self.access.request_counter().clone())
            .build();
        let client = Client::from_conf(conf);
        let resource = format!("DynamoDB table {:?}", self.table);
        Ok(DynamoDbAccess {
            inner: Arc::new(Inner {
                client,
                access: self.access,
                table: self.table,
                resource,
                cache_dir: self.cache_dir,
                cache_life: self.cache_life,
                clock_skew: self.clock_skew,
                mtime_window: self.mtime_window,
                version_attribute: self.version_attribute,
                ttl_attribute: self.ttl_attribute,
                hide_expired: self.hide_expired,
                schema: Mutex::new(None),
                last_mtime_write: Mutex::new(None),
                cache: tokio::sync::OnceCell::new(),
            }),
        })
    }
}
