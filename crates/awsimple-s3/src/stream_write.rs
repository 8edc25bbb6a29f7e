//! Writes from a reader of unknown length: one PutObject when the content fits under the
//! multipart threshold, else a multipart upload whose parts are read, hashed and sent as they
//! come, the content identity computed on the way so that the object is what `upload` of the
//! same content writes.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumType, CompletedPart, MetadataDirective, ObjectCannedAcl,
};
use awsimple_core::{Error, Result, Sha512Hasher};
use bytes::BytesMut;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt};
use tracing::warn;

use crate::access::{S3, S3Access};
use crate::checksum::WriteChecksum;
use crate::deadline::Deadline;
use crate::identity::{Crc64, SHA512_METADATA};
use crate::names::validate_key;
use crate::object::PutBody;
use crate::upload::PendingUpload;

/// The largest object CopyObject copies (5 GiB): above it, a streamed object keeps no
/// `awsimple-sha512` metadata.
const MAX_COPY: u64 = 5 * 1024 * 1024 * 1024;

impl S3Access {
    /// Writes what `reader` yields, to its end, as the object `key`: for content whose size is
    /// not known beforehand (a pipe, a compressor, a network body). Up to the multipart
    /// threshold it is one PutObject with the SHA-512 (as [`S3Access::write_bytes`]); above,
    /// a multipart upload, its parts read and sent as they come (memory: about
    /// `part size x concurrency`), the SHA-512 and the full-object CRC64NVME computed on the
    /// way. The object then gets the `awsimple-sha512` metadata by a copy onto itself (one
    /// server-side CopyObject, conditional on the object being the one just written), so that
    /// its identity is what [`S3Access::upload`] of the same content gives; above 5 GiB (the
    /// limit of CopyObject) the object keeps its full-object CRC64NVME as its identity.
    ///
    /// The access's operation timeout bounds the whole write.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid key; [`Error::Io`] when the reader fails (no
    /// object is written then); [`Error::NotFound`] when the bucket does not exist;
    /// [`Error::Timeout`] past the operation timeout; the errors of any AWS call.
    ///
    /// # Cancellation
    /// Dropping the future leaves the object as it was, or fully written when the last
    /// request had gone out: a multipart upload not yet completed is aborted on a task of its
    /// own, as in [`S3Access::upload`]. Dropped between the completion and the copy, the
    /// object is whole but without the `awsimple-sha512` metadata (its identity is then its
    /// CRC64NVME).
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// let file = tokio::fs::File::open("dump.sql.gz").await?;
    /// s3.write_stream(file, "backups/dump.sql.gz").await?;
    /// // Any `AsyncRead`: a slice works too.
    /// s3.write_stream(&b"small"[..], "small.txt").await?;
    /// # Ok(()) }
    /// ```
    pub async fn write_stream(
        &self,
        reader: impl AsyncRead + Unpin + Send,
        key: &str,
    ) -> Result<()> {
        validate_key(key)?;
        self.bounded_operation("write_stream", key, |deadline| {
            self.write_stream_within(reader, key, deadline)
        })
        .await
    }

    async fn write_stream_within(
        &self,
        mut reader: impl AsyncRead + Unpin + Send,
        key: &str,
        deadline: Deadline,
    ) -> Result<()> {
        let threshold = self.inner.multipart_threshold as usize;
        let mut first = BytesMut::new();
        let full = fill(&mut reader, &mut first, threshold + 1).await?;
        if !full {
            let digest = awsimple_core::sha512(&first);
            return self
                .put_object(key, PutBody::Bytes(first.freeze()), &digest)
                .await;
        }
        let resource = self.resource(key);
        let mut create = self
            .inner
            .client
            .create_multipart_upload()
            .bucket(&self.inner.bucket)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .checksum_type(ChecksumType::FullObject);
        if self.inner.public_readable {
            create = create.acl(ObjectCannedAcl::PublicRead);
        }
        let created = S3
            .call("CreateMultipartUpload", &resource, create.send())
            .await?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        let pending = PendingUpload::new(self, key, &upload_id);
        let sent = self
            .send_parts(&mut reader, first, key, &upload_id, deadline)
            .await;
        let (sha512, size, etag) = match sent {
            Ok(done) => {
                pending.completed();
                done
            }
            Err(e) => {
                warn!(bucket = %self.inner.bucket, key, error = %e, "streamed upload failed: aborting it");
                if let Some(abort) = pending.abort() {
                    let _ = abort.await;
                }
                return Err(e);
            }
        };
        if size > MAX_COPY {
            warn!(
                key,
                size, "over 5 GiB: the object keeps its CRC64NVME as its identity"
            );
            return Ok(());
        }
        self.add_sha512_metadata(key, &sha512.to_hex(), etag.as_deref())
            .await
    }

