//! S3 from a plain `fn main` with the blocking API: creates a bucket, writes an object and
//! reads it back (`write_read_s3_object`, without async).

use awsimple::blocking::{self, AwsAccess, S3Access};
use awsimple_examples::example_bucket;

fn main() -> awsimple::Result<()> {
    let access = AwsAccess::new()?;
    // What the blocking API does not wrap runs on its runtime with `block_on`.
    let bucket = blocking::block_on(example_bucket(access.as_async()))??;
    let s3 = S3Access::new(&access, bucket)?;
    let created = s3.create_bucket()?;
    println!(
        "bucket {} {}",
        s3.bucket_name(),
        if created { "created" } else { "already there" }
    );

    s3.write_string("hello from a blocking script", "blocking/hello.txt")?;
    println!("read back: {}", s3.read_string("blocking/hello.txt")?);
    let meta = s3.get_object_metadata("blocking/hello.txt")?;
    println!(
        "size {} bytes, sha512 {}",
        meta.size,
        meta.sha512.unwrap_or_default()
    );
    println!("keys under blocking/: {:?}", s3.keys("blocking/")?);
    Ok(())
}
