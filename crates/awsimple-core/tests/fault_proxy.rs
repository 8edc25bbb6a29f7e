//! The fault proxy of the test kit, in front of the emulator, and how `AwsAccess` (the SDK's
//! standard retries under awsimple's error mapping) lives through each fault.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use awsimple_core::{AwsAccess, Error};
use awsimple_testkit as testkit;
use awsimple_testkit::fault_proxy::{Fault, FaultProxy, Rule};

async fn access_via(proxy: &FaultProxy, attempts: u32) -> AwsAccess {
    AwsAccess::builder()
        .endpoint_url(proxy.endpoint())
        .region("us-east-1")
        .credentials("AKIDFAULTS", "fault-secret", None)
        .max_attempts(attempts)
        .connect_timeout(Duration::from_secs(2))
        .build()
        .await
        .unwrap()
}

async fn proxy() -> FaultProxy {
    let upstream = tokio::task::spawn_blocking(testkit::emulator_endpoint)
        .await
        .unwrap();
    FaultProxy::start(&upstream).await.unwrap()
}

#[tokio::test]
async fn passes_requests_through_untouched() {
    let proxy = proxy().await;
    let access = access_via(&proxy, 1).await;
    assert!(access.test().await.unwrap());
    assert_eq!(access.account_id().await.unwrap(), "123456789012");
    assert_eq!(proxy.requests(), 1, "account id was cached by test()");
    assert_eq!(proxy.faults_applied(), 0);
}

#[tokio::test]
async fn a_transient_500_is_retried() {
    let proxy = proxy().await;
    proxy.add_rule(Rule::new(Fault::internal_error()).first(1));
    let access = access_via(&proxy, 3).await;
    assert!(access.test().await.unwrap());
    assert_eq!(proxy.faults_applied(), 1);
    assert_eq!(proxy.requests(), 2);
    assert_eq!(
        access
            .request_counter()
            .operation("STS", "GetCallerIdentity"),
        2,
        "the counter counts attempts on the wire"
    );
}

#[tokio::test]
async fn persistent_500s_give_a_transient_service_error_after_the_attempts() {
    let proxy = proxy().await;
    proxy.add_rule(Rule::new(Fault::internal_error()).first(10));
    let access = access_via(&proxy, 3).await;
    let err = access.test().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Service {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(proxy.requests(), 3, "exactly max_attempts requests");
}

#[tokio::test]
async fn throttling_is_retried_then_typed() {
    let proxy = proxy().await;
    proxy.add_rule(Rule::new(Fault::s3_slow_down()).first(2));
    let access = access_via(&proxy, 3).await;
    assert!(
        access.test().await.unwrap(),
        "two throttles, third attempt passes"
    );
    assert_eq!(proxy.requests(), 3);

    proxy.add_rule(Rule::new(Fault::s3_slow_down()));
    let access = access_via(&proxy, 2).await;
    let err = access.account_id().await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn connection_resets_mid_response_and_mid_request_are_retried() {
    let proxy = proxy().await;
    proxy.add_rule(Rule::new(Fault::ResetResponseAfter(10)).first(1));
    let access = access_via(&proxy, 3).await;
    assert!(access.test().await.unwrap());
    assert_eq!(proxy.requests(), 2);

    let proxy = self::proxy().await;
    proxy.add_rule(Rule::new(Fault::ResetRequestAfter(5)).first(1));
    let access = access_via(&proxy, 3).await;
    assert!(access.test().await.unwrap());
    assert_eq!(proxy.faults_applied(), 1);
    assert_eq!(proxy.requests(), 2);
}

#[tokio::test]
async fn a_delay_is_only_a_delay() {
    let proxy = proxy().await;
    proxy.add_rule(Rule::new(Fault::Delay(Duration::from_millis(300))).first(1));
    let access = access_via(&proxy, 1).await;
    assert!(access.test().await.unwrap());
    assert_eq!(proxy.faults_applied(), 1);
}

#[tokio::test]
async fn refused_connections_are_unreachable_then_recover() {
    let proxy = proxy().await;
    proxy.set_refusing(true);
    tokio::time::sleep(Duration::from_millis(100)).await; // let the listener close
    let access = access_via(&proxy, 2).await;
    let err = access.test().await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert_eq!(proxy.requests(), 0);

    proxy.set_refusing(false);
    let mut accepted = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if access.test().await.is_ok_and(|ok| ok) {
            accepted = true;
            break;
        }
    }
    assert!(accepted, "the proxy listens again once refusing is off");
}
