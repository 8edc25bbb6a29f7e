//! Checks that your credentials work: the Rust version of awsimple's `AWSAccess().test()`.
//!
//! Uses the default chain (environment, `~/.aws` profiles, SSO, roles). Against real AWS:
//! `AWS_PROFILE=myprofile cargo run -p awsimple-examples --bin aws_access_test`.
//! Against the emulator: `cargo xtask demo`.

use awsimple::AwsAccess;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    println!("region:        {}", access.region());
    if let Some(endpoint) = access.endpoint_url() {
        println!("endpoint:      {endpoint}");
    }
    println!("access key id: {}", access.access_key_id().await?);
    let valid = access.test().await?;
    println!("credentials valid: {valid}");
    if !valid {
        return Err("AWS rejected the credentials".into());
    }
    println!("account id:    {}", access.account_id().await?);
    println!("requests sent: {}", access.request_counter().total());
    Ok(())
}
