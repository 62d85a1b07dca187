//! When to try a failed send again: exponential backoff with jitter, a bounded number of times,
//! after which the send is dead-lettered and shown as failed in the chat.

/// Attempts before a send is given up.
pub const MAX_ATTEMPTS: i64 = 6;
const FIRST_DELAY_MS: i64 = 2_000;
const MAX_DELAY_MS: i64 = 5 * 60 * 1000;

/// Delay before the next attempt after `attempts` failed ones; `jitter` in [0, 1) spreads
/// retries of many sends over ±20 % so they do not return all at once.
pub fn delay_ms(attempts: i64, jitter: f64) -> i64 {
    let doublings = (attempts.max(1) - 1).min(20) as u32;
    let base = (FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS) as f64;
    (base * (0.8 + 0.4 * jitter.clamp(0.0, 1.0))) as i64
}

/// Whether another attempt is allowed after `attempts` failed ones.
pub fn may_retry(attempts: i64) -> bool {
    attempts < MAX_ATTEMPTS
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn delays_double_and_are_capped() {
        assert_eq!(delay_ms(1, 0.5), 2_000);
        assert_eq!(delay_ms(2, 0.5), 4_000);
        assert_eq!(delay_ms(3, 0.5), 8_000);
        assert_eq!(delay_ms(30, 0.5), MAX_DELAY_MS);
        assert!(may_retry(MAX_ATTEMPTS - 1));
        assert!(!may_retry(MAX_ATTEMPTS));
    }

    proptest! {
        #[test]
        fn jitter_stays_within_twenty_percent(attempts in 1i64..40, jitter in 0.0f64..1.0) {
            let plain = delay_ms(attempts, 0.5) as f64;
            let jittered = delay_ms(attempts, jitter) as f64;
            prop_assert!(jittered >= plain * 0.8 - 1.0 && jittered <= plain * 1.2 + 1.0);
            prop_assert!(delay_ms(attempts + 1, jitter) >= delay_ms(attempts, jitter));
        }
    }
}
