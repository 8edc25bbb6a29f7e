//! DynamoDB from a plain `fn main` with the blocking API: a table of users keyed by e-mail
//! (`dynamodb_partition_only`, without async).

use awsimple::blocking::{AwsAccess, DynamoDbAccess};
use awsimple::dynamodb::{AttributeType, CreateTable, Item};
use serde_json::json;

fn main() -> awsimple::Result<()> {
    let access = AwsAccess::new()?;
    let users = DynamoDbAccess::new(&access, "users_blocking_example")?;
    let created = users.create_table(&CreateTable::partition("email", AttributeType::String))?;
    println!(
        "table {} {}",
        users.table_name(),
        if created { "created" } else { "already there" }
    );

    users.put_item(
        &json!({"email": "victor@victorwooten.com", "first_name": "Victor", "last_name": "Wooten"}),
    )?;
    users.put_item(&json!({"email": "john@ledzeppelin.com", "first_name": "John", "middle_name": "Paul", "last_name": "Jones"}))?;

    let item: Option<Item> = users.get_item("john@ledzeppelin.com")?;
    println!("{}", json!(item));
    // A scan read one page at a time, as an iterator.
    for user in users.scan_iter::<Item>() {
        println!("scanned {}", json!(user?));
    }
    Ok(())
}
