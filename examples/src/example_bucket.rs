//! The bucket the S3 examples use.
// Shared by the S3 examples (included with `#[path]`): bucket names are global, so the default
// one carries the account id. Set AWSIMPLE_EXAMPLE_BUCKET to use another.
pub(crate) async fn example_bucket(access: &awsimple::AwsAccess) -> awsimple::Result<String> {
    match std::env::var("AWSIMPLE_EXAMPLE_BUCKET") {
        Ok(name) if !name.is_empty() => Ok(name),
        _ => Ok(format!("awsimple-example-{}", access.account_id().await?)),
    }
}
