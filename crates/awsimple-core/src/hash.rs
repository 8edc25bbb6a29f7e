//! SHA-512 content hashes: the content identity awsimple shares with the Python package.
//!
//! Identities are written as lower-case hex (the `awsimple-sha512` user metadata) or base64 (the
//! native S3 `x-amz-checksum-sha512` header); [`Sha512Digest`] gives both.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha512};

use crate::error::{Error, Result};

/// Read size for hashing files: large enough that system calls are a rounding error.
const READ_CHUNK: usize = 1 << 20;

/// A SHA-512 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha512Digest([u8; 64]);

impl Sha512Digest {
    /// The 64 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// Lower-case hex, 128 characters (the `awsimple-sha512` metadata format).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Standard base64 with padding (the `x-amz-checksum-sha512` header format).
    pub fn to_base64(&self) -> String {
        aws_smithy_types::base64::encode(self.0)
    }

    /// Parses 128 hex characters (either case).
    pub fn from_hex(text: &str) -> Result<Self> {
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(text.trim(), &mut bytes)
            .map_err(|e| Error::invalid(format!("SHA-512 hex {text:?}"), e.to_string()))?;
        Ok(Self(bytes))
    }

    /// Parses the base64 form of a native S3 checksum.
    pub fn from_base64(text: &str) -> Result<Self> {
        let decoded = aws_smithy_types::base64::decode(text.trim())
            .map_err(|e| Error::invalid(format!("SHA-512 base64 {text:?}"), e.to_string()))?;
        let bytes: [u8; 64] = decoded.try_into().map_err(|v: Vec<u8>| {
            Error::invalid(
                format!("SHA-512 base64 {text:?}"),
                format!("{} bytes instead of 64", v.len()),
            )
        })?;
        Ok(Self(bytes))
    }
}

impl fmt::Debug for Sha512Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha512Digest({})", self.to_hex())
    }
}

impl fmt::Display for Sha512Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An incremental SHA-512, for hashing data as it streams past (uploads, downloads).
#[derive(Clone, Default)]
pub struct Sha512Hasher(Sha512);

impl fmt::Debug for Sha512Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sha512Hasher")
    }
}

impl Sha512Hasher {
    /// A new hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The digest of everything added.
    pub fn finish(self) -> Sha512Digest {
        Sha512Digest(self.0.finalize().into())
    }
}

/// SHA-512 of bytes.
///
/// ```
/// let digest = awsimple_core::sha512(b"abc");
/// assert!(digest.to_hex().starts_with("ddaf35a193617aba"));
/// ```
pub fn sha512(data: &[u8]) -> Sha512Digest {
    Sha512Digest(Sha512::digest(data).into())
}

/// SHA-512 of a file, read in 1 MiB chunks (memory stays flat for any size). Blocking: from async
/// code use [`sha512_file_async`].
pub fn sha512_file(path: impl AsRef<Path>) -> Result<Sha512Digest> {
    let path = path.as_ref();
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha512Hasher::new();
    let mut buffer = vec![0u8; READ_CHUNK];
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finish())
}

/// [`sha512_file`] on tokio's blocking pool, so the async runtime keeps running.
pub async fn sha512_file_async(path: impl AsRef<Path>) -> Result<Sha512Digest> {
    let path = path.as_ref().to_path_buf();
    let for_error = path.clone();
    tokio::task::spawn_blocking(move || sha512_file(path))
        .await
        .map_err(|e| Error::io(for_error, std::io::Error::other(e)))?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ABC_HEX: &str = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                           2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

    #[test]
    fn known_vector() {
        assert_eq!(sha512(b"abc").to_hex(), ABC_HEX);
        let mut h = Sha512Hasher::new();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish(), sha512(b"abc"));
    }

    #[test]
    fn hex_and_base64_round_trip() {
        let d = sha512(b"hello");
        assert_eq!(Sha512Digest::from_hex(&d.to_hex()).unwrap(), d);
        assert_eq!(Sha512Digest::from_base64(&d.to_base64()).unwrap(), d);
        assert!(Sha512Digest::from_hex("abcd").is_err());
        assert!(Sha512Digest::from_base64("aGVsbG8=").is_err());
    }

    #[test]
    fn file_hash_matches_bytes_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.bin");
        let data: Vec<u8> = (0..(READ_CHUNK * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&path, &data).unwrap();
        assert_eq!(sha512_file(&path).unwrap(), sha512(&data));
        let missing = sha512_file(dir.path().join("missing")).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }), "{missing}");
    }
}
