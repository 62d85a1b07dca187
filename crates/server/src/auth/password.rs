//! Argon2id password hashes (AUTH-3). Hashing is slow on purpose, so it runs off the async
//! threads, a few at a time: each takes 19 MiB, and a flood of logins must not exhaust the
//! memory or the blocking pool (beyond the turns, a request waits briefly, then gets 503).

use crate::error::ApiError;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Hashes running at once in this process.
const CONCURRENT_HASHES: usize = 8;
/// How long a request waits for a turn before it is turned away.
const WAIT_FOR_A_TURN: Duration = Duration::from_secs(2);
static TURNS: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);

/// A turn to hash from `turns`, or [`ApiError::Busy`] after `wait`.
async fn turn(turns: &'static Semaphore, wait: Duration) -> Result<SemaphorePermit<'static>, ApiError> {
    match tokio::time::timeout(wait, turns.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(ApiError::Busy),
    }
}
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

/// Hashes a password with Argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing failed: {e}")))
}

pub async fn hash_password_async(password: String) -> Result<String, ApiError> {
    let _turn = turn(&TURNS, WAIT_FOR_A_TURN).await?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    let _turn = turn(&TURNS, WAIT_FOR_A_TURN).await?;
    let verified = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    });
    Ok(verified.await.unwrap_or(false))
}

/// A hash of a random password, verified against when an account does not exist so that
/// answering takes as long as for a real account.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&crate::auth::random_token()).unwrap_or_default())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), hash.clone()).await.unwrap());
        assert!(!verify_password("wrong horse".into(), hash).await.unwrap());
        assert!(!verify_password("x".into(), "not a hash".into()).await.unwrap());
    }

    #[tokio::test]
    async fn beyond_the_turns_a_hash_waits_briefly_then_is_turned_away() {
        static ONE: Semaphore = Semaphore::const_new(1);
        let held = turn(&ONE, Duration::from_millis(10)).await.expect("the one turn");
        assert!(matches!(turn(&ONE, Duration::from_millis(10)).await, Err(ApiError::Busy)));
        drop(held);
        assert!(turn(&ONE, Duration::from_millis(10)).await.is_ok(), "a freed turn is taken");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
