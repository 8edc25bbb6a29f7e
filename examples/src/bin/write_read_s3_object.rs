//! Creates a bucket, writes an object and reads it back: awsimple's `write_read_s3_object.py`.

use awsimple::{AwsAccess, S3Access};
use awsimple_examples::example_bucket;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    let s3 = S3Access::new(&access, example_bucket(&access).await?)?;
    let created = s3.create_bucket().await?;
    println!(
        "bucket {} {}",
        s3.bucket_name(),
        if created { "created" } else { "already there" }
    );

    // The key is the object's name in the bucket, somewhat like a file name.
    s3.write_string("hello world", "hello.txt").await?;
    println!("read back: {}", s3.read_string("hello.txt").await?);
    let meta = s3.get_object_metadata("hello.txt").await?;
    println!(
        "size {} bytes, sha512 {}",
        meta.size,
        meta.sha512.unwrap_or_default()
    );
    Ok(())
}
