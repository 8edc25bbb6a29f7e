//! A large object downloaded with a progress bar, then again from the local cache (one HEAD).

use std::io::Write;

use awsimple::{AwsAccess, S3Access};
use awsimple_examples::example_bucket;

fn bar(done: u64, total: u64) {
    let width = 40;
    let filled = (done * width / total.max(1)) as usize;
    print!(
        "\r[{}{}] {:>5.1} %",
        "#".repeat(filled),
        " ".repeat(width as usize - filled),
        done as f64 * 100.0 / total.max(1) as f64
    );
    let _ = std::io::stdout().flush();
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    let folder = tempfile::tempdir()?;
    let s3 = S3Access::builder(&access, example_bucket(&access).await?)
        .cache_dir(folder.path().join("cache"))
        .build()?;
    s3.create_bucket().await?;

    let source = folder.path().join("big.bin");
    let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, block.repeat(24))?; // 24 MiB: multipart up, ranged GETs down
    println!("uploading 24 MiB");
    let options = awsimple::s3::UploadOptions::new().progress(bar);
    let uploaded = s3.upload_with(&source, "big/big.bin", &options).await?;
    println!("\nuploaded: {uploaded} (false: S3 already held the same bytes)");

    println!("downloading");
    let dest = folder.path().join("download.bin");
    let options = awsimple::s3::DownloadOptions::new().progress(bar);
    s3.download_with("big/big.bin", &dest, &options).await?;
    println!();
    let counter = access.request_counter();
    for round in 1..=2 {
        counter.reset();
        let status = s3
            .download_cached(
                "big/big.bin",
                folder.path().join(format!("cached-{round}.bin")),
            )
            .await?;
        println!(
            "download_cached #{round}: cache hit {}, cache write {}, {} requests",
            status.cache_hit,
            status.cache_write,
            counter.total()
        );
    }
    Ok(())
}
