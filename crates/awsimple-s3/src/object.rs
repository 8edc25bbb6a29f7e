//! Objects one at a time: bytes, strings, lines and JSON written and read whole; delete,
//! exists, metadata (with the content identity), object URLs and presigned URLs.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ObjectCannedAcl};
use awsimple_core::{Error, Found, Result, Sha512Digest};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access::{S3, S3Access};
use crate::checksum::{WriteChecksum, refuses_checksum, without_checksum};
use crate::deadline::Deadline;
use crate::identity::{self, Identity, ObjectFacts, SHA512_METADATA};
use crate::names::{checked_json_key, validate_key};
use crate::verify::{Expected, body_error, sdk_checksum_name, verify_bytes};

/// What S3 says about an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct S3ObjectMetadata {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modified.
    pub mtime: SystemTime,
    /// The ETag, without quotes.
    pub etag: String,
    /// Hex SHA-512 of the content, when the object has one (native checksum or metadata).
    pub sha512: Option<String>,
    /// The base64 full-object CRC64NVME S3 holds for the object, when it has one (multipart
    /// uploads of awsimple, Rust or Python; a composite `-N` checksum is not one).
    pub crc64nvme: Option<String>,
    /// The MD5 (hex) of the content, when the ETag is one: the object was written in one
    /// request (not a multipart upload) and is not encrypted with SSE-KMS or SSE-C. Objects
    /// without a checksum are verified against it.
    pub md5: Option<String>,
    /// The content identity (see [`Identity`]).
    #[serde(skip)]
    pub identity: Identity,
    /// The object URL (`https://<bucket>.s3.<region>.amazonaws.com/<key>`).
    pub url: String,
}

/// What a PutObject sends: made again for each attempt (a fallback checksum sends it twice).
pub(crate) enum PutBody {
    /// Bytes in memory.
    Bytes(bytes::Bytes),
    /// A file.
    File(PathBuf),
}

impl PutBody {
    async fn stream(&self) -> Result<ByteStream> {
        match self {
            PutBody::Bytes(bytes) => Ok(ByteStream::from(bytes.clone())),
            PutBody::File(path) => ByteStream::from_path(path)
                .await
                .map_err(|e| Error::io(path, std::io::Error::other(e))),
        }
    }
}

impl S3Access {
    /// Writes bytes as one object, with the native SHA-512 checksum (S3 validates it) and the
    /// `awsimple-sha512` metadata (on a store that refuses SHA-512, the handle's fallback: see
    /// [`WriteChecksum`]). Takes anything that becomes [`Bytes`] (`Vec<u8>`, `Bytes`,
    /// `String`, `&'static [u8]`) without a copy.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid key (nothing sent);
    /// [`Error::NotFound`] when the bucket does not exist; the errors of any AWS call.
    ///
    /// # Cancellation
    /// Dropping the future before S3 answered leaves the object either as it was or fully
    /// written (a PutObject is atomic), never partly written.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// s3.write_bytes(vec![0u8, 1, 2], "data.bin").await?;
    /// s3.write_bytes(awsimple_s3::Bytes::from_static(b"static"), "static.bin").await?;
    /// assert_eq!(s3.read_bytes("data.bin").await?, [0u8, 1, 2][..]);
    /// # Ok(()) }
    /// ```
    pub async fn write_bytes(&self, bytes: impl Into<Bytes>, key: &str) -> Result<()> {
        validate_key(key)?;
        let bytes: Bytes = bytes.into();
        let digest = awsimple_core::sha512(&bytes);
        self.put_object(key, PutBody::Bytes(bytes), &digest).await
    }

    /// The native checksum this handle's writes send now: the builder's
    /// ([`crate::S3AccessBuilder::checksum`], SHA-512 by default), or the fallback the store
    /// made it take (multipart uploads send a full-object CRC64NVME for SHA-512).
    pub fn write_checksum(&self) -> WriteChecksum {
        self.inner.checksum.get()
    }

