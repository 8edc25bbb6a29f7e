//! A quick SQS benchmark against an emulator (not a test): wall time and requests of sending
//! 200 messages one by one and in batches, and of receiving (with immediate delete) 200; first
//! straight to the emulator, then through a proxy adding 25 ms to every request (closer to the
//! round trip of a real region, where the number of requests is what counts).
//!
//! ```text
//! cargo run --release -p awsimple-sqs --example sqs_bench
//! ```
//!
//! Uses `AWS_ENDPOINT_URL` when set, otherwise starts the test kit's moto server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use awsimple_core::AwsAccess;
use awsimple_sqs::SqsAccess;
use awsimple_testkit::bench::measure;
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};
use awsimple_testkit::{access_at, emulator_endpoint, unique_name};

const N: usize = 200;

#[tokio::main]
async fn main() {
    let endpoint = tokio::task::spawn_blocking(|| {
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| emulator_endpoint())
    })
    .await
    .unwrap();
    run(&access_at(&endpoint).await, "").await;
    let proxy = FaultProxy::start(&endpoint).await.unwrap();
    proxy.add_rule(Rule::new(Fault::Delay(Duration::from_millis(25))));
    run(&access_at(&proxy.endpoint()).await, " +25 ms").await;
}

async fn run(access: &AwsAccess, suffix: &str) {
    let history = tempfile::tempdir().unwrap();
    // Two empty queues, so that each figure starts from the same state (moto slows down as a
    // queue fills up).
    let mut queues = Vec::new();
    for name in ["sqsbench1", "sqsbench2"] {
        let queue = SqsAccess::builder(access, unique_name(name))
            .history_dir(history.path())
            .build()
            .unwrap();
        queue.create_queue().await.unwrap();
        queue.url().await.unwrap(); // looked up once per handle: not part of the figures
        queues.push(queue);
    }
    let (single, batch) = (&queues[0], &queues[1]);
    let bodies: Vec<String> = (0..N)
        .map(|i| format!("benchmark message {i:04}"))
        .collect();

    measure(access, &format!("send {N} (one by one){suffix}"), async {
        for body in &bodies {
            single.send(body).await.unwrap();
        }
    })
    .await;
    let report = measure(access, &format!("send {N} (send_batch){suffix}"), async {
        batch.send_batch(&bodies).await.unwrap()
    })
    .await;
    assert!(report.all_succeeded());
    for queue in [single, batch] {
        let got = measure(access, &format!("receive+delete {N}{suffix}"), async {
            queue.receive_messages(Some(N)).await.unwrap()
        })
        .await;
        assert_eq!(got.len(), N);
    }
    for queue in &queues {
        queue.delete_queue().await.unwrap();
    }
}
