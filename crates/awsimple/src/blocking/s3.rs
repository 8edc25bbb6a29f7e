//! The blocking [`S3Access`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{AwsAccess, run};
use crate::Result;
use crate::s3::{
    DownloadOptions, DownloadStatus, S3ObjectMetadata, SyncOptions, SyncReport, UploadOptions,
};

/// One S3 bucket: the blocking form of [`crate::S3Access`], whose methods it runs. Cheap to
/// clone. Options (cache, multipart sizes) go through the async builder and `From`.
#[derive(Clone, Debug)]
pub struct S3Access {
    inner: crate::S3Access,
}

impl From<crate::S3Access> for S3Access {
    fn from(inner: crate::S3Access) -> Self {
        Self { inner }
    }
}

impl S3Access {
    /// A handle of `bucket` with the default options, as [`crate::S3Access::new`].
    pub fn new(access: &AwsAccess, bucket: impl Into<String>) -> Result<Self> {
        crate::S3Access::new(access.as_async(), bucket).map(Self::from)
    }

    /// The async handle, for the async API.
    pub fn as_async(&self) -> &crate::S3Access {
        &self.inner
    }

    /// The async handle, for the async API.
    pub fn into_async(self) -> crate::S3Access {
        self.inner
    }

    /// The bucket's name.
    pub fn bucket_name(&self) -> &str {
        self.inner.bucket_name()
    }

    /// See [`crate::S3Access::create_bucket`].
    pub fn create_bucket(&self) -> Result<bool> {
        run(self.inner.create_bucket())
    }

    /// See [`crate::S3Access::delete_bucket`].
    pub fn delete_bucket(&self) -> Result<bool> {
        run(self.inner.delete_bucket())
    }

    /// See [`crate::S3Access::bucket_exists`].
    pub fn bucket_exists(&self) -> Result<bool> {
        run(self.inner.bucket_exists())
    }

    /// See [`crate::S3Access::bucket_names`].
    pub fn bucket_names(&self) -> Result<Vec<String>> {
        run(self.inner.bucket_names())
    }

    /// See [`crate::S3Access::write_bytes`].
    pub fn write_bytes(&self, bytes: impl Into<crate::s3::Bytes>, key: &str) -> Result<()> {
        run(self.inner.write_bytes(bytes, key))
    }

    /// See [`crate::S3Access::read_bytes`].
    pub fn read_bytes(&self, key: &str) -> Result<crate::s3::Bytes> {
        run(self.inner.read_bytes(key))
    }

