//! Money moved between accounts with a transaction (both balances change and the transfer is
//! logged, or nothing happens), and a counter two tasks increment at once with optimistic
//! locking (no increment is lost).

use awsimple::AwsAccess;
use awsimple::dynamodb::{
    AttributeType, Condition, CreateTable, DynamoDbAccess, Error, TransactGet, TransactWrite,
    Update,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Serialize, Deserialize)]
struct Account {
    id: String,
    balance: i64,
    #[serde(default)]
    version: u64,
}

#[derive(Debug, Deserialize)]
struct Counter {
    count: u64,
    version: u64,
}

/// Moves `amount` from `from` to `to` and logs it, all or nothing; only when `from` can pay.
async fn transfer(
    accounts: &DynamoDbAccess,
    transfers: &DynamoDbAccess,
    id: &str,
    (from, to, amount): (&str, &str, i64),
) -> Result<(), Error> {
    let transaction = TransactWrite::new()
        .update(
            accounts,
            from,
            Update::new()
                .add("balance", -amount)
                .condition(Condition::greater_or_equal("balance", amount)),
        )
        .update(
            accounts,
            to,
            Update::new()
                .add("balance", amount)
                .condition(Condition::exists("id")),
        )
        .put(
            transfers,
            &json!({"id": id, "from": from, "to": to, "amount": amount}),
        );
    accounts.transact_write(&transaction).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    // Every write through `accounts` is based on the version it read (see the counter below).
    let accounts = DynamoDbAccess::builder(&access, "accounts_example")
        .version_attribute("version")
        .build()?;
    let transfers = DynamoDbAccess::new(&access, "transfers_example")?;
    for table in [&accounts, &transfers] {
        table
            .create_table(&CreateTable::partition("id", AttributeType::String))
            .await?;
        table.delete_all_items().await?; // a fresh start on every run
    }
    for (id, balance) in [("alice", 100), ("bob", 20)] {
        // A new item (version 0): stored at version 1, only if no such account exists.
        accounts
            .put_item(&Account {
                id: id.to_owned(),
                balance,
                version: 0,
            })
            .await?;
    }

    transfer(&accounts, &transfers, "t-1", ("alice", "bob", 30)).await?;
    println!("t-1: alice paid bob 30");
    // Bob cannot pay 500: the transaction is cancelled, nothing is written, the error says why.
    match transfer(&accounts, &transfers, "t-2", ("bob", "alice", 500)).await {
        Err(Error::Precondition {
            resource, message, ..
        }) => {
            println!("t-2 cancelled: {resource}: {message}");
        }
        other => return Err(format!("t-2 should have been cancelled: {other:?}").into()),
    }
    // Read both accounts as they were at one moment.
    let both: Vec<Option<Account>> = accounts
        .transact_get(
            &TransactGet::new()
                .get(&accounts, "alice")
                .get(&accounts, "bob"),
        )
        .await?;
    println!("balances: {both:?}");
    println!(
        "{} transfer logged",
        transfers.scan_table::<serde_json::Value>().await?.len()
    );

    // Optimistic locking: two tasks read-modify-write one counter 20 times each. Each update
    // holds only if the counter is still at the version read; on a conflict it is read again
    // and retried, so the count ends at exactly 40.
    let increments = |accounts: DynamoDbAccess| async move {
        for _ in 0..20 {
            accounts
                .update_item_retrying(
                    "counter",
                    |c: Option<&Counter>| Update::new().set("count", c.map_or(0, |c| c.count) + 1),
                    50,
                )
                .await
                .map(|_: Counter| ())?;
        }
        Ok::<(), Error>(())
    };
    let a = tokio::spawn(increments(accounts.clone()));
    let b = tokio::spawn(increments(accounts.clone()));
    a.await??;
    b.await??;
    let counter: Counter = accounts
        .get_item("counter")
        .await?
        .ok_or("the counter is missing")?;
    println!(
        "counter after 2 x 20 concurrent increments: {} (version {})",
        counter.count, counter.version
    );
    if counter.count == 40 {
        Ok(())
    } else {
        Err(format!("expected a count of 40, got {}", counter.count).into())
    }
}
