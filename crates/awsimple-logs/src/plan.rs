//! Splitting events into `PutLogEvents` requests within the service's limits.

use crate::event::{
    EVENT_OVERHEAD, MAX_BATCH_EVENTS, MAX_BATCH_SIZE, MAX_BATCH_SPAN, MAX_EVENT_SIZE,
    duration_millis,
};

/// The limits of one request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) events: usize,
    pub(crate) bytes: usize,
    /// The span between the first and the last timestamp of a request stays below this.
    pub(crate) span_ms: i64,
}

/// The limits of CloudWatch Logs.
pub(crate) fn service_limits() -> Limits {
    Limits {
        events: MAX_BATCH_EVENTS,
        bytes: MAX_BATCH_SIZE,
        span_ms: duration_millis(MAX_BATCH_SPAN),
    }
}

// Any event that passes `check_message` fits in a request alone.
const _: () = assert!(MAX_EVENT_SIZE + EVENT_OVERHEAD <= MAX_BATCH_SIZE);

/// One event to place: its index in the caller's list, timestamp and size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    pub(crate) index: usize,
    pub(crate) millis: i64,
    pub(crate) size: usize,
}

/// Sorts the items chronologically (a stable sort: events with the same timestamp keep the
/// caller's order) and cuts them into requests, each within `limits`. Returns the caller's
/// indices, request by request, in the order they are to be sent.
pub(crate) fn plan_requests(mut items: Vec<Item>, limits: Limits) -> Vec<Vec<usize>> {
    items.sort_by_key(|item| item.millis);
    let mut requests: Vec<Vec<usize>> = Vec::new();
    let mut bytes = 0;
    let mut first_ms = 0;
    for item in items {
        match requests.last_mut() {
            Some(request)
                if request.len() < limits.events
                    && bytes + item.size <= limits.bytes
                    && item.millis - first_ms < limits.span_ms =>
            {
                request.push(item.index);
                bytes += item.size;
            }
            _ => {
                requests.push(vec![item.index]);
                bytes = item.size;
                first_ms = item.millis;
            }
        }
    }
    requests
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(spec: &[(i64, usize)]) -> Vec<Item> {
        spec.iter()
            .enumerate()
            .map(|(index, &(millis, size))| Item {
                index,
                millis,
                size,
            })
            .collect()
    }

    const SMALL: Limits = Limits {
        events: 3,
        bytes: 100,
        span_ms: 1000,
    };

    #[test]
    fn the_count_limit_splits() {
        let plan = plan_requests(items(&[(0, 1); 7]), SMALL);
        assert_eq!(plan, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
    }

    #[test]
    fn the_size_limit_splits() {
        let plan = plan_requests(items(&[(0, 60), (0, 40), (0, 1), (0, 100)]), SMALL);
        assert_eq!(plan, [vec![0, 1], vec![2], vec![3]]);
    }

    #[test]
    fn the_span_limit_splits() {
        let plan = plan_requests(items(&[(0, 1), (999, 1), (1000, 1), (1500, 1)]), SMALL);
        assert_eq!(plan, [vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn events_are_sorted_and_equal_timestamps_keep_their_order() {
        let plan = plan_requests(items(&[(5, 1), (1, 1), (5, 1), (1, 1), (3, 1)]), SMALL);
        assert_eq!(plan, [vec![1, 3, 4], vec![0, 2]]);
    }

    #[test]
    fn the_service_limits() {
        let limits = service_limits();
        // 10 001 tiny events: two requests.
        let plan = plan_requests(items(&vec![(0, 27); 10_001]), limits);
        assert_eq!(plan.iter().map(Vec::len).collect::<Vec<_>>(), [10_000, 1]);
        // 1 MiB exactly fits; one more byte does not.
        let plan = plan_requests(items(&[(0, 524_288), (0, 524_288), (0, 1)]), limits);
        assert_eq!(plan.len(), 2);
        assert!(plan_requests(Vec::new(), limits).is_empty());
    }
}
