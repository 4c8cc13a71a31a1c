//! Retries: the [`RetryPolicy`] of a client, its retry budget, and the loop that runs
//! the attempts of one call within the call's operation timeout.
//!
//! Every call of a [`Client`](crate::Client) runs as one or more attempts. An attempt
//! sends the request and reads and decodes the answer, so a truncated or undecodable
//! body is a failed attempt like a reset connection. After a failed attempt the call is
//! tried again only when all of these hold:
//!
//! * the failure is safe to retry ([`Error::is_retryable`]): for idempotent methods
//!   (GET, HEAD, OPTIONS, PUT, DELETE) 408, 429, 500, 502, 503 and 504 answers,
//!   connection failures, resets, early closes, truncated or undecodable bodies and
//!   attempt timeouts; for any method (POST and PATCH too) only failures that prove the
//!   server did nothing: a 429 answer (the platform throttles before the view runs), a
//!   connection that could not be opened, a request that was never written;
//! * the policy allows another attempt ([`RetryPolicy::max_attempts`], 3 in all by
//!   default);
//! * the wait fits: the server's `Retry-After` when it sent one (a longer wait than
//!   [`RetryPolicy::max_delay`] ends the call), else an exponential backoff with full
//!   jitter; and the wait ends before the [operation
//!   timeout](crate::ClientBuilder::operation_timeout), if any;
//! * the client's retry budget has the tokens for it: a retry costs
//!   [`RETRY_COST`] tokens ([`TIMEOUT_RETRY_COST`] after a timeout), a successful call
//!   gives back [`SUCCESS_REFILL`] (or what its own retries cost), so during an outage
//!   the clients of one process stop retrying instead of multiplying the load.
//!
//! A retried DELETE answered 404 after an earlier attempt that may have been applied
//! is a success: the earlier attempt deleted the resource.
//!
//! A call given up on after more than one attempt, by its operation timeout or by the
//! budget is an [`Error::GaveUp`], which tells how many attempts were made, how long
//! they took, and holds the last attempt's error.
//!
//! The backoff arithmetic is [`backon`]'s exponential backoff (its own jitter adds up
//! to one more delay, so the full jitter — a uniform draw below the delay, as AWS's
//! standard retry mode — is drawn here). The loop is this module's own rather than
//! `backon`'s `Retryable`: which failure may be retried depends on the method and on
//! what earlier attempts may have done, waits come from `Retry-After`, the budget and
//! the deadline can end the call, and the final error counts the attempts.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::Method;
use crate::error::{Error, GaveUp, GiveUpReason, Result};

/// How many attempts a call gets in all by default ([`RetryPolicy::standard`]).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The ceiling of the first backoff by default.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_secs(1);
/// The longest wait between attempts by default (backoff and `Retry-After` alike).
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(20);
/// How many tokens a client's retry budget holds by default.
pub const DEFAULT_BUDGET: u32 = 500;
/// The tokens one retry costs.
pub const RETRY_COST: u32 = 5;
/// The tokens one retry after a timeout costs.
pub const TIMEOUT_RETRY_COST: u32 = 10;
/// The tokens a call that succeeded at its first attempt gives back.
pub const SUCCESS_REFILL: u32 = 1;

/// When and how often to retry a failed call (see the [module docs](self) for what is
/// retried).
///
/// The default is [`RetryPolicy::standard`]: 3 attempts in all, backoff from 1 s up to
/// 20 s with full jitter, the server's `Retry-After` honoured up to 20 s, a retry budget
/// of [`DEFAULT_BUDGET`] tokens per client. [`RetryPolicy::none`] never retries.
///
/// ```
/// use std::time::Duration;
/// use syncano::RetryPolicy;
///
/// let policy = RetryPolicy::standard()
///     .with_max_attempts(5)
///     .base_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(5));
/// assert_eq!(policy.max_attempts(), 5);
/// // the delay before the third retry is at most 100 ms * 2^2
/// assert!(policy.delay(2, None) <= Duration::from_millis(400));
/// // a Retry-After is honoured as it is, up to the cap
/// assert_eq!(policy.delay(0, Some(Duration::from_secs(2))), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    budget: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::standard()
    }
}

