//! Login throttling (AUTH-3): after a few failures in a window, each further failure locks
//! the account (or the source address) for a doubling time, capped.

/// Failures counted within this window.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures allowed before locking starts.
pub const FREE_FAILURES: i64 = 5;
const FIRST_LOCK_MS: i64 = 30 * 1000;
const MAX_LOCK_MS: i64 = 15 * 60 * 1000;

/// How long to lock after the `failures`-th failure in the window (0 = not locked).
pub fn lock_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    (FIRST_LOCK_MS << doublings).min(MAX_LOCK_MS)
}

/// Whole seconds left until `locked_until`, rounded up, for "try again in N s".
pub fn seconds_left(locked_until: i64, now: i64) -> i64 {
    ((locked_until - now).max(0) + 999) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_after_the_free_failures_and_are_capped() {
        assert_eq!(lock_ms(1), 0);
        assert_eq!(lock_ms(4), 0);
        assert_eq!(lock_ms(5), 30_000);
        assert_eq!(lock_ms(6), 60_000);
        assert_eq!(lock_ms(7), 120_000);
        assert_eq!(lock_ms(50), MAX_LOCK_MS);
        let mut previous = 0;
        for n in 0..100 {
            assert!(lock_ms(n) >= previous);
            previous = lock_ms(n);
        }
    }

    #[test]
    fn seconds_left_rounds_up() {
        assert_eq!(seconds_left(10_001, 0), 11);
        assert_eq!(seconds_left(10_000, 0), 10);
        assert_eq!(seconds_left(0, 5), 0);
    }
}
