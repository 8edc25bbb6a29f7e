//! The test kit against a real moto: the shared emulator of the test binary, and a second one
//! started and stopped on its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use awsimple_testkit::emulator::{self, StartOptions};
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};

#[tokio::test]
async fn the_shared_emulator_answers_with_the_fixture_credentials() {
    let access = awsimple_testkit::emulator_access().await;
    assert!(access.test().await.unwrap());
    assert_eq!(access.region(), awsimple_testkit::TEST_REGION);
    assert_eq!(
        access.access_key_id().await.unwrap(),
        awsimple_testkit::TEST_ACCESS_KEY_ID
    );
    let endpoint = tokio::task::spawn_blocking(awsimple_testkit::emulator_endpoint)
        .await
        .unwrap();
    let again = tokio::task::spawn_blocking(awsimple_testkit::emulator_endpoint)
        .await
        .unwrap();
    assert_eq!(endpoint, again, "one emulator per test binary");
    assert!(emulator::is_reachable(&endpoint));
}

#[tokio::test]
async fn the_fault_proxy_sits_in_front_of_the_shared_emulator() {
    let upstream = tokio::task::spawn_blocking(awsimple_testkit::emulator_endpoint)
        .await
        .unwrap();
    let proxy = FaultProxy::start(&upstream).await.unwrap();
    proxy.add_rule(Rule::new(Fault::Delay(Duration::from_millis(50))).first(1));
    let access = awsimple_testkit::access_at(&proxy.endpoint()).await;
    assert!(access.test().await.unwrap());
    assert_eq!(proxy.requests(), 1);
    assert_eq!(proxy.faults_applied(), 1);
}

#[test]
fn a_second_emulator_starts_on_its_own_port_and_stops() {
    let root = emulator::workspace_root_from(&std::env::current_dir().unwrap()).unwrap();
    let mut process =
        emulator::start_new(&root, &StartOptions::default(), &|l| eprintln!("{l}")).unwrap();
    let endpoint = process.endpoint().to_owned();
    assert_eq!(endpoint, format!("http://127.0.0.1:{}", process.port()));
    assert!(emulator::is_reachable(&endpoint));
    assert!(!process.origin().is_empty());
    process.stop();
    let deadline = Instant::now() + Duration::from_secs(10);
    while emulator::is_reachable(&endpoint) {
        assert!(Instant::now() < deadline, "moto still answers after stop()");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn unique_names_differ_across_calls() {
    let names: std::collections::BTreeSet<String> = (0..100)
        .map(|_| awsimple_testkit::unique_name("kit"))
        .collect();
    assert_eq!(names.len(), 100);
}