    /// One PutObject with the content's SHA-512 (the handle's native checksum and the
    /// metadata), public-read when the handle is `public_readable`. A store that refuses the
    /// checksum algorithm gets the write again with the fallback, which the handle keeps.
    pub(crate) async fn put_object(
        &self,
        key: &str,
        body: PutBody,
        digest: &Sha512Digest,
    ) -> Result<()> {
        let mut algorithm = self.inner.checksum.get();
        loop {
            let stream = body.stream().await?;
            match self.put_object_once(key, stream, digest, algorithm).await {
                Err(e) if refuses_checksum(&e) => {
                    match self.inner.checksum.fall_back(
                        &self.inner.bucket,
                        "PutObject",
                        algorithm,
                        &e,
                    ) {
                        Some(next) => algorithm = next,
                        None => return Err(e),
                    }
                }
                other => return other,
            }
        }
    }

    async fn put_object_once(
        &self,
        key: &str,
        body: ByteStream,
        digest: &Sha512Digest,
        algorithm: WriteChecksum,
    ) -> Result<()> {
        let mut request = self
            .inner
            .client
            .put_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .body(body)
            .metadata(SHA512_METADATA, digest.to_hex());
        request = match algorithm {
            // The SDK cannot compute SHA-512 itself: the value is ours, the algorithm header
            // tells S3 which checksum to store (moto stores none without it).
            WriteChecksum::Sha512 => request
                .checksum_algorithm(ChecksumAlgorithm::Sha512)
                .checksum_sha512(digest.to_base64()),
            WriteChecksum::Crc64Nvme => request.checksum_algorithm(ChecksumAlgorithm::Crc64Nvme),
            WriteChecksum::Crc32 => request.checksum_algorithm(ChecksumAlgorithm::Crc32),
            WriteChecksum::None => request,
        };
        if self.inner.public_readable {
            request = request.acl(ObjectCannedAcl::PublicRead);
        }
        let send = async move {
            if algorithm == WriteChecksum::None {
                // Not even the SDK's default CRC32: only what the operation requires (none).
                request
                    .customize()
                    .config_override(without_checksum())
                    .send()
                    .await
            } else {
                request.send().await
            }
        };
        S3.call("PutObject", self.resource(key), send).await?;
        Ok(())
    }

    /// The whole object, verified against its SHA-512 or full-object CRC64NVME when it has one,
    /// else against its ETag when that is the MD5 of the content (see [`crate::Verification`]).
    /// The access's operation timeout bounds the whole read, the body included. The body comes
    /// back as the SDK collected it, as [`Bytes`], without a copy when it arrived in one chunk.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the object (or the bucket) does not exist;
    /// [`Error::Integrity`] when the content does not match its checksum; [`Error::Timeout`]
    /// past the operation timeout; the errors of any AWS call.
    ///
    /// # Cancellation
    /// Dropping the future stops the transfer; nothing is left behind.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// let bytes = s3.read_bytes("data.bin").await?;
    /// println!("{} bytes", bytes.len());
    /// # Ok(()) }
    /// ```
    pub async fn read_bytes(&self, key: &str) -> Result<Bytes> {
        validate_key(key)?;
        let resource = self.resource(key);
        let deadline = Deadline::start(&self.inner.access);
        let read = Box::pin(self.read_bytes_once(key, &resource));
        deadline.bound("GetObject", &resource, read).await
    }

    async fn read_bytes_once(&self, key: &str, resource: &str) -> Result<Bytes> {
        let (body, expected, checksum) = self.get_for_read(key, resource).await?;
        let bytes = body
            .collect()
            .await
            .map_err(|e| body_error(resource, checksum, e))?
            .into_bytes();
        verify_bytes(resource, &expected, &bytes)?;
        Ok(bytes)
    }

