//! Failed-login counters per key (an account or a source address), kept in the database so
//! that every instance and a restart see the same counts.

use crate::Db;
use crate::db::Exec;
use crate::error::Result;
use crate::schema::LoginThrottle;
use rapport_domain::throttle::{WINDOW_MS, lock_ms};
use sea_query::{Expr, ExprTrait, OnConflict, Query};

/// When the key is locked, the time (ms) until which it stays locked.
pub async fn locked_until(db: &Db, key: &str, now: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = db
        .optional(
            Query::select()
                .column(LoginThrottle::LockedUntil)
                .from(LoginThrottle::Table)
                .and_where(Expr::col(LoginThrottle::Key).eq(key)),
        )
        .await?;
    Ok(row.map(|(t,)| t).filter(|t| *t > now))
}

/// Counts one failure; answers the lock it causes, if any.
pub async fn record_failure(db: &Db, key: &str, now: i64) -> Result<Option<i64>> {
    let tx = db.begin().await?;
    let row: Option<(i64, i64)> = tx
        .optional(
            Query::select()
                .columns([LoginThrottle::Failures, LoginThrottle::FirstFailureAt])
                .from(LoginThrottle::Table)
                .and_where(Expr::col(LoginThrottle::Key).eq(key)),
        )
        .await?;
    let (failures, first) = match row {
        Some((n, first)) if now - first < WINDOW_MS => (n + 1, first),
        _ => (1, now),
    };
    let lock = lock_ms(failures);
    let locked_until = if lock > 0 { now + lock } else { 0 };
    tx.run(
        Query::insert()
            .into_table(LoginThrottle::Table)
            .columns([
                LoginThrottle::Key,
                LoginThrottle::Failures,
                LoginThrottle::FirstFailureAt,
                LoginThrottle::LockedUntil,
            ])
            .values_panic([key.into(), failures.into(), first.into(), locked_until.into()])
            .on_conflict(
                OnConflict::column(LoginThrottle::Key)
                    .update_columns([
                        LoginThrottle::Failures,
                        LoginThrottle::FirstFailureAt,
                        LoginThrottle::LockedUntil,
                    ])
                    .to_owned(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok((lock > 0).then_some(locked_until))
}

/// Forgets a key's failures after a successful login.
pub async fn clear(db: &Db, key: &str) -> Result<()> {
    db.run(Query::delete().from_table(LoginThrottle::Table).and_where(Expr::col(LoginThrottle::Key).eq(key))).await?;
    Ok(())
}

/// Forgets failures whose counting window has passed and whose lock is over (`now` in ms);
/// answers how many keys were forgotten.
pub async fn purge(db: &Db, now: i64) -> Result<u64> {
    db.run(
        Query::delete()
            .from_table(LoginThrottle::Table)
            .and_where(Expr::col(LoginThrottle::FirstFailureAt).lt(now - WINDOW_MS))
            .and_where(Expr::col(LoginThrottle::LockedUntil).lte(now)),
    )
    .await
}
