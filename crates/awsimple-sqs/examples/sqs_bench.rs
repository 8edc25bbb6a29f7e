//! A quick SQS benchmark against an emulator (not a test): wall time and requests of sending
//! 200 messages one by one and in batches, and of receiving (with immediate delete) 200.
//!
//! ```text
//! cargo run --release -p awsimple-sqs --example sqs_bench
//! ```
//!
//! Uses `AWS_ENDPOINT_URL` when set, otherwise starts the test kit's moto server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use awsimple_core::AwsAccess;
use awsimple_core::test_util::{access_at, emulator_endpoint, unique_name};
use awsimple_sqs::SqsAccess;

const N: usize = 200;

async fn measure<T, F: std::future::Future<Output = T>>(access: &AwsAccess, what: &str, f: F) -> T {
    let counter = access.request_counter();
    counter.reset();
    let start = Instant::now();
    let out = f.await;
    let secs = start.elapsed().as_secs_f64();
    let ops: Vec<String> = counter
        .snapshot()
        .into_iter()
        .map(|((_, op), n)| format!("{op} {n}"))
        .collect();
    println!(
        "{what:<34} {secs:>8.3} s  {:>5} requests ({})",
        counter.total(),
        ops.join(", ")
    );
    out
}

#[tokio::main]
async fn main() {
    let endpoint = tokio::task::spawn_blocking(|| {
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| emulator_endpoint())
    })
    .await
    .unwrap();
    let access = access_at(&endpoint).await;
    let history = tempfile::tempdir().unwrap();
    let queue = SqsAccess::builder(&access, unique_name("sqsbench"))
        .history_dir(history.path())
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    queue.url().await.unwrap(); // looked up once per handle: not part of the figures
    let bodies: Vec<String> = (0..N)
        .map(|i| format!("benchmark message {i:04}"))
        .collect();

    measure(&access, &format!("send {N} (one by one)"), async {
        for body in &bodies {
            queue.send(body).await.unwrap();
        }
    })
    .await;
    let report = measure(&access, &format!("send {N} (send_batch)"), async {
        queue.send_batch(&bodies).await.unwrap()
    })
    .await;
    assert!(report.all_sent());
    let got = measure(&access, &format!("receive+delete {}", 2 * N), async {
        queue.receive_messages(Some(2 * N)).await.unwrap()
    })
    .await;
    assert_eq!(got.len(), 2 * N);
    queue.send_batch(&bodies).await.unwrap();
    let got = measure(&access, &format!("receive+delete {N}"), async {
        queue.receive_messages(Some(N)).await.unwrap()
    })
    .await;
    assert_eq!(got.len(), N);
    queue.delete_queue().await.unwrap();
}
