//! An HTTP fault proxy for reliability tests: it sits between the SDK and the emulator, on
//! loopback, and injects the faults real networks and real AWS produce.
//!
//! Each client connection carries one request (the proxy asks both sides for `Connection:
//! close`), so faults apply per request: reset the connection after K bytes of the request or
//! response body, stall a response after K bytes, flip a byte of a response body, delay, answer
//! an error (500, S3 `SlowDown`, an unsupported checksum, DynamoDB throttling) without
//! forwarding, or refuse connections altogether. Rules apply to the first N matching requests and
//! then stop, so every fault scenario is bounded; the proxy stops when its handle is dropped.
//!
//! ```no_run
//! # async fn demo() {
//! use awsimple_testkit::{emulator_endpoint, fault_proxy::{Fault, FaultProxy, Rule}};
//!
//! let proxy = FaultProxy::start(&emulator_endpoint()).await.unwrap();
//! proxy.add_rule(Rule::new(Fault::s3_slow_down()).first(2));
//! // Point an AwsAccess at proxy.endpoint(): the first two requests get 503 SlowDown.
//! # }
//! ```

mod wire;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

/// What to do to a request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Forward the request head and this many bytes of its body, then reset the connection.
    ResetRequestAfter(u64),
    /// Forward the response head and this many bytes of its body, then reset the connection.
    ResetResponseAfter(u64),
    /// Forward the response head and this many bytes of its body, then send nothing more and
    /// keep the connection open until the client gives up or the proxy stops (a server frozen
    /// mid-answer, as under `SIGSTOP`). `0` stalls right after the head.
    StallResponseAfter(u64),
    /// Forward the whole exchange, but flip every bit of the response body's byte at this
    /// offset (counted in the body as sent: chunk framing counts): a corruption in transit.
    CorruptResponseByte(u64),
    /// Wait this long, then forward normally.
    Delay(Duration),
    /// Answer this without forwarding the request.
    Respond {
        /// HTTP status.
        status: u16,
        /// `Content-Type` of the body.
        content_type: String,
        /// The body.
        body: String,
    },
}

impl Fault {
    /// S3's `503 SlowDown`.
    pub fn s3_slow_down() -> Self {
        Fault::Respond {
            status: 503,
            content_type: "application/xml".to_owned(),
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                   <Message>Please reduce your request rate.</Message></Error>"
                .to_owned(),
        }
    }

    /// A `500 InternalError` in S3's XML form (other services read the status).
    pub fn internal_error() -> Self {
        Fault::Respond {
            status: 500,
            content_type: "application/xml".to_owned(),
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
                   <Message>We encountered an internal error. Please try again.</Message></Error>"
                .to_owned(),
        }
    }

    /// `400 InvalidRequest` for a checksum algorithm the store does not know, as S3-compatible
    /// stores older than SHA-512 checksums answer (SeaweedFS). Pair it with
    /// [`Rule::header`]`("x-amz-checksum-sha512")`.
    pub fn s3_unsupported_checksum() -> Self {
        Fault::Respond {
            status: 400,
            content_type: "application/xml".to_owned(),
            body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidRequest</Code>\
                   <Message>unsupported checksum algorithm</Message></Error>"
                .to_owned(),
        }
    }

    /// DynamoDB's `400 ThrottlingException` (JSON protocol).
    pub fn dynamodb_throttling() -> Self {
        Fault::Respond {
            status: 400,
            content_type: "application/x-amz-json-1.0".to_owned(),
            body: r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#
                .to_owned(),
        }
    }

    /// DynamoDB's `400 ProvisionedThroughputExceededException`.
    pub fn dynamodb_throughput_exceeded() -> Self {
        Fault::Respond {
            status: 400,
            content_type: "application/x-amz-json-1.0".to_owned(),
            body: r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#
                .to_owned(),
        }
    }
}

/// A fault and the requests it applies to.
#[derive(Clone, Debug)]
pub struct Rule {
    fault: Fault,
    skip: u64,
    remaining: Option<u64>,
    method: Option<String>,
    contains: Option<String>,
    header: Option<String>,
}

impl Rule {
    /// A rule applying `fault` to every request, until limited with [`Rule::first`].
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            skip: 0,
            remaining: None,
            method: None,
            contains: None,
            header: None,
        }
    }

    /// Applies to the first `n` matching requests only.
    pub fn first(mut self, n: u64) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Lets the first `n` matching requests through untouched (to fail, say, the second page
    /// of a scan).
    pub fn after(mut self, n: u64) -> Self {
        self.skip = n;
        self
    }

    /// Matches only this HTTP method (`GET`, `PUT`, ...).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Matches only requests whose head (request line and headers) contains `text`, e.g. a path,
    /// `partNumber=`, or a DynamoDB target such as `DynamoDB_20120810.BatchWriteItem`.
    pub fn head_contains(mut self, text: &str) -> Self {
        self.contains = Some(text.to_owned());
        self
    }

    /// Matches only requests carrying this header (its name, in any case), e.g.
    /// `x-amz-checksum-sha512`.
    pub fn header(mut self, name: &str) -> Self {
        self.header = Some(name.to_ascii_lowercase());
        self
    }

    fn matches(&self, method: &str, head: &str) -> bool {
        self.remaining != Some(0)
            && self.method.as_deref().is_none_or(|m| m == method)
            && self.contains.as_deref().is_none_or(|c| head.contains(c))
            && self.header.as_deref().is_none_or(|h| has_header(head, h))
    }
}

/// Does the request head carry a header named `name` (lower case)?
fn has_header(head: &str, name: &str) -> bool {
    head.split("\r\n").skip(1).any(|line| {
        line.split_once(':')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
    })
}

#[derive(Default)]
struct State {
    rules: Mutex<Vec<Rule>>,
    requests: AtomicU64,
    faults: AtomicU64,
    refusing: AtomicBool,
}

/// A running fault proxy. Dropping it stops it.
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (`http://127.0.0.1:port`,
    /// which must be a loopback address).
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let authority = upstream
            .strip_prefix("http://")
            .unwrap_or(upstream)
            .trim_end_matches('/');
        let upstream: SocketAddr = authority.parse().map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("upstream must be http://<loopback ip>:<port>: {e}"),
            )
        })?;
        if !upstream.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the fault proxy only forwards to loopback addresses",
            ));
        }
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(wire::serve(listener, upstream, state.clone(), stopped));
        Ok(Self {
            addr,
            upstream,
            state,
            stop,
        })
    }

    /// `http://127.0.0.1:<port>`: point an `AwsAccess` here.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds a rule (rules are tried in the order added; the first that matches applies).
    pub fn add_rule(&self, rule: Rule) {
        self.rules().push(rule);
    }

    /// Removes every rule: requests pass through untouched.
    pub fn clear_rules(&self) {
        self.rules().clear();
    }

    /// While true, connections are refused (the listening socket is closed).
    pub fn set_refusing(&self, refusing: bool) {
        self.state.refusing.store(refusing, Ordering::SeqCst);
    }

    /// Requests seen (refused connections are not requests).
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Faults applied so far.
    pub fn faults_applied(&self) -> u64 {
        self.state.faults.load(Ordering::SeqCst)
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.state
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
