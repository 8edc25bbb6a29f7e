//! The bucket itself: create (optionally open for public reads), delete, exists, and the
//! account's bucket names.

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule,
};
use awsimple_core::{Error, Found, Result};

use crate::access::{S3, S3Access};

/// How ListBuckets calls the account's buckets.
const BUCKETS: &str = "S3 buckets";

impl S3Access {
    /// Creates the bucket in the access's region (no location constraint in us-east-1).
    /// `Ok(false)` when it exists and is yours (a HEAD and a ListBuckets then, no CreateBucket,
    /// which in us-east-1 would reset the bucket's ACL); [`Error::OwnedByAnother`] when the name
    /// is taken by another account, even one that lets you read the bucket. With
    /// `public_readable`, the bucket is opened for public reads.
    pub async fn create_bucket(&self) -> Result<bool> {
        // us-east-1 answers 200 to re-creating a bucket you own, so ask first: 200 = ours,
        // 403 = someone else's, 404 = free.
        let head = self.inner.client.head_bucket().bucket(&self.inner.bucket);
        match S3
            .call("HeadBucket", self.bucket_resource(), head.send())
            .await
        {
            Ok(_) => {
                // A bucket of another account answers 200 too when it lets us read it (a public
                // bucket, a cross-account policy): only our own ListBuckets tells them apart.
                if !self.bucket_is_ours().await? {
                    return Err(Error::OwnedByAnother {
                        resource: self.bucket_resource(),
                        answer: None,
                    });
                }
                if self.inner.public_readable {
                    self.open_for_public_reads().await?;
                }
                return Ok(false);
            }
            Err(Error::PermissionDenied { answer, .. }) => {
                return Err(Error::OwnedByAnother {
                    resource: self.bucket_resource(),
                    answer,
                });
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut request = self.inner.client.create_bucket().bucket(&self.inner.bucket);
        if self.inner.region != "us-east-1" {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.inner.region.as_str()))
                    .build(),
            );
        }
        if self.inner.public_readable {
            request = request.object_ownership(ObjectOwnership::BucketOwnerPreferred);
        }
        let created = match S3
            .call("CreateBucket", self.bucket_resource(), request.send())
            .await
        {
            Ok(_) => true,
            Err(Error::AlreadyExists { .. }) => false,
            Err(e) => return Err(e),
        };
        if self.inner.public_readable {
            self.open_for_public_reads().await?;
        }
        Ok(created)
    }

    /// Is the bucket among this account's own (ListBuckets, filtered by the name as prefix)?
    async fn bucket_is_ours(&self) -> Result<bool> {
        let mut pages = self
            .inner
            .client
            .list_buckets()
            .prefix(&self.inner.bucket)
            .into_paginator()
            .send();
        while let Some(page) = S3
            .call("ListBuckets", BUCKETS, async {
                pages.next().await.transpose()
            })
            .await?
        {
            if page
                .buckets()
                .iter()
                .any(|b| b.name() == Some(self.inner.bucket.as_str()))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn open_for_public_reads(&self) -> Result<()> {
        let rule = OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::BucketOwnerPreferred)
            .build()
            .map_err(|e| Error::invalid("ownership controls", e.to_string()))?;
        let controls = OwnershipControls::builder()
            .rules(rule)
            .build()
            .map_err(|e| Error::invalid("ownership controls", e.to_string()))?;
        let request = self
            .inner
            .client
            .put_bucket_ownership_controls()
            .bucket(&self.inner.bucket)
            .ownership_controls(controls);
        S3.call(
            "PutBucketOwnershipControls",
            self.bucket_resource(),
            request.send(),
        )
        .await?;
        // No public access block to delete is as good as one deleted.
        let request = self
            .inner
            .client
            .delete_public_access_block()
            .bucket(&self.inner.bucket);
        S3.call(
            "DeletePublicAccessBlock",
            self.bucket_resource(),
            request.send(),
        )
        .await
        .found()?;
        Ok(())
    }

    /// Deletes the (empty) bucket; false when it did not exist.
    pub async fn delete_bucket(&self) -> Result<bool> {
        let request = self.inner.client.delete_bucket().bucket(&self.inner.bucket);
        S3.call("DeleteBucket", self.bucket_resource(), request.send())
            .await
            .exists()
    }

    /// True when the bucket exists (and is reachable with these credentials).
    pub async fn bucket_exists(&self) -> Result<bool> {
        let request = self.inner.client.head_bucket().bucket(&self.inner.bucket);
        S3.call("HeadBucket", self.bucket_resource(), request.send())
            .await
            .exists()
    }

    /// Names of every bucket of the account, sorted, every page followed.
    pub async fn bucket_names(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut pages = self.inner.client.list_buckets().into_paginator().send();
        while let Some(page) = S3
            .call("ListBuckets", BUCKETS, async {
                pages.next().await.transpose()
            })
            .await?
        {
            names.extend(
                page.buckets()
                    .iter()
                    .filter_map(|b| b.name().map(str::to_owned)),
            );
        }
        names.sort();
        Ok(names)
    }
}
