//! Transactions and optimistic locking against the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use awsimple_dynamodb::{
    AttributeType, Condition, CreateTable, DeleteItemOptions, DynamoDbAccess, Error, Item,
    MAX_TRANSACTION_ITEMS, PutItemOptions, TransactGet, TransactWrite, TransactionCanceled, Update,
};
use common::{access, requests, string_key, table, table_with_window};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Account {
    id: String,
    balance: i64,
    #[serde(default)]
    version: u64,
}

fn account(id: &str, balance: i64) -> Account {
    Account {
        id: id.into(),
        balance,
        version: 0,
    }
}

/// A handle with no mtime window, so that every write records (and the record can be checked).
fn unwindowed(access: &awsimple_core::AwsAccess, db: &DynamoDbAccess) -> DynamoDbAccess {
    DynamoDbAccess::builder(access, db.table_name())
        .mtime_window(Duration::ZERO)
        .build()
        .unwrap()
}

#[tokio::test]
async fn write_transactions_commit_all_or_nothing_across_tables() {
    if awsimple_testkit::skip_if_lacking("transactions") {
        return;
    }
    let access = access().await;
    let (accounts, _d1) = table_with_window(&access, string_key("id"), Duration::ZERO).await;
    let (audit, _d2) = table_with_window(
        &access,
        CreateTable::partition("id", AttributeType::String).sort("n", AttributeType::Number),
        Duration::ZERO,
    )
    .await;
    accounts
        .put_items(&[
            account("alice", 100),
            account("bob", 5),
            account("carol", 1),
            account("old", 0),
        ])
        .await
        .unwrap();
    let accounts = unwindowed(&access, &accounts);
    let audit = unwindowed(&access, &audit);
    let mtime_accounts = accounts.recorded_mtime().await.unwrap().unwrap();
    let mtime_audit = audit.recorded_mtime().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;

    // Every kind of entry, across two tables: all happen.
    let transfer = TransactWrite::new()
        .update(
            &accounts,
            "alice",
            Update::new()
                .add("balance", -30)
                .condition(Condition::greater_or_equal("balance", 30)),
        )
        .update(&accounts, "bob", Update::new().add("balance", 30))
        .delete_with(
            &accounts,
            "old",
            &DeleteItemOptions::new().condition(Condition::equals("balance", 0)),
        )
        .condition_check(&accounts, "carol", Condition::exists("balance"))
        .put(
            &audit,
            &json!({"id": "alice", "n": 1, "amount": -30, "to": "bob"}),
        )
        .put_with(
            &audit,
            &json!({"id": "bob", "n": 1, "amount": 30}),
            &PutItemOptions::new().condition(Condition::not_exists("id")),
        );
    assert_eq!(transfer.len(), 6);
    accounts.transact_write(&transfer).await.unwrap();
    let alice: Account = accounts.get_item("alice").await.unwrap().unwrap();
    let bob: Account = accounts.get_item("bob").await.unwrap().unwrap();
    assert_eq!((alice.balance, bob.balance), (70, 35));
    assert!(accounts.get_item::<Item>("old").await.unwrap().is_none());
    assert_eq!(audit.scan_table::<Item>().await.unwrap().len(), 2);
    // Both tables written record their modification time.
    assert!(accounts.recorded_mtime().await.unwrap().unwrap() > mtime_accounts);
    assert!(audit.recorded_mtime().await.unwrap().unwrap() > mtime_audit);

    // A failed condition (bob cannot pay 100) cancels every entry; the error names it.
    let overdraw = TransactWrite::new()
        .update(&accounts, "alice", Update::new().add("balance", 100))
        .update(
            &accounts,
            "bob",
            Update::new()
                .add("balance", -100)
                .condition(Condition::greater_or_equal("balance", 100)),
        )
        .put(&audit, &json!({"id": "bob", "n": 2, "amount": -100}));
    let err = accounts.transact_write(&overdraw).await.unwrap_err();
    match &err {
        Error::Precondition {
            resource, message, ..
        } => {
            assert!(
                resource.starts_with("entry 1 of the transaction"),
                "{resource}"
            );
            assert!(resource.contains("\"bob\""), "{resource}");
            assert!(resource.contains(accounts.table_name()), "{resource}");
            assert!(message.starts_with("ConditionalCheckFailed"), "{message}");
        }
        other => panic!("expected a precondition error, got {other:?}"),
    }
    // The same, typed: the cancellation reasons are the error's source.
    let why = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<TransactionCanceled>())
        .expect("the typed cancellation reasons");
    assert_eq!(why.entries.len(), 1, "{why:?}");
    assert_eq!(why.entries[0].index, 1);
    assert_eq!(why.entries[0].code, "ConditionalCheckFailed");
    assert!(why.entries[0].item.contains("\"bob\""), "{why:?}");
    let alice: Account = accounts.get_item("alice").await.unwrap().unwrap();
    assert_eq!(alice.balance, 70, "nothing was written");
    assert_eq!(audit.scan_table::<Item>().await.unwrap().len(), 2);

    // A failed condition check on an item that is not written cancels it too.
    let checked = TransactWrite::new()
        .condition_check(&accounts, "nobody", Condition::exists("id"))
        .update(&accounts, "alice", Update::new().add("balance", 1));
    let err = accounts.transact_write(&checked).await.unwrap_err();
    assert!(
        matches!(&err, Error::Precondition { resource, .. } if resource.starts_with("entry 0 ") && resource.contains("\"nobody\"")),
        "{err}"
    );

    accounts.delete_table().await.unwrap();
    audit.delete_table().await.unwrap();
}

