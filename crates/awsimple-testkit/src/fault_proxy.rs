//! An HTTP fault proxy for reliability tests: it sits between the SDK and the emulator, on
//! loopback, and injects the faults real networks and real AWS produce.
//!
//! Each client connection carries one request (the proxy asks both sides for `Connection:
//! close`), so faults apply per request: reset the connection after K bytes of the request or
//! response body, stall a response after K bytes, flip a byte of a response body, delay, answer
//! an error (500, S3 `SlowDown`, DynamoDB throttling) without
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

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
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

    fn matches(&self, method: &str, head: &str) -> bool {
        self.remaining != Some(0)
            && self.method.as_deref().is_none_or(|m| m == method)
            && self.contains.as_deref().is_none_or(|c| head.contains(c))
    }
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
        tokio::spawn(serve(listener, upstream, state.clone(), stopped));
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

async fn serve(
    listener: TcpListener,
    upstream: SocketAddr,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
) {
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(_) => return,
    };
    let mut listener = Some(listener);
    loop {
        if *stopped.borrow() {
            return;
        }
        if state.refusing.load(Ordering::SeqCst) {
            listener = None; // closed: connections are refused
            tokio::select! {
                _ = stopped.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
            continue;
        }
        if listener.is_none() {
            match TcpListener::bind(addr).await {
                Ok(l) => listener = Some(l),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        }
        let Some(active) = listener.as_ref() else {
            continue;
        };
        tokio::select! {
            _ = stopped.changed() => return,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            accepted = active.accept() => {
                if let Ok((client, _)) = accepted {
                    let state = state.clone();
                    let stopped = stopped.clone();
                    tokio::spawn(async move {
                        let mut stopped = stopped;
                        tokio::select! {
                            _ = handle(client, upstream, state) => {}
                            _ = stopped.changed() => {}
                        }
                    });
                }
            }
        }
    }
}

/// Reads up to the end of the HTTP head; returns (head, bytes already read past it).
async fn read_head(stream: &mut TcpStream) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Some((buffer, rest));
        }
        if buffer.len() > 256 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The head with any `Connection` header replaced by `Connection: close`.
fn with_connection_close(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(text.len() + 20);
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

fn content_length(head: &str) -> Option<u64> {
    head.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

fn is_chunked(head: &str) -> bool {
    head.split("\r\n").any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
        })
    })
}

#[allow(deprecated)] // SO_LINGER 0 resets at once and does not block on drop
fn reset(stream: &TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
}

async fn handle(mut client: TcpStream, upstream: SocketAddr, state: Arc<State>) {
    let Some((head, early_body)) = read_head(&mut client).await else {
        return;
    };
    state.requests.fetch_add(1, Ordering::SeqCst);
    let head_text = String::from_utf8_lossy(&head).into_owned();
    let method = head_text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let fault = {
        let mut rules = state.rules.lock().unwrap_or_else(PoisonError::into_inner);
        rules
            .iter_mut()
            .find(|rule| rule.matches(&method, &head_text))
            .and_then(|rule| {
                if rule.skip > 0 {
                    rule.skip -= 1;
                    return None;
                }
                if let Some(n) = rule.remaining.as_mut() {
                    *n -= 1;
                }
                Some(rule.fault.clone())
            })
    };
    if fault.is_some() {
        state.faults.fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Some(Fault::Respond {
            status,
            content_type,
            body,
        }) => {
            drain_body(&mut client, &head_text, early_body.len() as u64).await;
            let response = format!(
                "HTTP/1.1 {status} Fault\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 x-amzn-RequestId: fault-proxy\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(response.as_bytes()).await;
            let _ = client.shutdown().await;
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            forward(client, upstream, &head, early_body, None, None).await;
        }
        Some(Fault::ResetRequestAfter(n)) => {
            forward(client, upstream, &head, early_body, Some(n), None).await;
        }
        Some(Fault::ResetResponseAfter(n)) => {
            let fault = Some(ResponseFault::ResetAfter(n));
            forward(client, upstream, &head, early_body, None, fault).await;
        }
        Some(Fault::StallResponseAfter(n)) => {
            let fault = Some(ResponseFault::StallAfter(n));
            forward(client, upstream, &head, early_body, None, fault).await;
        }
        Some(Fault::CorruptResponseByte(n)) => {
            let fault = Some(ResponseFault::CorruptByte(n));
            forward(client, upstream, &head, early_body, None, fault).await;
        }
        None => forward(client, upstream, &head, early_body, None, None).await,
    }
}

/// Reads and discards the request body (so the client sees our answer, not a broken pipe).
async fn drain_body(client: &mut TcpStream, head: &str, already: u64) {
    let mut buffer = vec![0u8; 64 * 1024];
    if let Some(length) = content_length(head) {
        let mut left = length.saturating_sub(already);
        while left > 0 {
            match tokio::time::timeout(Duration::from_secs(10), client.read(&mut buffer)).await {
                Ok(Ok(n)) if n > 0 => left = left.saturating_sub(n as u64),
                _ => return,
            }
        }
    } else if is_chunked(head) {
        let mut tail: Vec<u8> = Vec::new();
        loop {
            if find(&tail, b"0\r\n\r\n").is_some() {
                return;
            }
            match tokio::time::timeout(Duration::from_secs(10), client.read(&mut buffer)).await {
                Ok(Ok(n)) if n > 0 => {
                    tail.extend_from_slice(&buffer[..n]);
                    let keep = tail.len().saturating_sub(8);
                    tail.drain(..keep);
                }
                _ => return,
            }
        }
    }
}

/// Copies `from` to `to`; after `limit` bytes (counting `already`), stops and reports `true`.
async fn pipe(
    from: &mut (impl AsyncRead + Unpin),
    to: &mut (impl AsyncWrite + Unpin),
    mut already: u64,
    limit: Option<u64>,
) -> bool {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        if limit.is_some_and(|l| already >= l) {
            return true;
        }
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let n = match limit {
            Some(l) => n.min((l - already) as usize),
            None => n,
        };
        if to.write_all(&buffer[..n]).await.is_err() {
            return false;
        }
        already += n as u64;
    }
}

