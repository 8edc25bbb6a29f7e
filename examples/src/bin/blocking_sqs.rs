//! SQS from a plain `fn main` with the blocking API: a producer sends jobs and a worker takes
//! them one at a time, deleting each when its work is done (`sqs_worker`, without async).

use std::time::Duration;

use awsimple::blocking::{AwsAccess, SqsAccess};

fn main() -> awsimple::Result<()> {
    let access = AwsAccess::new()?;
    let queue = SqsAccess::new(&access, "awsimple-example-blocking-jobs")?;
    queue.create_queue()?;
    let jobs: Vec<String> = (1..=3).map(|i| format!("job {i}")).collect();
    let report = queue.send_batch(&jobs)?;
    println!(
        "sent {} jobs (all sent: {})",
        jobs.len(),
        report.all_succeeded()
    );

    // Handle options go through the async builder.
    let worker = SqsAccess::from(
        awsimple::SqsAccess::builder(access.as_async(), queue.queue_name())
            .immediate_delete(false)
            .build()?,
    );
    while let Some(job) = worker.receive_message()? {
        std::thread::sleep(Duration::from_millis(100)); // the "work"
        worker.delete_message(&job)?;
        println!("done: {}", job.body);
    }
    Ok(())
}
