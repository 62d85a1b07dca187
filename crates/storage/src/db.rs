//! The connection to either backend. Statements are sea-query builders rendered here for the
//! backend in use, so the rest of the crate writes each query once.

use crate::error::Result;
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

/// Renders `$stmt` for the backend behind `$target` and fetches with `$method`.
macro_rules! dispatch {
    ($target:expr, $stmt:expr, $method:ident) => {
        match $target {
            Target::Sqlite(e) => {
                let (sql, values) = $stmt.build_sqlx(SqliteQueryBuilder);
                sqlx::query_as_with::<Sqlite, _, _>(AssertSqlSafe(sql), values).$method(e).await?
            }
            Target::Postgres(e) => {
                let (sql, values) = $stmt.build_sqlx(PostgresQueryBuilder);
                sqlx::query_as_with::<Postgres, _, _>(AssertSqlSafe(sql), values).$method(e).await?
            }
        }
    };
}

/// Which database an installation runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle to the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    /// SQLite's checkpointer, stopped when the last handle is dropped.
    checkpoints: Option<Arc<AbortOnDrop>>,
}

/// How often SQLite's write-ahead log is copied into the database file. SQLite's default is
/// to do it inside the commit that takes the log past 1,000 pages, so a request (a webhook)
/// paid for copying everyone's pages, and a page rewritten by many commits in a row (an
/// import's index pages) was copied after each of them: a million-row import took 76 s that
/// way and 67 s this way. Copied every few seconds by a task of its own, each page is copied once
/// per interval, off every request's path.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn checkpoint_periodically(pool: SqlitePool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        // PASSIVE: copies what no reader still needs, and never waits for anyone.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "checkpointing the SQLite write-ahead log failed");
        }
    }
}

/// A row type readable from both backends.
pub(crate) trait AnyRow: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> AnyRow for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl Db {
    /// Opens the database named by `url` (`sqlite:` path or `postgres://`), creating a SQLite
    /// file if needed, and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Db::connect_postgres(PgConnectOptions::from_str(url)?).await?
        } else {
            Db::connect_sqlite(url).await?
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Opens PostgreSQL with every connection's `search_path` set to `schema` (created if
    /// missing): tests get a fresh schema each, and installations may share a database.
    pub async fn connect_postgres_schema(url: &str, schema: &str) -> Result<Db> {
        let options = PgConnectOptions::from_str(url)?;
        let setup = PgPoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
        let create = format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", schema.replace('"', ""));
        sqlx::query(AssertSqlSafe(create)).execute(&setup).await?;
        setup.close().await;
        let db = Db::connect_postgres(options.options([("search_path", schema)])).await?;
        db.migrate().await?;
        Ok(db)
    }

    async fn connect_postgres(options: PgConnectOptions) -> Result<Db> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Db { pool: Pool::Postgres(pool), checkpoints: None })
    }

    async fn connect_sqlite(url: &str) -> Result<Db> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a crash of the process; only an OS crash can lose
            // the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        let checkpoints = tokio::spawn(checkpoint_periodically(pool.clone()));
        Ok(Db { pool: Pool::Sqlite(pool), checkpoints: Some(Arc::new(AbortOnDrop(checkpoints))) })
    }

    /// A handle for one long bulk write (an import). On SQLite it is a connection of its own
    /// whose page cache (up to 64 MB, freed when the handle is dropped) holds the indexes that bulk
    /// inserts touch at random places, such as the contacts' phone and name: with the pool's
    /// 2 MB cache every batch read most of those pages back from the OS. PostgreSQL keeps its
    /// cache in the server, so there this is the same pool.
    pub async fn bulk_writer(&self) -> Result<Db> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                // A multi-row insert inside a transaction journals every page it changes (so that
                // the statement alone can be undone): in memory, not ten times the database's
                // size written to a temporary file.
                let options =
                    (*p.connect_options()).clone().pragma("cache_size", "-65536").pragma("temp_store", "memory");
                let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
                Db { pool: Pool::Sqlite(pool), checkpoints: self.checkpoints.clone() }
            }
            Pool::Postgres(_) => self.clone(),
        })
    }

    async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether [`close`](Self::close) was called: background workers end then.
    pub fn is_closed(&self) -> bool {
        match &self.pool {
            Pool::Sqlite(p) => p.is_closed(),
            Pool::Postgres(p) => p.is_closed(),
        }
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.pool {
            // Take the write lock up front: a deferred transaction that reads first cannot
            // upgrade in WAL mode once another writer has committed (SQLITE_BUSY at once).
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        Ok(Tx(Mutex::new(inner)))
    }
}

/// An open transaction on either backend; dropped without [`Tx::commit`] it rolls back.
/// The mutex lets a transaction be used through `&Tx` like a pool; it is never contended.
pub struct Tx(Mutex<TxInner>);