impl RetryPolicy {
    /// The standard mode, on by default: [`DEFAULT_MAX_ATTEMPTS`] attempts in all,
    /// backoff from [`DEFAULT_BASE_DELAY`] doubling up to [`DEFAULT_MAX_DELAY`] with
    /// full jitter, `Retry-After` honoured up to [`DEFAULT_MAX_DELAY`], a budget of
    /// [`DEFAULT_BUDGET`] tokens.
    pub fn standard() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            budget: Some(DEFAULT_BUDGET),
        }
    }

    /// Never retry: every call is one attempt.
    pub fn none() -> Self {
        RetryPolicy::standard().with_max_attempts(1)
    }

    /// The standard mode with up to `max_retries` retries (`max_retries + 1` attempts).
    pub fn new(max_retries: u32) -> Self {
        RetryPolicy::standard().with_max_attempts(max_retries.saturating_add(1))
    }

    /// Sets how many attempts a call gets in all (at least 1; 1 never retries).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the ceiling of the first backoff; each retry doubles it.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets the longest wait between attempts: the backoff's ceiling, and the longest
    /// `Retry-After` honoured (a server asking for longer ends the call).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets the size of the client's retry budget, in tokens (see the
    /// [module docs](self)).
    pub fn budget(mut self, tokens: u32) -> Self {
        self.budget = Some(tokens);
        self
    }

    /// Retries without a budget: only the attempt count and the deadline limit them.
    pub fn without_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// How many attempts a call gets in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How many times a call may be retried (attempts less one).
    pub fn max_retries(&self) -> u32 {
        self.max_attempts - 1
    }

    /// The longest wait between attempts.
    pub fn max_wait(&self) -> Duration {
        self.max_delay
    }

    /// The size of the retry budget, if there is one.
    pub fn budget_tokens(&self) -> Option<u32> {
        self.budget
    }

    /// The ceiling of the backoff before retry number `retry` (from 0):
    /// `base_delay * 2^retry`, at most `max_delay`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .without_max_times()
            .build()
            .nth(retry.min(64) as usize)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        // backon computes in f32: round its float noise off to whole microseconds
        Duration::from_micros(ceiling.as_secs_f64().mul_add(1e6, 0.5) as u64)
    }

    /// The wait before retry number `retry` (from 0): the server's `retry_after` when
    /// given (at most `max_delay`), else a uniform draw between zero and
    /// [`backoff(retry)`](RetryPolicy::backoff) ("full jitter", so clients failing
    /// together do not retry together).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(asked) => asked.min(self.max_delay),
            None => self.backoff(retry).mul_f64(fastrand::f64()),
        }
    }
}

/// A client's retry budget: a token bucket shared by the client and its clones.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    tokens: Mutex<u32>,
}

