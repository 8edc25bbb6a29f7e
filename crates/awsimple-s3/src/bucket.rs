//! The bucket itself: create (optionally open for public reads), delete, exists, and the
//! account's bucket names.

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule,
};
use awsimple_core::{Error, Found, Result};

use tracing::debug;

use crate::access::{S3, S3Access};

/// What CreateBucket answered (another account's bucket is an error).
enum Created {
    Yes,
    AlreadyOurs,
}

/// How ListBuckets calls the account's buckets.
const BUCKETS: &str = "S3 buckets";

impl S3Access {
    /// Creates the bucket in the access's region (no location constraint in us-east-1).
    /// `Ok(false)` when it exists and is yours; [`Error::OwnedByAnother`] when the name is
    /// taken by another account, even one that lets you read the bucket; [`Error::Credentials`]
    /// when AWS rejects the credentials. With `public_readable`, the bucket is opened for
    /// public reads.
    ///
    /// Ownership comes from the answers of HeadBucket and CreateBucket, never ListBuckets
    /// (`s3:ListAllMyBuckets` is often not granted): a HEAD first (404: free; 403: created or
    /// refused by CreateBucket, whose `BucketAlreadyOwnedByYou` / `BucketAlreadyExists` tell);
    /// a bucket that answers 200 is asked CreateBucket too outside us-east-1, and in us-east-1
    /// (where CreateBucket on your own bucket answers 200 and resets its ACL) a HEAD with
    /// the expected owner (the account of STS GetCallerIdentity; on stores without STS, 200
    /// means yours).
    pub async fn create_bucket(&self) -> Result<bool> {
        let head = self.inner.client.head_bucket().bucket(&self.inner.bucket);
        let existed = match S3
            .call("HeadBucket", self.bucket_resource(), head.send())
            .await
        {
            Ok(_) => {
                if !self.readable_bucket_is_ours().await? {
                    return Err(self.owned_by_another());
                }
                true
            }
            // Someone else's, ours without the permission to HEAD it, or credentials AWS
            // rejects (a HEAD answer has no body to say which): CreateBucket's answer tells.
            Err(Error::PermissionDenied { .. }) => match self.send_create_bucket().await? {
                // It existed (not 404): us-east-1 answers 200 for a bucket you own.
                Created::Yes | Created::AlreadyOurs => true,
            },
            Err(Error::NotFound { .. }) => match self.send_create_bucket().await? {
                Created::Yes => false,
                Created::AlreadyOurs => true,
            },
            Err(e) => return Err(e),
        };
        if self.inner.public_readable {
            self.open_for_public_reads().await?;
        }
        Ok(!existed)
    }

    fn owned_by_another(&self) -> Error {
        Error::OwnedByAnother {
            resource: self.bucket_resource(),
            answer: None,
        }
    }

    /// CreateBucket: created, or already ours; another account's is [`Error::OwnedByAnother`].
    async fn send_create_bucket(&self) -> Result<Created> {
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
        match S3
            .call("CreateBucket", self.bucket_resource(), request.send())
            .await
        {
            Ok(_) => Ok(Created::Yes),
            // BucketAlreadyOwnedByYou (BucketAlreadyExists is OwnedByAnother already).
            Err(Error::AlreadyExists { .. }) => Ok(Created::AlreadyOurs),
            Err(e) => Err(e),
        }
    }

    /// The bucket answered HEAD with 200: is it ours, or another account's that lets us read it?
    async fn readable_bucket_is_ours(&self) -> Result<bool> {
        if self.inner.region != "us-east-1" {
            // Outside us-east-1 CreateBucket on an existing bucket changes nothing and says
            // whose it is.
            return match self.send_create_bucket().await {
                Ok(_) => Ok(true),
                Err(Error::OwnedByAnother { .. }) => Ok(false),
                Err(e) => Err(e),
            };
        }
        let account = match self.inner.access.account_id().await {
            Ok(account) => account,
            Err(e @ Error::Credentials { .. }) => return Err(e),
            Err(e) => {
                // No STS (an S3-compatible store): a readable bucket is taken as ours.
                debug!(error = %e, "no account id to check the bucket owner with");
                return Ok(true);
            }
        };
        let head = self
            .inner
            .client
            .head_bucket()
            .bucket(&self.inner.bucket)
            .expected_bucket_owner(account);
        match S3
            .call("HeadBucket", self.bucket_resource(), head.send())
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::PermissionDenied { .. }) => Ok(false),
            Err(e) => Err(e),
        }
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