#[tokio::test]
async fn transactions_are_checked_before_any_request() {
    if awsimple_testkit::skip_if_lacking("transactions") {
        return;
    }
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    db.schema().await.unwrap();
    let before = access.request_counter().total();

    let too_many = (0..=MAX_TRANSACTION_ITEMS).fold(TransactWrite::new(), |tx, i| {
        tx.put(&db, &json!({"id": format!("i{i}")}))
    });
    assert_eq!(too_many.len(), 101);
    let err = db.transact_write(&too_many).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    let reads =
        (0..=MAX_TRANSACTION_ITEMS).fold(TransactGet::new(), |tx, i| tx.get(&db, format!("i{i}")));
    assert!(matches!(
        db.transact_get::<Item>(&reads).await,
        Err(Error::InvalidInput { .. })
    ));
    for bad in [
        TransactWrite::new(),
        // Two operations on one item.
        TransactWrite::new()
            .put(&db, &json!({"id": "a"}))
            .delete(&db, "a"),
        // A key of the wrong type, an update of the key, an empty update.
        TransactWrite::new().delete(&db, 5),
        TransactWrite::new().update(&db, "a", Update::new().set("id", "b")),
        TransactWrite::new().update(&db, "a", Update::new()),
    ] {
        let err = db.transact_write(&bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    }
    assert_eq!(
        access.request_counter().total(),
        before,
        "no request was sent"
    );

    // Exactly the limit is fine.
    let full = (0..MAX_TRANSACTION_ITEMS).fold(TransactWrite::new(), |tx, i| {
        tx.put(&db, &json!({"id": format!("i{i}")}))
    });
    db.transact_write(&full).await.unwrap();
    assert_eq!(
        db.scan_table::<Item>().await.unwrap().len(),
        MAX_TRANSACTION_ITEMS
    );
    db.delete_table().await.unwrap();
}

#[tokio::test]
async fn get_transactions_read_typed_items_in_order() {
    if awsimple_testkit::skip_if_lacking("transactions") {
        return;
    }
    let access = access().await;
    let (accounts, _d1) = table(&access, string_key("id")).await;
    let (other, _d2) = table(&access, string_key("id")).await;
    accounts.put_item(&account("alice", 1)).await.unwrap();
    other.put_item(&account("zed", 9)).await.unwrap();
    let read = TransactGet::new()
        .get(&other, "zed")
        .get(&accounts, "nobody")
        .get(&accounts, "alice");
    let got: Vec<Option<Account>> = accounts.transact_get(&read).await.unwrap();
    assert_eq!(
        got,
        vec![Some(account("zed", 9)), None, Some(account("alice", 1))]
    );
    assert_eq!(requests(&access, "TransactGetItems"), 1);
    accounts.delete_table().await.unwrap();
    other.delete_table().await.unwrap();
}

#[tokio::test]
async fn optimistic_locking_prevents_a_lost_update() {
    if awsimple_testkit::skip_if_lacking("transactions") {
        return;
    }
    let access = access().await;
    let (plain, _dir) = table(&access, string_key("id")).await;
    let locked = DynamoDbAccess::builder(&access, plain.table_name())
        .version_attribute("version")
        .build()
        .unwrap();
    assert_eq!(locked.version_attribute(), Some("version"));

    // The first put of a new item stores version 1; a second "first" put fails.
    locked.put_item(&account("acc", 100)).await.unwrap();
    let stored: Account = locked.get_item("acc").await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert!(matches!(
        locked.put_item(&account("acc", 0)).await,
        Err(Error::Precondition { .. })
    ));

    // Without locking: two writers read the same item, both write, the first write is lost.
    let mut a: Account = plain.get_item("acc").await.unwrap().unwrap();
    let mut b: Account = plain.get_item("acc").await.unwrap().unwrap();
    a.balance += 10;
    b.balance += 20;
    plain.put_item(&a).await.unwrap();
    plain.put_item(&b).await.unwrap();
    let lost: Account = plain.get_item("acc").await.unwrap().unwrap();
    assert_eq!(lost.balance, 120, "the +10 was lost");

    // With locking: the second write, based on a version that is gone, fails naming the item.
    let mut a: Account = locked.get_item("acc").await.unwrap().unwrap();
    let mut b: Account = locked.get_item("acc").await.unwrap().unwrap();
    a.balance += 10;
    b.balance += 20;
    locked.put_item(&a).await.unwrap();
    let err = locked.put_item(&b).await.unwrap_err();
    match &err {
        Error::Precondition {
            resource, message, ..
        } => {
            assert!(resource.contains("\"acc\""), "{resource}");
            assert!(message.contains("version 1"), "{message}");
        }
        other => panic!("expected a precondition error, got {other:?}"),
    }
    let kept: Account = locked.get_item("acc").await.unwrap().unwrap();
    assert_eq!((kept.balance, kept.version), (130, 2));

    // Updates advance the version too, so a put based on an older read fails.
    locked
        .update_item("acc", &Update::new().add("balance", 1))
        .await
        .unwrap();
    assert!(matches!(
        locked.put_item(&kept).await,
        Err(Error::Precondition { .. })
    ));
    // An upsert carrying the version read is checked; one without is not.
    let now: Account = locked.get_item("acc").await.unwrap().unwrap();
    assert_eq!(now.version, 3);
    assert!(matches!(
        locked
            .upsert_item("acc", &json!({"balance": 0, "version": 2}))
            .await,
        Err(Error::Precondition { .. })
    ));
    locked
        .upsert_item("acc", &json!({"balance": 7, "version": 3}))
        .await
        .unwrap();
    locked
        .upsert_item("acc", &json!({"note": "blind"}))
        .await
        .unwrap();
    let now: Account = locked.get_item("acc").await.unwrap().unwrap();
    assert_eq!((now.balance, now.version), (7, 5));

    // The version is the library's: updates may not set it; batch puts cannot check it.
    assert!(matches!(
        locked
            .update_item("acc", &Update::new().set("version", 1))
            .await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        locked.put_items(&[account("x", 1)]).await,
        Err(Error::InvalidInput { .. })
    ));
    // A transaction's put through the locked handle is checked as well.
    let stale = TransactWrite::new().put(&locked, &kept);
    assert!(matches!(
        locked.transact_write(&stale).await,
        Err(Error::Precondition { message, .. }) if message.contains("version 2")
    ));
    plain.delete_table().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_with_retries_lose_nothing() {
    const N: u64 = 15;
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    let locked = DynamoDbAccess::builder(&access, db.table_name())
        .version_attribute("version")
        .build()
        .unwrap();
    #[derive(Debug, Deserialize)]
    struct Counter {
        count: u64,
        version: u64,
    }
    let increment = |db: DynamoDbAccess| async move {
        let mut last = 0;
        for _ in 0..N {
            let after: Counter = db
                .update_item_retrying(
                    "counter",
                    |c: Option<&Counter>| Update::new().set("count", c.map_or(0, |c| c.count) + 1),
                    100,
                )
                .await
                .unwrap();
            assert!(after.count > last);
            last = after.count;
        }
    };
    let updates = requests(&access, "UpdateItem");
    let a = tokio::spawn(increment(locked.clone()));
    let b = tokio::spawn(increment(
        DynamoDbAccess::builder(&access, db.table_name())
            .version_attribute("version")
            .build()
            .unwrap(),
    ));
    a.await.unwrap();
    b.await.unwrap();
    let counter: Counter = db.get_item("counter").await.unwrap().unwrap();
    assert_eq!(counter.count, 2 * N, "no increment was lost");
    assert_eq!(counter.version, 2 * N);
    let attempts = requests(&access, "UpdateItem") - updates;
    eprintln!("{attempts} UpdateItem attempts for {} increments", 2 * N);
    assert!(attempts >= 2 * N);

    // The update's own condition failing is not retried: the version did not change.
    let updates = requests(&access, "UpdateItem");
    let err = locked
        .update_item_retrying::<Counter, _>(
            "counter",
            |_| {
                Update::new()
                    .set("count", 0)
                    .condition(Condition::equals("count", 12345))
            },
            10,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Precondition { .. }), "{err}");
    assert_eq!(requests(&access, "UpdateItem") - updates, 1, "one attempt");
    // Without a version attribute the helper is refused.
    assert!(matches!(
        db.update_item_retrying::<Counter, _>("counter", |_| Update::new().set("count", 0), 3)
            .await,
        Err(Error::InvalidInput { .. })
    ));
    db.delete_table().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflicting_write_between_read_and_update_is_retried() {
    let access = access().await;
    let (db, _dir) = table(&access, string_key("id")).await;
    let locked = DynamoDbAccess::builder(&access, db.table_name())
        .version_attribute("version")
        .build()
        .unwrap();
    let other = DynamoDbAccess::builder(&access, db.table_name())
        .version_attribute("version")
        .build()
        .unwrap();
    locked.put_item(&account("acc", 10)).await.unwrap();
    let mut calls = Vec::new();
    let after: Account = locked
        .update_item_retrying(
            "acc",
            |a: Option<&Account>| {
                let a = a.unwrap();
                calls.push((a.balance, a.version));
                if calls.len() == 1 {
                    // Another writer commits between this read and this update.
                    let other = other.clone();
                    tokio::task::block_in_place(|| {
                        tokio::runtime::Handle::current()
                            .block_on(other.update_item("acc", &Update::new().add("balance", 100)))
                    })
                    .unwrap();
                }
                Update::new().set("balance", a.balance * 2)
            },
            5,
        )
        .await
        .unwrap();
    assert_eq!(
        calls,
        vec![(10, 1), (110, 2)],
        "read again after the conflict"
    );
    assert_eq!(
        (after.balance, after.version),
        (220, 3),
        "the other write was kept"
    );

    // A conflict on every attempt: gives up after max_attempts, naming the item.
    let updates = requests(&access, "UpdateItem");
    let err = locked
        .update_item_retrying::<Account, _>(
            "acc",
            |a| {
                let other = other.clone();
                tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current()
                        .block_on(other.update_item("acc", &Update::new().add("balance", 1)))
                })
                .unwrap();
                Update::new().set("balance", a.map_or(0, |a| a.balance))
            },
            3,
        )
        .await
        .unwrap_err();
    match &err {
        Error::Precondition {
            resource, message, ..
        } => {
            assert!(resource.contains("\"acc\""), "{resource}");
            assert!(message.contains("3 attempts"), "{message}");
        }
        other => panic!("expected a precondition error, got {other:?}"),
    }
    assert_eq!(
        requests(&access, "UpdateItem") - updates,
        3 + 3,
        "3 attempts, 3 other writes"
    );
    db.delete_table().await.unwrap();
}
