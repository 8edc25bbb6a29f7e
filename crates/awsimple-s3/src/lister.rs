//! Listings inside the bucket: the keys under a prefix, and their metadata, as streams (one
//! ListObjectsV2 page at a time) and, built on them, as whole collections.

use std::collections::BTreeMap;

use aws_sdk_s3::types::Object;
use awsimple_core::Result;
use futures::stream::{self, Stream, StreamExt, TryStreamExt};

use crate::access::{S3, S3Access};
use crate::object::S3ObjectMetadata;

/// HEAD requests in flight in [`S3Access::dir`] and [`S3Access::dir_stream`].
const DIR_CONCURRENCY: usize = 32;

impl S3Access {
    /// Every key under `prefix`, across all pages, sorted.
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) when the bucket does not exist; the errors of
    /// any AWS call ([`Error::PermissionDenied`](crate::Error::PermissionDenied), ...).
    ///
    /// # Cancellation
    /// Dropping the future stops the listing between two pages; nothing is left behind.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// for key in s3.keys("reports/").await? {
    ///     println!("{key}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let listing = self.keys_stream(prefix).try_collect::<Vec<String>>();
        let mut keys = S3.operation("keys", self.listing(prefix), listing).await?;
        keys.sort();
        Ok(keys)
    }

    /// Every key under `prefix` as a stream, one ListObjectsV2 page (up to 1000 keys) fetched
    /// at a time, when the stream is polled past the previous page: memory stays at one page
    /// however many keys there are. Keys come in S3's order (UTF-8 binary, the order of
    /// [`S3Access::keys`]). After an error the stream ends.
    ///
    /// # Errors
    /// As [`S3Access::keys`], as an `Err` item.
    ///
    /// # Cancellation
    /// Dropping the stream stops the listing; nothing is left behind.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// use futures::StreamExt;
    ///
    /// let mut keys = s3.keys_stream("logs/");
    /// while let Some(key) = keys.next().await {
    ///     println!("{}", key?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn keys_stream(
        &self,
        prefix: &str,
    ) -> impl Stream<Item = Result<String>> + Send + Unpin + 'static {
        self.object_pages(prefix)
            .map_ok(|page| stream::iter(page.into_iter().filter_map(|object| object.key).map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Metadata of every object under `prefix`: one LIST per 1000 keys, then the HEADs (for
    /// the SHA-512) with up to 32 in flight.
    ///
    /// # Errors
    /// As [`S3Access::keys`]; an object deleted between the LIST and its HEAD is
    /// [`Error::NotFound`](crate::Error::NotFound).
    ///
    /// # Cancellation
    /// Dropping the future stops the listing and the HEADs in flight; nothing is left behind.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// for (key, meta) in s3.dir("reports/").await? {
    ///     println!("{key}: {} bytes, sha512 {:?}", meta.size, meta.sha512);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn dir(&self, prefix: &str) -> Result<BTreeMap<String, S3ObjectMetadata>> {
        let listing = self
            .dir_stream(prefix)
            .map_ok(|meta| (meta.key.clone(), meta))
            .try_collect();
        S3.operation("dir", self.listing(prefix), listing).await
    }

    /// The metadata of every object under `prefix` as a stream, in S3's key order: the keys
    /// one ListObjectsV2 page at a time, each object's HEAD (for the SHA-512) with up to 32
    /// in flight. After an error the stream ends.
    ///
    /// # Errors
    /// As [`S3Access::dir`], as an `Err` item.
    ///
    /// # Cancellation
    /// Dropping the stream stops the listing and the HEADs in flight; nothing is left behind.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// use futures::StreamExt;
    ///
    /// let mut objects = s3.dir_stream("reports/");
    /// while let Some(meta) = objects.next().await {
    ///     let meta = meta?;
    ///     println!("{}: {} bytes", meta.key, meta.size);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn dir_stream(
        &self,
        prefix: &str,
    ) -> impl Stream<Item = Result<S3ObjectMetadata>> + Send + Unpin + 'static {
        let s3 = self.clone();
        let mut failed = false;
        self.keys_stream(prefix)
            .map(move |key| {
                let s3 = s3.clone();
                async move { s3.get_object_metadata(&key?).await }
            })
            .buffered(DIR_CONCURRENCY)
            // The first error is the last item.
            .take_while(move |meta| {
                let go_on = !failed;
                failed |= meta.is_err();
                std::future::ready(go_on)
            })
            .boxed()
    }

    /// A listing, as errors and spans name it: `s3://bucket/prefix*`.
    fn listing(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}*", self.inner.bucket)
    }

    /// Calls `each` with every object under `prefix`, page by page.
    pub(crate) async fn list_objects(
        &self,
        prefix: &str,
        mut each: impl FnMut(&Object),
    ) -> Result<()> {
        let mut pages = self.object_pages(prefix);
        while let Some(page) = pages.next().await {
            page?.iter().for_each(&mut each);
        }
        Ok(())
    }

    /// The one ListObjectsV2 loop: the objects under `prefix`, one page (up to 1000) per item,
    /// each page requested when the previous one has been taken. After an error the stream
    /// ends.
    pub(crate) fn object_pages(
        &self,
        prefix: &str,
    ) -> impl Stream<Item = Result<Vec<Object>>> + Send + Unpin + 'static {
        let resource = self.listing(prefix);
        let pages = self
            .inner
            .client
            .list_objects_v2()
            .bucket(&self.inner.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        stream::unfold(Some((pages, resource)), |state| async move {
            let (mut pages, resource) = state?;
            let page = S3
                .call("ListObjectsV2", &resource, async {
                    pages.next().await.transpose()
                })
                .await;
            match page {
                Ok(Some(page)) => Some((
                    Ok(page.contents.unwrap_or_default()),
                    Some((pages, resource)),
                )),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        })
        .boxed()
    }
}