pub(crate) enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Serialises transactions touching the same `key` until this one ends. SQLite already
    /// serialises every writer; PostgreSQL takes a transaction-scoped advisory lock.
    pub(crate) async fn lock_key(&self, key: &str) -> Result<()> {
        let postgres = matches!(&*self.0.lock().await, TxInner::Postgres(_));
        if postgres {
            let lock = sea_query::Query::select()
                .expr(
                    sea_query::Func::cust("pg_advisory_xact_lock")
                        .arg(sea_query::Func::cust("hashtextextended").arg(key).arg(0)),
                )
                .to_owned();
            self.run(&lock).await?;
        }
        Ok(())
    }

    /// PostgreSQL's bulk load: `COPY {target} FROM STDIN` of `csv`, answering the rows loaded.
    /// `target` is a table and column list written in this crate, never input.
    pub(crate) async fn copy_csv(&self, target: &str, csv: &[u8]) -> Result<u64> {
        match &mut *self.0.lock().await {
            TxInner::Postgres(t) => {
                let mut copy = t.copy_in_raw(&format!("COPY {target} FROM STDIN (FORMAT csv)")).await?;
                copy.send(csv).await?;
                Ok(copy.finish().await?)
            }
            TxInner::Sqlite(_) => Err(crate::StorageError::WrongBackend("COPY needs PostgreSQL")),
        }
    }

    /// SQLite's bulk load: `INSERT INTO {target}` every element of `rows`, a JSON array of
    /// arrays with one value per column of `target`, in its order. `target` is a table and
    /// column list (`contacts (a, b, …)`) written in this crate, never input.
    pub(crate) async fn insert_json_rows(&self, target: &str, rows: String) -> Result<u64> {
        match &mut *self.0.lock().await {
            TxInner::Sqlite(t) => {
                let columns = target.matches(',').count() + 1;
                let values: Vec<String> = (0..columns).map(|i| format!("value ->> {i}")).collect();
                let sql = format!("INSERT INTO {target} SELECT {} FROM json_each(?)", values.join(", "));
                Ok(sqlx::query(AssertSqlSafe(sql)).bind(rows).execute(&mut **t).await?.rows_affected())
            }
            TxInner::Postgres(_) => Err(crate::StorageError::WrongBackend("JSON row loads need SQLite")),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self.0.into_inner() {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Statement execution shared by [`Db`] (one pooled connection per statement) and [`Tx`].
pub(crate) trait Exec: Sync {
    fn connection(&self) -> impl Future<Output = Result<Conn<'_>>> + Send;

    fn all<T: AnyRow>(&self, stmt: &(impl SqlxBinder + Sync)) -> impl Future<Output = Result<Vec<T>>> + Send {
        async move {
            let mut conn = self.connection().await?;
            Ok(dispatch!(conn.target(), stmt, fetch_all))
        }
    }

    fn optional<T: AnyRow>(&self, stmt: &(impl SqlxBinder + Sync)) -> impl Future<Output = Result<Option<T>>> + Send {
        async move {
            let mut conn = self.connection().await?;
            Ok(dispatch!(conn.target(), stmt, fetch_optional))
        }
    }

    /// One row, or [`StorageError::NotFound`](crate::StorageError::NotFound).
    fn one<T: AnyRow>(&self, stmt: &(impl SqlxBinder + Sync)) -> impl Future<Output = Result<T>> + Send {
        async move { self.optional(stmt).await?.ok_or(crate::StorageError::NotFound) }
    }

    /// Runs a statement that returns no rows; answers how many rows it touched.
    fn run(&self, stmt: &(impl SqlxBinder + Sync)) -> impl Future<Output = Result<u64>> + Send {
        async move {
            let mut conn = self.connection().await?;
            Ok(match conn.target() {
                Target::Sqlite(e) => {
                    let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                    sqlx::query_with::<Sqlite, _>(AssertSqlSafe(sql), values).execute(e).await?.rows_affected()
                }
                Target::Postgres(e) => {
                    let (sql, values) = stmt.build_sqlx(PostgresQueryBuilder);
                    sqlx::query_with::<Postgres, _>(AssertSqlSafe(sql), values).execute(e).await?.rows_affected()
                }
            })
        }
    }
}

/// Runs SQL text built inside this crate (bulk generation), never anything from input.
pub(crate) async fn execute_generated(ex: &impl Exec, sql: &str) -> Result<u64> {
    let mut conn = ex.connection().await?;
    Ok(match conn.target() {
        Target::Sqlite(e) => sqlx::query(AssertSqlSafe(sql.to_string())).execute(e).await?.rows_affected(),
        Target::Postgres(e) => sqlx::query(AssertSqlSafe(sql.to_string())).execute(e).await?.rows_affected(),
    })
}

impl Exec for Db {
    async fn connection(&self) -> Result<Conn<'_>> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => Conn::Postgres(p.acquire().await?),
        })
    }
}

impl Exec for Tx {
    async fn connection(&self) -> Result<Conn<'_>> {
        Ok(Conn::Tx(self.0.lock().await))
    }
}

/// A connection held for one statement (from the pool) or borrowed from a transaction.
pub(crate) enum Conn<'a> {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    Tx(MutexGuard<'a, TxInner>),
}

pub(crate) enum Target<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

impl Conn<'_> {
    fn target(&mut self) -> Target<'_> {
        match self {
            Conn::Sqlite(c) => Target::Sqlite(c),
            Conn::Postgres(c) => Target::Postgres(c),
            Conn::Tx(guard) => match &mut **guard {
                TxInner::Sqlite(t) => Target::Sqlite(t),
                TxInner::Postgres(t) => Target::Postgres(t),
            },
        }
    }
}
