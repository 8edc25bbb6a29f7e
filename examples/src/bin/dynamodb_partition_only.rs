//! A table of users keyed by e-mail (partition key only): the Rust version of awsimple's
//! `dynamodb_partition_only.py`. Items are dynamic, so new attributes need no migration.

use std::time::Instant;

use awsimple::AwsAccess;
use awsimple::dynamodb::{AttributeType, CreateTable, DynamoDbAccess, Item};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    let users = DynamoDbAccess::new(&access, "users_example")?;

    // The e-mail address alone is the primary key: e-mails are unique to each user.
    let created = users
        .create_table(&CreateTable::partition("email", AttributeType::String))
        .await?;
    println!(
        "table users_example {}",
        if created { "created" } else { "already there" }
    );

    users
        .put_item(&json!({"email": "victor@victorwooten.com", "first_name": "Victor", "last_name": "Wooten"}))
        .await?;
    // No one knows "John Jones": add a middle name. NoSQL: just a new attribute.
    users
        .put_item(&json!({"email": "john@ledzeppelin.com", "first_name": "John", "middle_name": "Paul", "last_name": "Jones"}))
        .await?;
    // And a nickname for Sting.
    users
        .put_item(&json!({
            "email": "sting@thepolice.com",
            "first_name": "Gordon",
            "middle_name": "Matthew",
            "middle_name_2": "Thomas",
            "last_name": "Sumner",
            "nickname": "Sting",
        }))
        .await?;

    let start = Instant::now();
    let item: Option<Item> = users.get_item("john@ledzeppelin.com").await?;
    println!("{}", serde_json::to_string_pretty(&item)?);
    println!("get_item took {:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
