//! Bulk data for benchmarks (PERF-3, PERF-4): millions of contacts, conversations and messages
//! generated inside the database in a few statements, so a 10 M-message inbox is built in
//! minutes. The row generator is the backend-specific part (`WITH RECURSIVE` on SQLite,
//! `generate_series` on PostgreSQL); everything else is shared SQL.

use crate::Db;
use crate::db::{Backend, Exec};
use crate::error::Result;
use sea_query::{Alias, Expr, Query};

/// What to generate for a company whose numbers and staff exist already.
pub struct InboxSpec<'a> {
    pub company_id: i64,
    /// Each conversation is on one of these numbers (round robin); its contact is put in the
    /// number's department.
    pub numbers: &'a [(i64, i64)],
    /// Conversations are handed to these staff members round robin; every seventh has nobody.
    pub staff: &'a [i64],
    pub conversations: u64,
    pub messages: u64,
    /// The first message's time (ms); each next one a second later.
    pub start_ms: i64,
}

/// Texts in the five languages the product serves; each message takes one and a counter.
const PHRASES: [&str; 10] = [
    "Hello, is the blue jacket still available in size M?",
    "你好，请问这件外套还有货吗？",
    "Chào bạn, áo khoác này còn size M không?",
    "Bună ziua, mai aveți geaca albastră pe mărimea M?",
    "Здравствуйте, синяя куртка ещё есть в размере M?",
    "Can you deliver by Friday?",
    "Thanks, I'll take it!",
    "Gửi cho tôi báo giá nhé",
    "Vă mulțumesc pentru răspuns",
    "Спасибо, жду доставку",
];

/// Generates contacts, conversations and messages into an empty inbox (ids are assumed to
/// start after the current maximum, as in a fresh database).
pub async fn inbox(db: &Db, spec: &InboxSpec<'_>) -> Result<()> {
    let tx = db.begin().await?;
    let (contact_base,): (i64,) = tx.one(&max_id("contacts")).await?;
    let (conversation_base,): (i64,) = tx.one(&max_id("conversations")).await?;
    let c = spec.conversations as i64;
    let numbers = spec.numbers.len() as i64;
    // The i-th number and its department, by position (1-based n).
    let number_case = case_of(spec.numbers.iter().map(|(n, _)| *n), numbers);
    let department_case = case_of(spec.numbers.iter().map(|(_, d)| *d), numbers);
    let staff_case = case_of(spec.staff.iter().copied(), spec.staff.len() as i64);
    let company = spec.company_id;
    let rows = |count: i64, select: String| -> String {
        match db.backend() {
            Backend::Sqlite => format!(
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) {select} FROM seq"
            ),
            // bigint, so that n * 1000 (a time offset) does not overflow past two million rows.
            Backend::Postgres => format!("{select} FROM generate_series(1::bigint, {count}) AS seq(n)"),
        }
    };
    let statements = [
        rows(
            c,
            format!(
                "INSERT INTO contacts (company_id, department_id, name, phone, wa_id, source, created_at) \
                 SELECT {company}, {department_case}, 'Customer ' || n, '+4477' || (10000000 + n), \
                 '4477' || (10000000 + n), 'whatsapp', {start}",
                start = spec.start_ms
            ),
        ),
        rows(
            c,
            format!(
                "INSERT INTO conversations (company_id, number_id, contact_id, responsible_staff_id, last_message_at, \
                 last_message_text, last_inbound_at, unanswered, created_at) \
                 SELECT {company}, {number_case}, {contact_base} + n, \
                 CASE WHEN n % 7 = 0 THEN NULL ELSE {staff_case} END, \
                 {start} + ({last_n}) * 1000, 'last message', {start} + ({last_n}) * 1000, (n % 3 = 0), {start}",
                start = spec.start_ms,
                // The last message number n' <= M with (n' - 1) % C == n - 1.
                last_n = format!("{m} - (({m} - n) % {c})", m = spec.messages),
            ),
        ),
        rows(
            spec.messages as i64,
            format!(
                "INSERT INTO messages (company_id, conversation_id, wamid, direction, kind, text, status, status_rank, \
                 raw_json, sent_at, created_at) \
                 SELECT {company}, {conversation_base} + 1 + ((n - 1) % {c}), 'wamid.GEN' || n, \
                 CASE WHEN n % 2 = 0 THEN 'out' ELSE 'in' END, 'text', \
                 ({phrases}) || ' #' || n, CASE WHEN n % 2 = 0 THEN 'read' END, CASE WHEN n % 2 = 0 THEN 3 ELSE 0 END, \
                 '{{}}', {start} + n * 1000, {start} + n * 1000",
                start = spec.start_ms,
                phrases = case_text(
                    &PHRASES,
                    &format!("(((n - 1) / {c} + (n - 1) % {c} + ((n - 1) % {c}) / {numbers}) % {})", PHRASES.len()),
                ),
            ),
        ),
    ];
    for sql in statements {
        crate::db::execute_generated(&tx, &sql).await?;
    }
    tx.commit().await?;
    // Fresh statistics, as autovacuum would gather a little later: planned with the empty
    // tables' numbers, a search would expect a handful of matches where there are millions.
    if db.backend() == Backend::Postgres {
        crate::db::execute_generated(db, "ANALYZE contacts, conversations, messages").await?;
    }
    Ok(())
}

fn max_id(table: &str) -> sea_query::SelectStatement {
    Query::select().expr(Expr::cust("COALESCE(MAX(id), 0)")).from(Alias::new(table)).to_owned()
}

/// `CASE ((n - 1) % len) WHEN 0 THEN v0 ... END` over integer values.
fn case_of(values: impl Iterator<Item = i64>, len: i64) -> String {
    let arms: String = values.enumerate().map(|(i, v)| format!(" WHEN {i} THEN {v}")).collect();
    format!("(CASE ((n - 1) % {len}){arms} END)")
}

/// `CASE <index> WHEN 0 THEN 'text' ... END` over fixed phrases (quotes doubled). The index is
/// the message's round in its conversation plus its conversation and that conversation's turn
/// on its number, so every conversation gets every phrase in turn, any ten consecutive
/// messages hold all ten phrases, and every number (so every department) sees every phrase in
/// every round. Simpler indexes tie phrases to departments, which real chats never do.
fn case_text(texts: &[&str], index: &str) -> String {
    let arms: String =
        texts.iter().enumerate().map(|(i, t)| format!(" WHEN {i} THEN '{}'", t.replace('\'', "''"))).collect();
    format!("CASE {index}{arms} END")
}
