//! The filter builder's conditions compiled to SQL, with every operand bound as a parameter.
//! The meaning of each operator is `rapport_domain::contact_filter`'s (its `matches` is the
//! reference a property test holds this to); the JSON expressions come from [`crate::json`].

use crate::db::Backend;
use crate::json;
use crate::schema::Contacts;
use crate::scope::escape_like;
use rapport_domain::contact_filter::{Builtin, Column, Condition, Filter, Op, Operand};
use rapport_domain::fields::FieldType;
use sea_query::{Cond, Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use serde_json::Value;

/// All the filter's conditions (no condition: every row).
pub(crate) fn compile(backend: Backend, filter: &Filter) -> Cond {
    filter.conditions.iter().fold(Cond::all(), |all, c| all.add(condition(backend, c)))
}

/// How a column is compared: the stored expression, and what its empty value is.
struct Target {
    expr: SimpleExpr,
    /// Built-in text columns are never NULL; their empty value is ''.
    empty_is_blank: bool,
    phone: bool,
}

fn target(backend: Backend, column: &Column, for_text: bool) -> Target {
    let col = |c: Contacts| -> SimpleExpr { Expr::col((Contacts::Table, c)) };
    match column {
        Column::Builtin(b) => {
            let (expr, text) = match b {
                Builtin::Name => (col(Contacts::Name), true),
                Builtin::Phone => (col(Contacts::Phone), true),
                Builtin::Email => (col(Contacts::Email), true),
                Builtin::Address => (col(Contacts::Address), true),
                Builtin::Source => (col(Contacts::Source), true),
                Builtin::ResponsibleStaffId => (col(Contacts::ResponsibleStaffId), false),
                Builtin::DepartmentId => (col(Contacts::DepartmentId), false),
                Builtin::CreatedAt => (col(Contacts::CreatedAt), false),
            };
            Target { expr, empty_is_blank: text, phone: *b == Builtin::Phone }
        }
        Column::Extended { key, field_type } => {
            // Numbers and yes/no compare as stored JSON; everything else as text.
            let as_json = matches!(field_type, FieldType::Number | FieldType::YesNo) && !for_text;
            let expr = if as_json { json::value(backend, key) } else { json::text(backend, key) };
            Target { expr, empty_is_blank: false, phone: *field_type == FieldType::Phone }
        }
    }
}

fn operand(backend: Backend, column: &Column, o: &Operand) -> SimpleExpr {
    match o {
        Operand::Text(t) => Expr::val(t.clone()),
        Operand::Id(id) => Expr::val(*id),
        Operand::Timestamp(ms) => Expr::val(*ms),
        Operand::Number(n) => match column {
            Column::Extended { .. } => json::literal(backend, &number(*n)),
            Column::Builtin(_) => Expr::val(*n),
        },
        Operand::Bool(b) => json::literal(backend, &Value::Bool(*b)),
    }
}

/// An f64 as the JSON number it is stored as (whole numbers as integers).
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn is_empty(t: &Target) -> Cond {
    if t.empty_is_blank {
        Cond::all().add(Expr::expr(t.expr.clone()).eq(""))
    } else {
        Cond::all().add(Expr::expr(t.expr.clone()).is_null())
    }
}

fn condition(backend: Backend, c: &Condition) -> Cond {
    if let Column::Extended { key, field_type: FieldType::MultipleChoice } = &c.column {
        return multiple_choice(backend, key, c);
    }
    let textual = matches!(c.op, Op::Contains | Op::StartsWith);
    let t = target(backend, &c.column, textual);
    let bind = |o: &Operand| operand(backend, &c.column, o);
    let e = || Expr::expr(t.expr.clone());
    match (c.op, c.operands.as_slice()) {
        (Op::Empty, _) => is_empty(&t),
        (Op::NotEmpty, _) => is_empty(&t).not(),
        (Op::Eq, [o]) => Cond::all().add(e().eq(bind(o))),
        // `ne` also matches an empty value.
        (Op::Ne, [o]) => Cond::any().add(e().ne(bind(o))).add(is_empty(&t)),
        (Op::Gt, [o]) => Cond::all().add(e().gt(bind(o))),
        (Op::Lt, [o]) => Cond::all().add(e().lt(bind(o))),
        (Op::Between, [low, high]) => Cond::all().add(e().gte(bind(low))).add(e().lte(bind(high))),
        (Op::AnyOf, operands) => Cond::all().add(e().is_in(operands.iter().map(bind))),
        (Op::Contains | Op::StartsWith, [Operand::Text(part)]) => {
            let prefix = if c.op == Op::Contains { "%" } else { "" };
            let (haystack, needle) = if t.phone {
                (Func::cust("replace").arg(t.expr.clone()).arg("+").arg("").into(), part.clone())
            } else {
                (ascii_lower(backend, t.expr.clone()), part.to_ascii_lowercase())
            };
            let pattern = format!("{prefix}{}%", escape_like(&needle));
            Cond::all().add(Expr::expr(haystack).like(LikeExpr::new(pattern).escape('\\')))
        }
        // A condition the parser would not build: match nothing rather than everything.
        _ => Cond::all().add(Expr::val(1).eq(0)),
    }
}

/// Lower case for ASCII letters only, on both backends (SQLite's `lower` folds nothing else).
fn ascii_lower(backend: Backend, expr: SimpleExpr) -> SimpleExpr {
    match backend {
        Backend::Sqlite => Func::lower(expr).into(),
        Backend::Postgres => {
            Func::cust("translate").arg(expr).arg("ABCDEFGHIJKLMNOPQRSTUVWXYZ").arg("abcdefghijklmnopqrstuvwxyz").into()
        }
    }
}

fn multiple_choice(backend: Backend, key: &str, c: &Condition) -> Cond {
    let value = || Expr::expr(json::value(backend, key));
    match c.op {
        Op::Empty => Cond::all().add(value().is_null()),
        Op::NotEmpty => Cond::all().add(value().is_not_null()),
        Op::AnyOf => {
            let choices: Vec<String> = c
                .operands
                .iter()
                .filter_map(|o| match o {
                    Operand::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            Cond::all().add(json::holds_any(backend, key, &choices))
        }
        _ => Cond::all().add(Expr::val(1).eq(0)),
    }
}
