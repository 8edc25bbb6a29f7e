//! The wire side of the fault proxy: reading requests, forwarding them, and applying faults.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::{Fault, State};

pub(super) async fn serve(
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
    use crate::fault_proxy::Rule;

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
        let by_header = Rule::new(Fault::s3_unsupported_checksum()).header("X-Amz-Checksum-SHA512");
        assert!(by_header.matches(
            "PUT",
            "PUT /b/k HTTP/1.1\r\nx-amz-checksum-sha512: AA==\r\n"
        ));
        assert!(!by_header.matches(
            "PUT",
            "PUT /b/k HTTP/1.1\r\nx-amz-trailer: x-amz-checksum-sha512\r\n"
        ));
    }
}
