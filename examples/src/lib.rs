//! What the example programs of `src/bin` share.

/// The bucket the S3 examples use. Bucket names are global, so the default one carries the
/// account id; set `AWSIMPLE_EXAMPLE_BUCKET` to use another.
pub async fn example_bucket(access: &awsimple::AwsAccess) -> awsimple::Result<String> {
    match std::env::var("AWSIMPLE_EXAMPLE_BUCKET") {
        Ok(name) if !name.is_empty() => Ok(name),
        _ => Ok(format!("awsimple-example-{}", access.account_id().await?)),
    }
}
