//! Listings inside the bucket: the keys under a prefix, and their metadata.

use std::collections::BTreeMap;

use aws_sdk_s3::types::Object;
use awsimple_core::{Error, Result};
use futures::{StreamExt, TryStreamExt};

use crate::access::{S3, S3Access};
use crate::object::S3ObjectMetadata;

/// HEAD requests in flight in [`S3Access::dir`].
const DIR_CONCURRENCY: usize = 32;

impl S3Access {
    /// Every key under `prefix`, across all pages, sorted.
    pub async fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        self.list_objects(prefix, |object| {
            keys.extend(object.key().map(str::to_owned));
        })
        .await?;
        keys.sort();
        Ok(keys)
    }

    /// Calls `each` with every object under `prefix`, page by page (one ListObjectsV2 per
    /// 1000 keys).
    pub(crate) async fn list_objects(
        &self,
        prefix: &str,
        mut each: impl FnMut(&Object),
    ) -> Result<()> {
        let resource = format!("s3://{}/{prefix}*", self.inner.bucket);
        let mut pages = self
            .inner
            .client
            .list_objects_v2()
            .bucket(&self.inner.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = S3
            .call("ListObjectsV2", &resource, async {
                pages.next().await.transpose()
            })
            .await?
        {
            page.contents().iter().for_each(&mut each);
        }
        Ok(())
    }

    /// Metadata of every object under `prefix`: one LIST per 1000 keys, then the HEADs (for
    /// the SHA-512) with up to 32 in flight.
    pub async fn dir(&self, prefix: &str) -> Result<BTreeMap<String, S3ObjectMetadata>> {
        let keys = self.keys(prefix).await?;
        futures::stream::iter(keys)
            .map(|key| async move {
                let meta = self.get_object_metadata(&key).await?;
                Ok::<_, Error>((key, meta))
            })
            .buffer_unordered(DIR_CONCURRENCY)
            .try_collect()
            .await
    }
}