    /// One GetObject (checksum mode on): its body, what the content is checked against, and
    /// the name of the checksum the SDK validates as the body streams.
    pub(crate) async fn get_for_read(
        &self,
        key: &str,
        resource: &str,
    ) -> Result<(ByteStream, Expected, &'static str)> {
        let request = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled);
        let out = S3.call("GetObject", resource, request.send()).await?;
        let identity = identity::identity_of(&ObjectFacts {
            bucket: &self.inner.bucket,
            key,
            size: 0,
            mtime_secs: 0,
            etag: "",
            native_sha512: out.checksum_sha512(),
            metadata_sha512: out
                .metadata()
                .and_then(|m| m.get(SHA512_METADATA))
                .map(String::as_str),
            native_crc64: out.checksum_crc64_nvme(),
        });
        let md5 = identity::etag_md5(
            out.e_tag().unwrap_or_default().trim_matches('"'),
            out.server_side_encryption().map(|sse| sse.as_str()),
            out.sse_customer_algorithm(),
        );
        let expected = Expected::of(&identity, md5.as_deref());
        let checksum = sdk_checksum_name(&out);
        Ok((out.body, expected, checksum))
    }

    /// Writes a string. The arguments are in Python's order, text first, key second; both are
    /// `&str`, so mind the order (see `docs/api-conventions.md`).
    ///
    /// # Errors
    /// As [`S3Access::write_bytes`].
    ///
    /// # Cancellation
    /// As [`S3Access::write_bytes`]: the object is as it was or fully written.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// s3.write_string("hello world", "hello.txt").await?;
    /// # Ok(()) }
    /// ```
    pub async fn write_string(&self, text: &str, key: &str) -> Result<()> {
        self.write_bytes(Bytes::copy_from_slice(text.as_bytes()), key)
            .await
    }

    /// Reads a string ([`Error::Serialization`] when the object is not UTF-8).
    ///
    /// # Errors
    /// As [`S3Access::read_bytes`], and [`Error::Serialization`] when the content is not
    /// UTF-8.
    ///
    /// # Cancellation
    /// Dropping the future stops the transfer; nothing is left behind.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// let text = s3.read_string("hello.txt").await?;
    /// println!("{text}");
    /// # Ok(()) }
    /// ```
    pub async fn read_string(&self, key: &str) -> Result<String> {
        // No copy when the SDK's buffer is ours alone.
        let bytes = Vec::from(self.read_bytes(key).await?);
        // The error keeps where the UTF-8 broke, never the bytes (`FromUtf8Error` holds them
        // all: an error as large as the object).
        String::from_utf8(bytes)
            .map_err(|e| Error::serialization(self.resource(key), e.utf8_error()))
    }

    /// Writes lines, joined with `\n`.
    pub async fn write_lines<S: AsRef<str>>(&self, lines: &[S], key: &str) -> Result<()> {
        let text = lines
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join("\n");
        self.write_string(&text, key).await
    }

    /// Reads lines.
    pub async fn read_lines(&self, key: &str) -> Result<Vec<String>> {
        Ok(self
            .read_string(key)
            .await?
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// Writes a value as JSON; `.json` is appended to the key when it does not end with it
    /// (as in Python). Returns the key used. The bytes are those Python awsimple's
    /// `upload_object_as_json` writes for the same value (`json.dumps` defaults: `", "` and
    /// `": "`, `\uXXXX` escapes, Python float forms), so both sides hold the same content
    /// identity. NaN and infinities are [`Error::InvalidInput`] (not silently `null`), and so
    /// is an empty key.
    pub async fn write_json<T: Serialize + ?Sized>(&self, value: &T, key: &str) -> Result<String> {
        let key = checked_json_key(key)?;
        let bytes = awsimple_core::to_python_json(value, &self.resource(&key))?;
        self.write_bytes(bytes, &key).await?;
        Ok(key)
    }

    /// Reads JSON into `T` (`.json` appended to the key when missing), in any layout.
    pub async fn read_json<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let key = checked_json_key(key)?;
        let bytes = self.read_bytes(&key).await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::serialization(self.resource(&key), e))
    }

    /// Deletes an object (S3 answers success for a missing key too).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid key; [`Error::NotFound`] when the bucket does
    /// not exist; the errors of any AWS call. A missing object is not an error.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// s3.delete_object("hello.txt").await?;
    /// assert!(!s3.object_exists("hello.txt").await?);
    /// # Ok(()) }
    /// ```
    pub async fn delete_object(&self, key: &str) -> Result<()> {
        validate_key(key)?;
        let request = self
            .inner
            .client
            .delete_object()
            .bucket(&self.inner.bucket)
            .key(key);
        S3.call("DeleteObject", self.resource(key), request.send())
            .await?;
        Ok(())
    }

    /// True when the object exists (one HEAD request).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid key; the errors of any AWS call other than "not
    /// found" ([`Error::PermissionDenied`], ...).
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// if !s3.object_exists("hello.txt").await? {
    ///     s3.write_string("hello world", "hello.txt").await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn object_exists(&self, key: &str) -> Result<bool> {
        self.get_object_metadata(key).await.exists()
    }

    /// The object's metadata and content identity (one HEAD request).
    pub async fn get_object_metadata(&self, key: &str) -> Result<S3ObjectMetadata> {
        validate_key(key)?;
        let request = self
            .inner
            .client
            .head_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled);
        let out = S3
            .call("HeadObject", self.resource(key), request.send())
            .await?;
        let size = out.content_length().unwrap_or(0).max(0) as u64;
        let mtime_secs = out.last_modified().map_or(0, |t| t.secs());
        let mtime = out
            .last_modified()
            .and_then(|t| SystemTime::try_from(*t).ok())
            .unwrap_or(UNIX_EPOCH);
        let etag = out.e_tag().unwrap_or_default().trim_matches('"').to_owned();
        let identity = identity::identity_of(&ObjectFacts {
            bucket: &self.inner.bucket,
            key,
            size,
            mtime_secs,
            etag: &etag,
            native_sha512: out.checksum_sha512(),
            metadata_sha512: out
                .metadata()
                .and_then(|m| m.get(SHA512_METADATA))
                .map(String::as_str),
            native_crc64: out.checksum_crc64_nvme(),
        });
        let md5 = identity::etag_md5(
            &etag,
            out.server_side_encryption().map(|sse| sse.as_str()),
            out.sse_customer_algorithm(),
        );
        Ok(S3ObjectMetadata {
            bucket: self.inner.bucket.clone(),
            key: key.to_owned(),
            size,
            mtime,
            etag,
            sha512: match &identity {
                Identity::Sha512(hex) => Some(hex.clone()),
                _ => None,
            },
            crc64nvme: out
                .checksum_crc64_nvme()
                .filter(|crc| identity::is_full_object_crc64(crc))
                .map(str::to_owned),
            md5,
            identity,
            url: self.object_url(key),
        })
    }

    /// The object's URL: `https://<bucket>.s3.<region>.amazonaws.com/<key>`.
    pub fn object_url(&self, key: &str) -> String {
        format!(
            "https://{}.s3.{}.amazonaws.com/{key}",
            self.inner.bucket, self.inner.region
        )
    }

    /// A URL anyone can GET the object with until it expires.
    pub async fn presigned_get(&self, key: &str, expires_in: Duration) -> Result<String> {
        validate_key(key)?;
        let request = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .presigned(presigning(expires_in)?);
        let presigned = S3.call("GetObject", self.resource(key), request).await?;
        Ok(presigned.uri().to_owned())
    }

    /// A URL anyone can PUT the object with until it expires.
    pub async fn presigned_put(&self, key: &str, expires_in: Duration) -> Result<String> {
        validate_key(key)?;
        let request = self
            .inner
            .client
            .put_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .presigned(presigning(expires_in)?);
        let presigned = S3.call("PutObject", self.resource(key), request).await?;
        Ok(presigned.uri().to_owned())
    }
}

fn presigning(expires_in: Duration) -> Result<PresigningConfig> {
    PresigningConfig::expires_in(expires_in)
        .map_err(|e| Error::invalid("presigned URL lifetime", e.to_string()))
}
