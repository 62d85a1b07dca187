//! The 24-hour customer-service window (WA-4): free-form replies are allowed only within 24
//! hours of the customer's last message; outside it only approved templates may be sent.

/// The window's length.
pub const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Is the window open at `now` given the customer's last message time (both Unix ms)?
pub fn is_open(last_inbound_at: Option<i64>, now: i64) -> bool {
    last_inbound_at.is_some_and(|last| now >= last && now - last < WINDOW_MS)
}

/// When the window closes (Unix ms), if the customer ever wrote.
pub fn closes_at(last_inbound_at: Option<i64>) -> Option<i64> {
    last_inbound_at.map(|last| last + WINDOW_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_for_exactly_24_hours_after_the_last_customer_message() {
        let last = 1_000_000;
        assert!(!is_open(None, last), "never written: closed");
        assert!(is_open(Some(last), last));
        assert!(is_open(Some(last), last + WINDOW_MS - 1));
        assert!(!is_open(Some(last), last + WINDOW_MS));
        assert!(!is_open(Some(last), last - 1), "a clock behind the message does not open it early");
        assert_eq!(closes_at(Some(last)), Some(last + WINDOW_MS));
    }
}