/// What happens to a response body on its way to the client.
#[derive(Clone, Copy, Debug)]
enum ResponseFault {
    ResetAfter(u64),
    StallAfter(u64),
    CorruptByte(u64),
}

/// Copies a response body to the client with its fault; `true` when the connection should be
/// reset.
async fn pipe_response(
    from: &mut (impl AsyncRead + Unpin),
    to: &mut (impl AsyncWrite + Unpin),
    fault: Option<ResponseFault>,
) -> bool {
    match fault {
        None => pipe(from, to, 0, None).await,
        Some(ResponseFault::ResetAfter(n)) => pipe(from, to, 0, Some(n)).await,
        Some(ResponseFault::StallAfter(n)) => {
            if pipe(from, to, 0, Some(n)).await {
                let _ = to.flush().await;
                // Frozen: nothing more, the connection held open (until the proxy stops).
                std::future::pending::<()>().await;
            }
            false
        }
        Some(ResponseFault::CorruptByte(offset)) => {
            let mut buffer = vec![0u8; 64 * 1024];
            let mut done = 0u64;
            loop {
                let n = match from.read(&mut buffer).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => n,
                };
                if (done..done + n as u64).contains(&offset) {
                    buffer[(offset - done) as usize] ^= 0xff;
                }
                if to.write_all(&buffer[..n]).await.is_err() {
                    return false;
                }
                done += n as u64;
            }
        }
    }
}

async fn forward(
    mut client: TcpStream,
    upstream: SocketAddr,
    head: &[u8],
    early_body: Vec<u8>,
    reset_request_after: Option<u64>,
    response_fault: Option<ResponseFault>,
) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        reset(&client);
        return;
    };
    if server
        .write_all(&with_connection_close(head))
        .await
        .is_err()
    {
        return;
    }
    let early = match reset_request_after {
        Some(limit) => &early_body[..early_body.len().min(limit as usize)],
        None => &early_body[..],
    };
    if server.write_all(early).await.is_err() {
        return;
    }
    let reset_now = {
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        let upload = pipe(
            &mut client_read,
            &mut server_write,
            early.len() as u64,
            reset_request_after,
        );
        let download = async {
            // The response head, with `Connection: close`, then its body.
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while find(&head, b"\r\n\r\n").is_none() {
                match server_read.read(&mut byte).await {
                    Ok(1) => head.push(byte[0]),
                    _ => return false,
                }
            }
            if client_write
                .write_all(&with_connection_close(&head))
                .await
                .is_err()
            {
                return false;
            }
            pipe_response(&mut server_read, &mut client_write, response_fault).await
        };
        tokio::pin!(upload);
        tokio::pin!(download);
        let mut upload_done = false;
        loop {
            tokio::select! {
                cut = &mut upload, if !upload_done => {
                    if cut {
                        break true;
                    }
                    upload_done = true;
                }
                cut = &mut download => break cut,
            }
        }
    };
    if reset_now {
        reset(&client);
        reset(&server);
    } else {
        let _ = client.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_rewritten_to_close() {
        let head = b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n";
        let out = String::from_utf8(with_connection_close(head)).unwrap_or_default();
        assert_eq!(
            out,
            "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(
            content_length("PUT / HTTP/1.1\r\ncontent-length: 42\r\n"),
            Some(42)
        );
        assert!(is_chunked(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
        ));
    }

    #[test]
    fn rules_count_down() {
        let mut rule = Rule::new(Fault::internal_error()).first(1).method("put");
        assert!(rule.matches("PUT", "PUT /b/k HTTP/1.1"));
        assert!(!rule.matches("GET", "GET /b/k HTTP/1.1"));
        rule.remaining = Some(0);
        assert!(!rule.matches("PUT", "PUT /b/k HTTP/1.1"));
        let targeted = Rule::new(Fault::dynamodb_throttling()).head_contains("BatchWriteItem");
        assert!(targeted.matches("POST", "X-Amz-Target: DynamoDB_20120810.BatchWriteItem"));
        assert!(!targeted.matches("POST", "X-Amz-Target: DynamoDB_20120810.GetItem"));
    }
}