    /// See [`crate::S3Access::write_string`].
    ///
    /// ```no_run
    /// # fn demo(access: &awsimple::blocking::AwsAccess) -> awsimple::Result<()> {
    /// use awsimple::blocking::S3Access;
    ///
    /// let s3 = S3Access::new(access, "my-unique-bucket-name")?;
    /// s3.write_string("hello world", "hello.txt")?;
    /// assert_eq!(s3.read_string("hello.txt")?, "hello world");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The errors of [`crate::S3Access::write_string`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn write_string(&self, text: &str, key: &str) -> Result<()> {
        run(self.inner.write_string(text, key))
    }

    /// See [`crate::S3Access::read_string`].
    ///
    /// # Errors
    /// The errors of [`crate::S3Access::read_string`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn read_string(&self, key: &str) -> Result<String> {
        run(self.inner.read_string(key))
    }

    /// See [`crate::S3Access::write_lines`].
    pub fn write_lines<S: AsRef<str>>(&self, lines: &[S], key: &str) -> Result<()> {
        run(self.inner.write_lines(lines, key))
    }

    /// See [`crate::S3Access::read_lines`].
    pub fn read_lines(&self, key: &str) -> Result<Vec<String>> {
        run(self.inner.read_lines(key))
    }

    /// See [`crate::S3Access::write_json`].
    pub fn write_json<T: Serialize + ?Sized>(&self, value: &T, key: &str) -> Result<String> {
        run(self.inner.write_json(value, key))
    }

    /// See [`crate::S3Access::read_json`].
    pub fn read_json<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        run(self.inner.read_json(key))
    }

    /// See [`crate::S3Access::read_json_cached`].
    pub fn read_json_cached<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        run(self.inner.read_json_cached(key))
    }

    /// See [`crate::S3Access::read_json_cached_status`].
    pub fn read_json_cached_status<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<(T, DownloadStatus)> {
        run(self.inner.read_json_cached_status(key))
    }

    /// See [`crate::S3Access::delete_object`].
    pub fn delete_object(&self, key: &str) -> Result<()> {
        run(self.inner.delete_object(key))
    }

    /// See [`crate::S3Access::object_exists`].
    pub fn object_exists(&self, key: &str) -> Result<bool> {
        run(self.inner.object_exists(key))
    }

    /// See [`crate::S3Access::get_object_metadata`].
    pub fn get_object_metadata(&self, key: &str) -> Result<S3ObjectMetadata> {
        run(self.inner.get_object_metadata(key))
    }

    /// See [`crate::S3Access::object_url`].
    pub fn object_url(&self, key: &str) -> String {
        self.inner.object_url(key)
    }

    /// See [`crate::S3Access::presigned_get`].
    pub fn presigned_get(&self, key: &str, expires_in: Duration) -> Result<String> {
        run(self.inner.presigned_get(key, expires_in))
    }

    /// See [`crate::S3Access::presigned_put`].
    pub fn presigned_put(&self, key: &str, expires_in: Duration) -> Result<String> {
        run(self.inner.presigned_put(key, expires_in))
    }

    /// See [`crate::S3Access::keys`].
    pub fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        run(self.inner.keys(prefix))
    }

    /// See [`crate::S3Access::dir`].
    pub fn dir(&self, prefix: &str) -> Result<BTreeMap<String, S3ObjectMetadata>> {
        run(self.inner.dir(prefix))
    }

    /// See [`crate::S3Access::upload`].
    ///
    /// ```no_run
    /// # fn demo(s3: &awsimple::blocking::S3Access) -> awsimple::Result<()> {
    /// let sent = s3.upload("report.pdf", "reports/report.pdf")?; // false: S3 had the same bytes
    /// s3.download("reports/report.pdf", "copy.pdf")?;
    /// # let _ = sent; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The errors of [`crate::S3Access::upload`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn upload(&self, path: impl AsRef<Path>, key: &str) -> Result<bool> {
        run(self.inner.upload(path, key))
    }

    /// See [`crate::S3Access::upload_with`].
    pub fn upload_with(
        &self,
        path: impl AsRef<Path>,
        key: &str,
        options: &UploadOptions,
    ) -> Result<bool> {
        run(self.inner.upload_with(path, key, options))
    }

    /// See [`crate::S3Access::download`].
    ///
    /// # Errors
    /// The errors of [`crate::S3Access::download`], and [`Error::Other`](crate::Error::Other)
    /// ([`IN_ASYNC_RUNTIME`](super::IN_ASYNC_RUNTIME)) when called inside an async runtime.
    pub fn download(&self, key: &str, dest: impl AsRef<Path>) -> Result<PathBuf> {
        run(self.inner.download(key, dest))
    }

    /// See [`crate::S3Access::download_with`].
    pub fn download_with(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
        options: &DownloadOptions,
    ) -> Result<PathBuf> {
        run(self.inner.download_with(key, dest, options))
    }

    /// See [`crate::S3Access::download_cached`].
    pub fn download_cached(&self, key: &str, dest: impl AsRef<Path>) -> Result<DownloadStatus> {
        run(self.inner.download_cached(key, dest))
    }

    /// See [`crate::S3Access::download_cached_with`].
    pub fn download_cached_with(
        &self,
        key: &str,
        dest: impl AsRef<Path>,
        options: &DownloadOptions,
    ) -> Result<DownloadStatus> {
        run(self.inner.download_cached_with(key, dest, options))
    }

    /// See [`crate::S3Access::sync_up`].
    pub fn sync_up(&self, local_dir: impl AsRef<Path>, prefix: &str) -> Result<SyncReport> {
        run(self.inner.sync_up(local_dir, prefix))
    }

    /// See [`crate::S3Access::sync_up_with`].
    pub fn sync_up_with(
        &self,
        local_dir: impl AsRef<Path>,
        prefix: &str,
        options: &SyncOptions,
    ) -> Result<SyncReport> {
        run(self.inner.sync_up_with(local_dir, prefix, options))
    }

    /// See [`crate::S3Access::sync_down`].
    pub fn sync_down(&self, prefix: &str, local_dir: impl AsRef<Path>) -> Result<SyncReport> {
        run(self.inner.sync_down(prefix, local_dir))
    }

    /// See [`crate::S3Access::sync_down_with`].
    pub fn sync_down_with(
        &self,
        prefix: &str,
        local_dir: impl AsRef<Path>,
        options: &SyncOptions,
    ) -> Result<SyncReport> {
        run(self.inner.sync_down_with(prefix, local_dir, options))
    }
}