    /// Reads, hashes and sends the parts (the first bytes read already in `pending`), then
    /// completes the upload: the SHA-512, the size and the object's ETag.
    async fn send_parts(
        &self,
        reader: &mut (impl AsyncRead + Unpin + Send),
        mut pending: BytesMut,
        key: &str,
        upload_id: &str,
        deadline: Deadline,
    ) -> Result<(awsimple_core::Sha512Digest, u64, Option<String>)> {
        let part_size = self.inner.part_size as usize;
        let resource = self.resource(key);
        let (mut sha512, mut crc) = (Sha512Hasher::new(), Crc64::new());
        let mut size = 0u64;
        let mut number = 0i32;
        let mut completed = Vec::new();
        let mut in_flight = FuturesUnordered::new();
        loop {
            let full = fill(reader, &mut pending, part_size).await?;
            if pending.is_empty() {
                break;
            }
            let part = pending.split_to(part_size.min(pending.len())).freeze();
            sha512.update(&part);
            crc.update(&part);
            size += part.len() as u64;
            number += 1;
            let request = self
                .inner
                .client
                .upload_part()
                .bucket(&self.inner.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
                .body(ByteStream::from(part));
            let resource = &resource;
            in_flight.push(async move {
                let out = S3.call("UploadPart", resource, request.send()).await?;
                Ok::<_, Error>(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .set_checksum_crc64_nvme(out.checksum_crc64_nvme().map(str::to_owned))
                        .build(),
                )
            });
            if in_flight.len() >= self.inner.concurrency.max(1)
                && let Some(done) = in_flight.next().await
            {
                completed.push(done?);
            }
            if !full && pending.is_empty() {
                break;
            }
        }
        while let Some(done) = in_flight.next().await {
            completed.push(done?);
        }
        let etag = self
            .complete_multipart(
                key,
                upload_id,
                completed,
                &crc.finish(),
                WriteChecksum::Crc64Nvme,
                deadline,
            )
            .await?;
        Ok((sha512.finish(), size, etag))
    }

    /// Gives the object just written the `awsimple-sha512` metadata: a CopyObject onto itself
    /// that replaces the metadata, only while the object is the one written (`etag`).
    async fn add_sha512_metadata(&self, key: &str, sha512: &str, etag: Option<&str>) -> Result<()> {
        let mut copy = self
            .inner
            .client
            .copy_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .copy_source(copy_source(&self.inner.bucket, key))
            .metadata_directive(MetadataDirective::Replace)
            .metadata(SHA512_METADATA, sha512)
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .set_copy_source_if_match(etag.map(str::to_owned));
        if self.inner.public_readable {
            copy = copy.acl(ObjectCannedAcl::PublicRead);
        }
        S3.call("CopyObject", self.resource(key), copy.send())
            .await?;
        Ok(())
    }
}

/// Reads into `buffer` until it holds `len` bytes or the reader ends: `true` when it holds
/// `len` (there may be more), `false` at the end of the reader.
async fn fill(
    reader: &mut (impl AsyncRead + Unpin + Send),
    buffer: &mut BytesMut,
    len: usize,
) -> Result<bool> {
    while buffer.len() < len {
        buffer.reserve(len - buffer.len());
        let mut limited = (&mut *reader).take((len - buffer.len()) as u64);
        if limited.read_buf(buffer).await? == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The `x-amz-copy-source` of an object: `bucket/key`, the key percent-encoded (`/` kept).
fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = format!("{bucket}/");
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_are_percent_encoded() {
        assert_eq!(copy_source("b", "a/b c+d.txt"), "b/a/b%20c%2Bd.txt");
        assert_eq!(copy_source("b", "é"), "b/%C3%A9");
    }

    #[tokio::test]
    async fn fill_reads_up_to_the_length_or_the_end() {
        let mut reader = &[7u8; 10][..];
        let mut buffer = BytesMut::new();
        assert!(fill(&mut reader, &mut buffer, 4).await.unwrap());
        assert_eq!(buffer.len(), 4);
        assert!(!fill(&mut reader, &mut buffer, 20).await.unwrap());
        assert_eq!(buffer.len(), 10);
    }
}
