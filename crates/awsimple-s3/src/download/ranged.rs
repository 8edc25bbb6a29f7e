//! Ranged downloads: parallel GETs of parts, each streamed into the file at its offset as it
//! arrives, the checksum reading the file back in order on its own thread.

use std::sync::Arc;

use awsimple_core::{Error, Result, retry_transient};
use futures::StreamExt;
use tracing::warn;

use super::{Target, body_backoff};
use crate::access::{S3, S3Access};
use crate::builder::{Progress, report};
use crate::deadline::Deadline;
use crate::local::{blocking_err, write_all_at};
use crate::object::S3ObjectMetadata;
use crate::verify::{ContentCheck, Expected, body_error, sdk_checksum_name};

impl S3Access {
    /// Parallel ranged GETs (`concurrency` in flight). Each range is streamed into the file at
    /// its offset as its body arrives, whatever the order; the checksum reads the file back in
    /// order, range by range as the ranges before it are complete, on its own thread, while the
    /// transfer goes on. Memory stays at a few body chunks per range in flight and one read
    /// buffer, whatever the part size and the object's size, and no range is held whole.
    pub(super) async fn ranged_download(
        &self,
        meta: &S3ObjectMetadata,
        expected: &Expected,
        target: Target<'_>,
        progress: Option<&Progress>,
        deadline: Deadline,
    ) -> Result<ContentCheck> {
        let part_size = self.inner.part_size;
        let ranges = meta.size.div_ceil(part_size);
        let resource = self.resource(&meta.key);
        let (arrived_tx, mut arrived_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let fetch = async {
            let arrived_tx = arrived_tx;
            let mut parts = futures::stream::iter(0..ranges)
                .map(|index| {
                    let resource = &resource;
                    async move {
                        let start = index * part_size;
                        let end = (start + part_size).min(meta.size) - 1;
                        let mut backoff = deadline.backoff(body_backoff());
                        retry_transient(&mut backoff, |attempt| {
                            if attempt > 1 {
                                warn!(key = %meta.key, start, attempt, "range interrupted: fetching it again");
                            }
                            self.get_range(meta, start, end, resource, target)
                        })
                        .await?;
                        Ok::<_, Error>(index)
                    }
                })
                .buffer_unordered(self.inner.concurrency);
            let mut done = 0u64;
            while let Some(index) = parts.next().await {
                let index = index?;
                done += (meta.size - index * part_size).min(part_size);
                // Bytes in the file so far (before the next range starts).
                report(progress, done, meta.size);
                // The receiver only goes away with an error of its own, which try_join returns.
                let _ = arrived_tx.send(index);
            }
            Ok::<_, Error>(())
        };
        let check = async {
            let mut arrived = vec![false; usize::try_from(ranges).unwrap_or(0)];
            let mut next = 0usize;
            let mut check = ContentCheck::new(expected);
            let mut buffer = Vec::new();
            while let Some(index) = arrived_rx.recv().await {
                if let Some(slot) = usize::try_from(index).ok().and_then(|i| arrived.get_mut(i)) {
                    *slot = true;
                }
                let first = next;
                while arrived.get(next).copied().unwrap_or(false) {
                    next += 1;
                }
                if next == first {
                    continue;
                }
                let from = first as u64 * part_size;
                let to = (next as u64 * part_size).min(meta.size);
                let file = Arc::clone(target.file);
                let path = target.path.to_path_buf();
                (check, buffer) = tokio::task::spawn_blocking(move || {
                    hash_from_file(&file, from, to, check, buffer)
                })
                .await
                .map_err(|e| blocking_err(&path, e))?
                .map_err(|e| Error::io(&path, e))?;
            }
            if next != arrived.len() {
                return Err(Error::unreachable(
                    "GetObject",
                    &resource,
                    format!("{next} of {ranges} ranges arrived"),
                ));
            }
            Ok(check)
        };
        let ((), check) = futures::try_join!(fetch, check)?;
        Ok(check)
    }

    /// One range of an object streamed into the file at its offset, whole or an error.
    async fn get_range(
        &self,
        meta: &S3ObjectMetadata,
        start: u64,
        end: u64,
        resource: &str,
        target: Target<'_>,
    ) -> Result<()> {
        let request = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(&meta.key)
            .range(format!("bytes={start}-{end}"))
            .if_match(format!("\"{}\"", meta.etag));
        let out = S3.call("GetObject", resource, request.send()).await?;
        let checksum = sdk_checksum_name(&out);
        let mut body = out.body;
        let mut at = start;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| body_error(resource, checksum, e))?
        {
            let len = chunk.len() as u64;
            if at + len > end + 1 {
                break;
            }
            // A page-cache write of one body chunk, as the single GET does.
            write_all_at(target.file, &chunk, at).map_err(|e| Error::io(target.path, e))?;
            at += len;
        }
        if at != end + 1 {
            return Err(Error::unreachable(
                "GetObject",
                resource,
                format!("range {start}-{end}: got {} bytes", at - start),
            ));
        }
        Ok(())
    }
}

/// The bytes `from..to` of `file` into `check`, read through `buffer` (grown to a MiB once and
/// handed back for the next call).
fn hash_from_file(
    file: &std::fs::File,
    from: u64,
    to: u64,
    mut check: ContentCheck,
    mut buffer: Vec<u8>,
) -> std::io::Result<(ContentCheck, Vec<u8>)> {
    const READ: usize = 1 << 20;
    buffer.resize(READ, 0);
    let mut at = from;
    while at < to {
        let n = READ.min(usize::try_from(to - at).unwrap_or(READ));
        read_exact_at(file, &mut buffer[..n], at)?;
        check.update(&buffer[..n]);
        at += n as u64;
    }
    Ok((check, buffer))
}

/// Reads exactly `buf.len()` bytes at `offset` without moving a shared cursor.
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(file, buf, offset) {
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
