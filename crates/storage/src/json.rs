//! The one place where extended field values (a JSON object per contact) meet SQL, which the
//! two backends spell differently: SQLite keeps the object as text and reads it with
//! `json_extract`, PostgreSQL keeps `jsonb` and reads it with `->` / `->>`. Everything else
//! (the filter compiler, sorting, imports) builds on these few expressions. An import's
//! lookups bind their lists the same way, as one JSON array ([`one_of`]).
//!
//! Field keys are bound as parameters, never pasted into the SQL. (sea-query's custom SQL
//! spells a PostgreSQL parameter `$1`, a SQLite one `?`.)

use crate::db::Backend;
use crate::schema::Contacts;
use sea_query::{BinOper, Expr, ExprTrait, Func, SimpleExpr};
use serde_json::Value;

/// A JSON object to store in `contacts.fields`.
pub(crate) fn object(backend: Backend, value: &serde_json::Map<String, Value>) -> SimpleExpr {
    let text = Value::Object(value.clone()).to_string();
    match backend {
        Backend::Sqlite => Expr::val(text),
        Backend::Postgres => Expr::cust_with_values("CAST($1 AS jsonb)", [text]),
    }
}

/// `column IN values`, the list bound as one JSON array: an import looks up a batch's ten
/// thousand phones at once, which as one parameter each took a query per few hundred (SQLite
/// binds at most 32,766), a round trip and a plan apiece.
pub(crate) fn one_of(backend: Backend, column: Contacts, values: &[String]) -> SimpleExpr {
    let list = Value::from(values).to_string();
    match backend {
        Backend::Sqlite => {
            Expr::col(column).binary(BinOper::In, Expr::cust_with_values("(SELECT value FROM json_each(?))", [list]))
        }
        Backend::Postgres => {
            let array = Expr::cust_with_values("ARRAY(SELECT jsonb_array_elements_text(CAST($1 AS jsonb)))", [list]);
            Expr::col(column).eq(Func::cust("ANY").arg(array))
        }
    }
}

/// `contacts.fields` as JSON text, readable the same way from both backends.
pub(crate) fn object_text() -> SimpleExpr {
    Expr::col((Contacts::Table, Contacts::Fields)).cast_as("TEXT")
}

/// The stored value of field `key`, comparable with [`literal`]: numbers numerically, strings
/// as strings, absent as NULL.
pub(crate) fn value(backend: Backend, key: &str) -> SimpleExpr {
    match backend {
        Backend::Sqlite => Expr::cust_with_values("json_extract(contacts.fields, ?)", [path(key)]),
        Backend::Postgres => Expr::cust_with_values("(contacts.fields -> $1)", [key.to_string()]),
    }
}

/// The stored value of field `key` as text (strings without their quotes), compared byte by
/// byte so that dates order as dates whatever the database's collation.
pub(crate) fn text(backend: Backend, key: &str) -> SimpleExpr {
    match backend {
        Backend::Sqlite => Expr::cust_with_values("json_extract(contacts.fields, ?)", [path(key)]),
        Backend::Postgres => Expr::cust_with_values("((contacts.fields ->> $1) COLLATE \"C\")", [key.to_string()]),
    }
}

/// A value to compare with [`value`].
pub(crate) fn literal(backend: Backend, v: &Value) -> SimpleExpr {
    match (backend, v) {
        (Backend::Sqlite, Value::Number(n)) => match n.as_i64() {
            Some(i) => Expr::val(i),
            None => Expr::val(n.as_f64().unwrap_or_default()),
        },
        // json_extract answers 1 / 0 for true / false.
        (Backend::Sqlite, Value::Bool(b)) => Expr::val(i64::from(*b)),
        (Backend::Sqlite, Value::String(s)) => Expr::val(s.clone()),
        (Backend::Sqlite, other) => Expr::val(other.to_string()),
        (Backend::Postgres, v) => Expr::cust_with_values("CAST($1 AS jsonb)", [v.to_string()]),
    }
}

/// True when the multiple-choice field `key` holds at least one of `choices`.
pub(crate) fn holds_any(backend: Backend, key: &str, choices: &[String]) -> SimpleExpr {
    match backend {
        Backend::Sqlite => {
            let marks = vec!["?"; choices.len()].join(", ");
            let sql =
                format!("EXISTS (SELECT 1 FROM json_each(contacts.fields, ?) WHERE json_each.value IN ({marks}))");
            let values = std::iter::once(path(key)).chain(choices.iter().cloned());
            Expr::cust_with_values(sql, values)
        }
        Backend::Postgres => {
            let array = Value::Array(choices.iter().cloned().map(Value::String).collect()).to_string();
            // `jsonb_exists_any` is the `?|` operator, spelled as a function.
            Expr::cust_with_values(
                "jsonb_exists_any(contacts.fields -> $1, ARRAY(SELECT jsonb_array_elements_text(CAST($2 AS jsonb))))",
                [key.to_string(), array],
            )
        }
    }
}

fn path(key: &str) -> String {
    format!("$.{key}")
}