impl RetryBudget {
    fn new(capacity: u32) -> Self {
        RetryBudget {
            capacity,
            tokens: Mutex::new(capacity),
        }
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, u32> {
        // the count stays valid whatever panicked while holding the lock
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes `cost` tokens if there are that many.
    fn try_acquire(&self, cost: u32) -> bool {
        let mut tokens = self.tokens();
        if *tokens >= cost {
            *tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Gives back `amount` tokens, up to the capacity.
    fn refill(&self, amount: u32) {
        let mut tokens = self.tokens();
        *tokens = tokens.saturating_add(amount).min(self.capacity);
    }

    /// The tokens left.
    pub(crate) fn available(&self) -> u32 {
        *self.tokens()
    }
}

/// What an attempt is told about the call it belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    /// Whether an earlier attempt of the call may have been applied by the server.
    pub(crate) earlier_may_have_been_applied: bool,
}

/// Runs the attempts of calls: a client's policy, budget and operation timeout.
#[derive(Debug)]
pub(crate) struct Retrier {
    policy: RetryPolicy,
    budget: Option<RetryBudget>,
    operation_timeout: Option<Duration>,
}

impl Retrier {
    pub(crate) fn new(policy: RetryPolicy, operation_timeout: Option<Duration>) -> Self {
        Retrier {
            policy,
            budget: policy.budget.map(RetryBudget::new),
            operation_timeout,
        }
    }

    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    pub(crate) fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    pub(crate) fn operation_timeout(&self) -> Option<Duration> {
        self.operation_timeout
    }

    /// Runs `attempt` until it succeeds or the call is given up on (see the
    /// [module docs](self)).
    pub(crate) async fn run<T, F, Fut>(
        &self,
        method: &Method,
        path: &str,
        mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let started = Instant::now();
        let deadline = self.operation_timeout.map(|t| started + t);
        let mut attempts = 0u32;
        let mut spent = 0u32;
        let mut may_have_been_applied = false;
        loop {
            attempts += 1;
            let this = attempt(Attempt {
                earlier_may_have_been_applied: may_have_been_applied,
            });
            let outcome = match deadline {
                Some(deadline) => {
                    match tokio::time::timeout_at(deadline.into(), this).await {
                        Ok(outcome) => outcome,
                        Err(_) => {
                            let timeout = self.operation_timeout.unwrap_or_default();
                            return Err(give_up(GaveUp {
                                method: method.clone(),
                                path: path.to_string(),
                                attempts,
                                elapsed: started.elapsed(),
                                reason: GiveUpReason::OperationTimeout(timeout),
                                // the attempt cut short may have been sent
                                may_have_been_applied: may_have_been_applied
                                    || changes_state(method),
                                last: None,
                            }));
                        }
                    }
                }
                None => this.await,
            };
            let error = match outcome {
                Ok(value) => {
                    if let Some(budget) = &self.budget {
                        budget.refill(if spent > 0 { spent } else { SUCCESS_REFILL });
                    }
                    return Ok(value);
                }
                Err(error) => error,
            };
            may_have_been_applied |= error.may_have_been_applied();
            let stop = |reason: GiveUpReason, error: Error| {
                if attempts == 1 && reason == GiveUpReason::Final {
                    return error;
                }
                give_up(GaveUp {
                    method: method.clone(),
                    path: path.to_string(),
                    attempts,
                    elapsed: started.elapsed(),
                    reason,
                    may_have_been_applied,
                    last: Some(error),
                })
            };
            // a re-send is safe only if no earlier attempt of a write may have been applied
            let safe = error.is_retryable() && (!may_have_been_applied || is_idempotent(method));
            if !safe {
                return Err(stop(GiveUpReason::Final, error));
            }
            if attempts >= self.policy.max_attempts {
                let reason = if attempts == 1 {
                    GiveUpReason::Final
                } else {
                    GiveUpReason::AttemptsExhausted
                };
                return Err(stop(reason, error));
            }
            let retry_after = error.retry_after();
            if let Some(asked) = retry_after.filter(|asked| *asked > self.policy.max_delay) {
                return Err(stop(
                    GiveUpReason::RetryAfterTooLong {
                        asked,
                        allowed: self.policy.max_delay,
                    },
                    error,
                ));
            }
            let delay = self.policy.delay(attempts - 1, retry_after);
            if let (Some(deadline), Some(timeout)) = (deadline, self.operation_timeout) {
                if Instant::now() + delay >= deadline {
                    return Err(stop(GiveUpReason::OperationTimeout(timeout), error));
                }
            }
            let cost = if error.is_timeout() {
                TIMEOUT_RETRY_COST
            } else {
                RETRY_COST
            };
            if let Some(budget) = &self.budget {
                if !budget.try_acquire(cost) {
                    return Err(stop(GiveUpReason::BudgetSpent, error));
                }
                spent += cost;
            }
            tracing::debug!(
                target: "syncano",
                method = %method,
                path = %path,
                attempt = attempts,
                delay_ms = delay.as_millis() as u64,
                error = %error,
                "retrying request"
            );
            tokio::time::sleep(delay).await;
        }
    }
}

fn give_up(gave_up: GaveUp) -> Error {
    Error::GaveUp(Box::new(gave_up))
}

/// Whether a method may be sent twice with the same effect as once.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
}

/// Whether a method may change something on the server.
pub(crate) fn changes_state(method: &Method) -> bool {
    ![Method::GET, Method::HEAD, Method::OPTIONS].contains(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::standard()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(500));
        let ceilings: Vec<u128> = (0..5).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 500, 500]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_millis(500));
    }

    #[test]
    fn budget_takes_and_refills_within_capacity() {
        let budget = RetryBudget::new(12);
        assert!(budget.try_acquire(RETRY_COST));
        assert!(budget.try_acquire(RETRY_COST));
        assert!(!budget.try_acquire(RETRY_COST));
        assert_eq!(budget.available(), 2);
        budget.refill(100);
        assert_eq!(budget.available(), 12);
    }
}
