//! A quick SNS benchmark against an emulator (not a test): wall time and requests of
//! publishing 200 messages one by one and with `publish_batch`; first straight to the
//! emulator, then through a proxy adding 25 ms to every request (closer to the round trip of a
//! real region).
//!
//! ```text
//! cargo run --release -p awsimple-sns --example sns_bench
//! ```
//!
//! Uses `AWS_ENDPOINT_URL` when set, otherwise starts the test kit's moto server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use awsimple_core::AwsAccess;
use awsimple_sns::SnsAccess;
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
    let topic = SnsAccess::builder(access, unique_name("snsbench"))
        .auto_create(true)
        .build()
        .unwrap();
    topic.arn().await.unwrap(); // looked up once per handle: not part of the figures
    let messages: Vec<String> = (0..N)
        .map(|i| format!("benchmark message {i:04}"))
        .collect();

    measure(
        access,
        &format!("publish {N} (one by one){suffix}"),
        async {
            for message in &messages {
                topic.publish(message, None, None).await.unwrap();
            }
        },
    )
    .await;
    let report = measure(
        access,
        &format!("publish {N} (publish_batch){suffix}"),
        async { topic.publish_batch(&messages).await.unwrap() },
    )
    .await;
    assert!(report.all_succeeded());
    topic.delete_topic().await.unwrap();
}
