//! A table of musical instruments keyed by manufacturer (partition) and serial number (sort),
//! with typed items: the Rust version of awsimple's `dynamodb_partition_and_sort.py`.

use std::time::{Duration, Instant};

use awsimple::AwsAccess;
use awsimple::dynamodb::{AttributeType, CreateTable, DynamoDbAccess, Query};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Instrument {
    manufacturer: String,
    serial_number: u64,
    model: String,
    year: u16,
    price: f64,
}

fn instrument(
    manufacturer: &str,
    serial_number: u64,
    model: &str,
    year: u16,
    price: f64,
) -> Instrument {
    Instrument {
        manufacturer: manufacturer.to_owned(),
        serial_number,
        model: model.to_owned(),
        year,
        price,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    // A short cache life, for development. Every writer of this example runs on this machine,
    // so no clock skew needs allowing for (keep the default 100 s when writers run elsewhere:
    // then a cached scan is trusted only once the last write is 100 s older than the scan).
    let inventory = DynamoDbAccess::builder(&access, "musical_instruments_example")
        .cache_life(Duration::from_secs(60))
        .clock_skew(Duration::ZERO)
        .mtime_window(Duration::ZERO)
        .build()?;
    inventory
        .create_table(
            &CreateTable::partition("manufacturer", AttributeType::String)
                .sort("serial_number", AttributeType::Number),
        )
        .await?;

    inventory
        .put_item(&instrument("Gibson", 1234, "Ripper", 1983, 1299.50))
        .await?;
    inventory
        .put_item(&instrument("Gibson", 5678, "Thunderbird", 1977, 2399.50))
        .await?;
    // The same serial number as the Ripper is fine: it is a Fender.
    inventory
        .put_item(&instrument("Fender", 1234, "Precision", 2008, 1800.0))
        .await?;

    let start = Instant::now();
    let gibsons: Vec<Instrument> = inventory.query(&Query::partition("Gibson")).await?;
    println!("Gibson instruments: {gibsons:#?}");
    println!("query took {:.3} s\n", start.elapsed().as_secs_f64());

    // The whole inventory: from the local cache while the table has not changed.
    for _ in 0..2 {
        let start = Instant::now();
        let all = inventory.scan_table_cached::<Instrument>().await?;
        println!(
            "{} instruments, scan took {:.3} s (cache hit: {})",
            all.items.len(),
            start.elapsed().as_secs_f64(),
            all.cache_hit
        );
    }
    Ok(())
}
