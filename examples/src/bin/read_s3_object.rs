//! Reads an object: awsimple's `read_s3_object.py` (writes it first when it is not there yet).

use awsimple::{AwsAccess, S3Access};
use awsimple_examples::example_bucket;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    let s3 = S3Access::new(&access, example_bucket(&access).await?)?;
    if !s3.object_exists("hello.txt").await.unwrap_or(false) {
        println!("(hello.txt is not there yet: writing it first)");
        s3.create_bucket().await?;
        s3.write_string("hello world", "hello.txt").await?;
    }
    println!("{}", s3.read_string("hello.txt").await?);
    Ok(())
}
