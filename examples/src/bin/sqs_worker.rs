//! A worker: `SqsAccess::worker` runs a handler per message, 4 at a time, extends the visibility
//! of long jobs (heartbeat), deletes what succeeded in batches, returns what failed to the queue
//! (to the dead-letter queue after 2 receives), and stops gracefully on a token (or ctrl-c).

use std::time::Duration;

use awsimple::sqs::{CancellationToken, Message};
use awsimple::{AwsAccess, SqsAccess};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let access = AwsAccess::new().await?;
    let history = tempfile::tempdir()?; // a real worker keeps the default per-user folder
    let queue = SqsAccess::builder(&access, "awsimple-example-jobs")
        .immediate_delete(false)
        .visibility_timeout(Duration::from_secs(2))
        .history_dir(history.path())
        .build()?;
    let dead_letter = SqsAccess::new(&access, "awsimple-example-jobs-dlq")?;
    queue.create_queue_with_dead_letter(&dead_letter, 2).await?;
    let jobs: Vec<String> = (1..=8).map(|i| format!("job {i}")).collect();
    queue.send_batch(&jobs).await?;
    queue.send("poison").await?;
    println!("sent {} jobs and one that always fails", jobs.len());

    let stop = CancellationToken::new();
    let worker = queue
        .worker(|job: Message| async move {
            if job.body == "poison" {
                return Err(format!("cannot do {:?}", job.body));
            }
            // A job of 3 s outlives the 2 s visibility timeout: the heartbeat extends it.
            tokio::time::sleep(Duration::from_secs(3)).await;
            println!("done: {}", job.body);
            Ok(())
        })
        .concurrency(4)
        .poll_wait(Duration::from_secs(1))
        .stop_on(stop.clone())
        .stop_on_ctrl_c(true);
    let metrics = worker.metrics();
    let running = tokio::spawn(worker.run());
    // Stop once every job is done and the poison message reached the dead-letter queue.
    while metrics.snapshot().handled < jobs.len() as u64
        || dead_letter.approximate_message_count().await? == 0
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.cancel();
    let stats = running.await??;
    println!(
        "handled {}, failed {}, visibility extensions {}",
        stats.handled, stats.failed, stats.extended
    );
    println!(
        "in the dead-letter queue: {}",
        dead_letter.approximate_message_count().await?
    );
    dead_letter.redrive_to(&queue).await?;
    println!(
        "after the redrive: {} in the queue",
        queue.approximate_message_count().await?
    );
    queue.purge().await?;
    Ok(())
}
