//! Databases for tests and benchmarks: a fresh SQLite file, and a fresh PostgreSQL schema when
//! `RAPPORT_TEST_POSTGRES_URL` is set. CI sets it, and a set URL that cannot be reached fails
//! loudly instead of skipping.

use crate::{Db, StorageError};
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "RAPPORT_TEST_POSTGRES_URL";

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_suffix() -> String {
    let secs = crate::now_ms() / 1000;
    format!("{secs}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A new SQLite database in the system's temporary directory.
pub async fn sqlite() -> Result<Db, StorageError> {
    let path = std::env::temp_dir().join(format!("rapport_test_{}.db", unique_suffix()));
    Db::connect(&format!("sqlite://{}", path.display())).await
}

/// A new schema on the test PostgreSQL server, or `None` when no server is configured.
/// Schemas left by runs older than an hour are dropped on the way.
pub async fn postgres() -> Result<Option<Db>, StorageError> {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else { return Ok(None) };
    drop_stale_schemas(&url).await?;
    install_extensions(&url).await?;
    Ok(Some(Db::connect_postgres_schema(&url, &format!("rapport_test_{}", unique_suffix())).await?))
}

/// Every backend available to this test run: SQLite always, PostgreSQL when configured.
pub async fn all_backends() -> Vec<Db> {
    let mut dbs = vec![sqlite().await.expect("SQLite test database")];
    match postgres().await {
        Ok(Some(db)) => dbs.push(db),
        Ok(None) => eprintln!("note: {POSTGRES_URL_VAR} is not set; PostgreSQL is not tested in this run"),
        Err(e) => panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is not usable: {e}"),
    }
    dbs
}

/// Extensions are per database, not per schema: installed once, before concurrent test
/// schemas' migrations ask for them (two first installs racing would collide).
async fn install_extensions(url: &str) -> Result<(), StorageError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    for _ in 0..3 {
        match sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public").execute(&mut conn).await {
            Ok(_) => return Ok(()),
            // Another test process installed it at the same moment; it is there now.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn drop_stale_schemas(url: &str) -> Result<(), StorageError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'rapport\\_test\\_%'")
            .fetch_all(&mut conn)
            .await?;
    let hour_ago = crate::now_ms() / 1000 - 3600;
    for (name,) in names {
        let born = name.split('_').nth(2).and_then(|s| s.parse::<i64>().ok()).unwrap_or(i64::MAX);
        if born < hour_ago {
            let drop = format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE");
            sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut conn).await?;
        }
    }
    Ok(())
}

/// How many rows `table` holds: what a write left behind, for tests that check it.
pub async fn count_rows(db: &Db, table: &str) -> Result<i64, StorageError> {
    use crate::db::Exec;
    let query = sea_query::Query::select()
        .expr(sea_query::Expr::cust("COUNT(*)"))
        .from(sea_query::Alias::new(table))
        .to_owned();
    let (count,): (i64,) = db.one(&query).await?;
    Ok(count)
}
