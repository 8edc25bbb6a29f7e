//! What the tests share: reading a stream back from the emulator, the group's retention.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use awsimple_logs::LogsAccess;

/// Every event of the handle's stream, oldest first, as (timestamp in ms, message): every
/// GetLogEvents page followed, straight through the SDK client.
pub(crate) async fn read_back(logs: &LogsAccess) -> Vec<(i64, String)> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = logs
            .client()
            .get_log_events()
            .log_group_name(logs.log_group_name())
            .log_stream_name(logs.log_stream_name())
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("GetLogEvents");
        if out.events().is_empty() {
            return events;
        }
        events.extend(out.events().iter().map(|e| {
            (
                e.timestamp().unwrap_or_default(),
                e.message().unwrap_or_default().to_owned(),
            )
        }));
        let next = out.next_forward_token().map(str::to_owned);
        if next.is_none() || next == token {
            return events;
        }
        token = next;
    }
}

/// The messages only.
pub(crate) async fn messages(logs: &LogsAccess) -> Vec<String> {
    read_back(logs).await.into_iter().map(|(_, m)| m).collect()
}

/// The group's retention as DescribeLogGroups reports it.
pub(crate) async fn retention(logs: &LogsAccess) -> Option<i32> {
    let out = logs
        .client()
        .describe_log_groups()
        .log_group_name_prefix(logs.log_group_name())
        .send()
        .await
        .expect("DescribeLogGroups");
    out.log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(logs.log_group_name()))
        .expect("the group is listed")
        .retention_in_days()
}

/// The stream names of the handle's group.
pub(crate) async fn stream_names(logs: &LogsAccess) -> Vec<String> {
    let out = logs
        .client()
        .describe_log_streams()
        .log_group_name(logs.log_group_name())
        .send()
        .await
        .expect("DescribeLogStreams");
    out.log_streams()
        .iter()
        .filter_map(|s| s.log_stream_name().map(str::to_owned))
        .collect()
}

/// A group name no other test uses.
pub(crate) fn group_name(prefix: &str) -> String {
    format!("/awsimple-test/{}", awsimple_testkit::unique_name(prefix))
}

pub(crate) const LOGS: &str = "CloudWatch Logs";
