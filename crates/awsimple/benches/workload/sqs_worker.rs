//! `sqs.worker_1000`: draining 1000 queued messages with `SqsAccess::worker` (concurrency 8, a
//! handler that does nothing), and its floor: the bare SDK's ReceiveMessage(10) /
//! DeleteMessageBatch loop over the same 1000 messages. Each repeat first fills the queue with
//! batch sends (not timed).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use awsimple::sqs::SqsAccess;

use super::Bench;

const MESSAGES: usize = 1000;

pub(crate) async fn worker_lines(bench: &Bench) {
    let name = "sqs.worker_1000";
    if !bench.selected(name) {
        return;
    }
    let queue = SqsAccess::builder(&bench.access, format!("rsbench-worker-{}", bench.run))
        .history_dir(bench.folder.join("sqs-history"))
        .build()
        .unwrap();
    queue.create_queue().await.unwrap();
    let bodies: Vec<String> = (0..MESSAGES).map(|i| format!("message {i}")).collect();
    let fill = async || {
        assert!(queue.send_batch(&bodies).await.unwrap().all_succeeded());
    };
    bench
        .measure(
            name,
            bench.repeats,
            "concurrency 8, empty handler; until all handled, then stop",
            fill,
            || async {
                let handled = Arc::new(AtomicUsize::new(0));
                let counted = Arc::clone(&handled);
                let worker = queue.worker(move |_message| {
                    let counted = Arc::clone(&counted);
                    async move {
                        counted.fetch_add(1, Ordering::SeqCst);
                        Ok::<(), String>(())
                    }
                });
                let worker = worker.concurrency(8);
                let stop = worker.stop_token();
                let metrics = worker.metrics();
                let running = tokio::spawn(worker.run());
                // Stop as soon as every message is handled (polled at 1 ms; the stop then
                // flushes the pending deletes, which the time includes).
                while handled.load(Ordering::SeqCst) < MESSAGES {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                stop.cancel();
                let stats = running.await.unwrap().unwrap();
                assert_eq!(stats.handled as usize, MESSAGES, "{:?}", metrics.snapshot());
            },
        )
        .await;
    // The floor: ReceiveMessage(10) and a DeleteMessageBatch of what came, until all are gone.
    let url = queue.url().await.unwrap();
    bench
        .measure(
            &format!("{name}.sdk_floor"),
            bench.repeats,
            "bare SDK: ReceiveMessage(10) + DeleteMessageBatch loop",
            fill,
            || async {
                use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
                let client = queue.client();
                let mut got = 0;
                while got < MESSAGES {
                    let out = client
                        .receive_message()
                        .queue_url(&url)
                        .max_number_of_messages(10)
                        .wait_time_seconds(20)
                        .send()
                        .await
                        .unwrap();
                    let messages = out.messages();
                    if messages.is_empty() {
                        continue;
                    }
                    got += messages.len();
                    let entries = messages
                        .iter()
                        .enumerate()
                        .map(|(i, m)| {
                            DeleteMessageBatchRequestEntry::builder()
                                .id(i.to_string())
                                .receipt_handle(m.receipt_handle().unwrap())
                                .build()
                                .unwrap()
                        })
                        .collect();
                    let deleted = client
                        .delete_message_batch()
                        .queue_url(&url)
                        .set_entries(Some(entries))
                        .send()
                        .await
                        .unwrap();
                    assert!(deleted.failed().is_empty());
                }
            },
        )
        .await;
    queue.delete_queue().await.unwrap();
}
