//! The one retry policy of awsimple: exponential backoff with decorrelated jitter, bounded by
//! a number of attempts and by the operation's deadline.
//!
//! The SDK retries each request by itself; this is for the loops the library runs on top of
//! the SDK: unprocessed batch entries, a body cut off mid-transfer, a multipart completion that
//! failed inside a 200 answer, a subscriber riding out an outage.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::Result;

/// How a [`Backoff`] grows: the first delay, the largest, the growth factor and the attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// The first delay.
    pub init_backoff: Duration,
    /// No delay is longer than this.
    pub max_backoff: Duration,
    /// Each delay is drawn from `init_backoff ..= previous × base` (decorrelated jitter).
    pub base: f64,
    /// Attempts in all, the first included; `u32::MAX` for "until the deadline".
    pub max_attempts: u32,
}

impl Default for BackoffConfig {
    /// 100 ms, growing by 3 up to 5 s, 5 attempts.
    fn default() -> Self {
        BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 3.0,
            max_attempts: 5,
        }
    }
}

impl BackoffConfig {
    /// The same config with `attempts` attempts in all (at least one).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The same config with other delay bounds.
    pub fn with_delays(mut self, init_backoff: Duration, max_backoff: Duration) -> Self {
        self.init_backoff = init_backoff;
        self.max_backoff = max_backoff.max(init_backoff);
        self
    }

    /// A [`Backoff`] that starts now.
    pub fn start(self) -> Backoff {
        Backoff::new(self)
    }
}

/// The state of one retry loop: call [`Backoff::wait`] (or [`Backoff::next_delay`]) after each
/// failed attempt; it says when to stop.
///
/// ```
/// use std::time::Duration;
/// use awsimple_core::BackoffConfig;
/// let mut backoff = BackoffConfig::default().with_max_attempts(3).start();
/// assert!(backoff.next_delay().is_some()); // after attempt 1
/// assert!(backoff.next_delay().is_some()); // after attempt 2
/// assert!(backoff.next_delay().is_none()); // 3 attempts made: stop
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    previous: Duration,
    attempt: u32,
    deadline: Option<Instant>,
    rng: fastrand::Rng,
}

impl Backoff {
    /// A loop that has made its first attempt.
    pub fn new(config: BackoffConfig) -> Self {
        Backoff {
            config,
            previous: config.init_backoff,
            attempt: 1,
            deadline: None,
            rng: fastrand::Rng::new(),
        }
    }

    /// Gives up when the next delay would end past `deadline`.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Gives up when the next delay would end past `timeout` from now; `None` keeps no deadline.
    pub fn with_timeout(self, timeout: Option<Duration>) -> Self {
        match timeout.and_then(|t| Instant::now().checked_add(t)) {
            Some(deadline) => self.with_deadline(deadline),
            None => self,
        }
    }

    /// The attempt the loop is on (1 for the first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The deadline, when there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The delay before the next attempt, or `None` when the attempts are spent or the delay
    /// would end past the deadline. Counts the attempt.
    pub fn next_delay(&mut self) -> Option<Duration> {
        if self.attempt >= self.config.max_attempts {
            return None;
        }
        let low = self.config.init_backoff.as_secs_f64();
        let high = (self.previous.as_secs_f64() * self.config.base)
            .min(self.config.max_backoff.as_secs_f64())
            .max(low);
        let delay = Duration::from_secs_f64(low + self.rng.f64() * (high - low));
        if self
            .deadline
            .is_some_and(|deadline| Instant::now() + delay >= deadline)
        {
            return None;
        }
        self.previous = delay;
        self.attempt += 1;
        Some(delay)
    }

    /// Sleeps the next delay; `false` (at once) when the loop should give up.
    pub async fn wait(&mut self) -> bool {
        match self.next_delay() {
            Some(delay) => {
                tokio::time::sleep(delay).await;
                true
            }
            None => false,
        }
    }
}

/// Runs `attempt` until it succeeds, fails with an error that is not
/// [transient](crate::Error::is_transient), or the backoff gives up (then the last error is returned).
pub async fn retry_transient<T, F, Fut>(backoff: &mut Backoff, mut attempt: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    loop {
        match attempt(backoff.attempt()).await {
            Ok(value) => return Ok(value),
            Err(e) if e.is_transient() => {
                tracing::debug!(attempt = backoff.attempt(), error = %e, "transient error");
                if !backoff.wait().await {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn delays_stay_within_bounds_and_attempts_are_counted() {
        let config = BackoffConfig::default()
            .with_delays(Duration::from_millis(10), Duration::from_millis(200))
            .with_max_attempts(50);
        let mut backoff = config.start();
        let mut delays = Vec::new();
        while let Some(d) = backoff.next_delay() {
            assert!(
                d >= Duration::from_millis(10) && d <= Duration::from_millis(200),
                "{d:?}"
            );
            delays.push(d);
        }
        assert_eq!(delays.len(), 49);
        assert_eq!(backoff.attempt(), 50);
        // Jitter: not every delay is the same.
        assert!(delays.windows(2).any(|w| w[0] != w[1]));
        // It grows: the later delays reach past the first bound.
        assert!(delays.iter().any(|d| *d > Duration::from_millis(30)));
    }

    #[test]
    fn the_deadline_bounds_the_loop() {
        let mut backoff = BackoffConfig::default()
            .with_delays(Duration::from_secs(1), Duration::from_secs(1))
            .with_max_attempts(u32::MAX)
            .start()
            .with_timeout(Some(Duration::from_millis(500)));
        assert_eq!(backoff.next_delay(), None);
    }

    #[tokio::test]
    async fn retry_transient_stops_on_a_permanent_error() {
        let mut backoff = BackoffConfig::default()
            .with_delays(Duration::from_millis(1), Duration::from_millis(2))
            .start();
        let mut calls = 0;
        let result: Result<()> = retry_transient(&mut backoff, |_| {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(Error::timeout("Test", "thing", "slow"))
                } else {
                    Err(Error::not_found("thing"))
                }
            }
        })
        .await;
        assert!(result.unwrap_err().is_not_found());
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn retry_transient_gives_up_with_the_last_error() {
        let mut backoff = BackoffConfig::default()
            .with_delays(Duration::from_millis(1), Duration::from_millis(2))
            .with_max_attempts(4)
            .start();
        let mut calls = 0;
        let result: Result<()> = retry_transient(&mut backoff, |_| {
            calls += 1;
            async { Err(Error::timeout("Test", "thing", "slow")) }
        })
        .await;
        assert!(result.unwrap_err().is_transient());
        assert_eq!(calls, 4);
    }
}
