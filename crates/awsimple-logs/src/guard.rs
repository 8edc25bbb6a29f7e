//! Marks the threads that are shipping logs, so that the tracing layer never ships the events
//! its own shipping emits (which would ship events about shipping, without end).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    static SHIPPING: Cell<bool> = const { Cell::new(false) };
}

/// True while this thread is polling the batcher's task.
#[cfg_attr(not(feature = "tracing-layer"), allow(dead_code))] // used by the layer
pub(crate) fn is_shipping() -> bool {
    SHIPPING.with(Cell::get)
}

/// Restores the thread's mark when a poll ends, even by a panic.
struct Restore(bool);

impl Drop for Restore {
    fn drop(&mut self) {
        SHIPPING.with(|s| s.set(self.0));
    }
}

/// A future whose every poll runs with the thread marked as shipping.
pub(crate) struct Shipping<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Shipping<F> {
    pub(crate) fn new(inner: F) -> Self {
        Shipping {
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for Shipping<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _restore = Restore(SHIPPING.with(|s| s.replace(true)));
        self.get_mut().inner.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_mark_holds_only_inside_the_future() {
        assert!(!is_shipping());
        let inside = Shipping::new(async {
            tokio::task::yield_now().await;
            is_shipping()
        })
        .await;
        assert!(inside);
        assert!(!is_shipping());
    }
}
