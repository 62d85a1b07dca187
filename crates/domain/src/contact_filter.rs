//! The contacts list filter (CONT-2): conditions on built-in columns and extended fields, all
//! of which must hold. A filter is parsed from what the client sends, checked against the
//! company's field catalogue (an unknown field, or an operator its type does not take, is
//! refused by name) and its operands read by the field's own rules (see [`crate::fields`]), so
//! the storage layer only compiles a valid [`Filter`] to SQL. [`matches`] is the reference
//! meaning of a filter: the SQL is written to agree with it, and a property test checks that.
//!
//! Semantics:
//! - A built-in text column (name, phone, email, address, source) is never null; `""` is its
//!   empty value. An extended field is empty when its key is absent from `fields` (or null):
//!   [`crate::fields`] never stores blank text or an empty list.
//! - `eq` / `ne` compare exactly, case included, with the operand in the stored canonical form:
//!   a phone in E.164 (a local number read in the company's country), an e-mail with its
//!   domain lower-cased, a choice in its option's spelling, a number as a number, a date as
//!   `YYYY-MM-DD`. `ne` also matches an empty value.
//! - `contains` / `starts_with` (text-like columns) ignore case for the ASCII letters only —
//!   both sides `to_ascii_lowercase` — since that is all SQLite's `LIKE` folds; the SQL must
//!   escape `%`, `_` and its escape character in the operand. On a phone both sides are its
//!   digits: the operand is reduced to its digits and the stored E.164 value is compared without
//!   its `+`, so `+7 912` and `7912` find `+79123456789` but the local `8 912` does not.
//! - `gt` / `lt` / `between` compare numbers as numbers (f64) and dates and date-times as their
//!   canonical text, which sorts chronologically; `between` includes both ends and needs
//!   `[low, high]` with `low <= high`; none of them matches an empty value.
//! - `any_of`: a single choice or an id equal to one of the operands; a multiple choice whose
//!   stored list shares at least one option with them.
//! - yes/no: `eq false` matches a stored `false` only, not an empty value.
//! - `created_at` is stored as unix milliseconds and its operands are days (`YYYY-MM-DD`, UTC). They
//!   are turned into [`Operand::Timestamp`] ranges when parsed, so the SQL is plain comparisons:
//!   `eq` day becomes `between` [day start, day end], `gt` day becomes `gt` day end, `lt` day
//!   stays `lt` day start and `between` covers the first day's start to the last day's end
//!   (a day end is its start + 86399).

use crate::fields::{self, FieldDef, FieldType};
use crate::phone;
use crate::values;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cmp::Ordering;
use thiserror::Error;

/// Most conditions in one filter.
pub const MAX_CONDITIONS: usize = 20;
/// Most operands of one `any_of`.
pub const MAX_ANY_OF: usize = 200;
/// The last millisecond of a day, from its first.
const DAY_END: i64 = 86_399_999;

/// The contact's own columns a filter or a sort may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Name,
    Phone,
    Email,
    Address,
    Source,
    ResponsibleStaffId,
    DepartmentId,
    CreatedAt,
}

impl Builtin {
    pub const ALL: [Builtin; 8] = [
        Builtin::Name,
        Builtin::Phone,
        Builtin::Email,
        Builtin::Address,
        Builtin::Source,
        Builtin::ResponsibleStaffId,
        Builtin::DepartmentId,
        Builtin::CreatedAt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Builtin::Name => "name",
            Builtin::Phone => "phone",
            Builtin::Email => "email",
            Builtin::Address => "address",
            Builtin::Source => "source",
            Builtin::ResponsibleStaffId => "responsible_staff_id",
            Builtin::DepartmentId => "department_id",
            Builtin::CreatedAt => "created_at",
        }
    }

    pub fn parse(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.as_str() == name)
    }
}

/// What a condition or a sort looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    Builtin(Builtin),
    Extended { key: String, field_type: FieldType },
}

impl Column {
    /// The name the API uses for it: the built-in column's name or the field's key.
    pub fn name(&self) -> &str {
        match self {
            Column::Builtin(builtin) => builtin.as_str(),
            Column::Extended { key, .. } => key,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Contains,
    StartsWith,
    Gt,
    Lt,
    Between,
    Empty,
    NotEmpty,
    AnyOf,
}

impl Op {
    pub const ALL: [Op; 10] =
        [Op::Eq, Op::Ne, Op::Contains, Op::StartsWith, Op::Gt, Op::Lt, Op::Between, Op::Empty, Op::NotEmpty, Op::AnyOf];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Contains => "contains",
            Op::StartsWith => "starts_with",
            Op::Gt => "gt",
            Op::Lt => "lt",
            Op::Between => "between",
            Op::Empty => "empty",
            Op::NotEmpty => "not_empty",
            Op::AnyOf => "any_of",
        }
    }

    pub fn parse(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == name)
    }
}

/// A validated operand, in the stored canonical form of its column.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// Text, a phone (E.164 for `eq`/`ne`, digits for `contains`/`starts_with`), a choice, a
    /// date `YYYY-MM-DD` or a date-time `YYYY-MM-DDTHH:MM:SSZ`.
    Text(String),
    Number(f64),
    Bool(bool),
    /// A staff member or department id.
    Id(i64),
    /// Unix milliseconds, compared with `created_at`.
    Timestamp(i64),
}

/// One condition: no operand for `empty`/`not_empty`, two for `between`, one or more for
/// `any_of`, else one.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub column: Column,
    pub op: Op,
    pub operands: Vec<Operand>,
}

/// Conditions that must all hold; no condition matches every contact.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub conditions: Vec<Condition>,
}

/// A condition as the client sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawCondition {
    pub field: String,
    pub op: String,
    #[serde(default)]
    pub value: Value,
}

/// A refused condition, named by its field.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct FilterError {
    pub field: String,
    pub message: String,
}

impl FilterError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FilterError { field: field.to_string(), message: message.into() }
    }
}

/// Reads and checks a filter against the company's fields; local phone numbers in operands
/// are read in `default_country`.
pub fn parse(raw: &[RawCondition], catalogue: &[FieldDef], default_country: &str) -> Result<Filter, FilterError> {
    if raw.len() > MAX_CONDITIONS {
        return Err(FilterError::new("filter", format!("at most {MAX_CONDITIONS} conditions")));
    }
    let conditions = raw.iter().map(|raw| condition(raw, catalogue, default_country)).collect::<Result<_, _>>()?;
    Ok(Filter { conditions })
}

/// The column a list is sorted by: any built-in column or extended field but a multiple
/// choice, which has no order.
pub fn parse_sort(field: &str, catalogue: &[FieldDef]) -> Result<Column, FilterError> {
    let (column, _) = resolve(field, catalogue)?;
    if let Column::Extended { field_type: FieldType::MultipleChoice, .. } = column {
        return Err(FilterError::new(field, "a multiple choice field cannot be sorted by"));
    }
    Ok(column)
}

fn condition(raw: &RawCondition, catalogue: &[FieldDef], default_country: &str) -> Result<Condition, FilterError> {
    let fail = |message: String| FilterError::new(&raw.field, message);
    let (column, rules) = resolve(&raw.field, catalogue)?;
    let kind = Kind::of(&column);
    let allowed = || kind.ops().iter().map(|op| op.as_str()).collect::<Vec<_>>().join(", ");
    let op = Op::parse(&raw.op)
        .ok_or_else(|| fail(format!("`{}` is not an operator; use one of: {}", raw.op, allowed())))?;
    if !kind.ops().contains(&op) {
        return Err(fail(format!(
            "`{}` does not apply to a {} field; use one of: {}",
            raw.op,
            kind.label(),
            allowed()
        )));
    }
    let read = Reader { kind, rules: rules.as_ref(), default_country };
    let mut operands = read.operands(op, &raw.value).map_err(fail)?;
    let mut op = op;
    if kind == Kind::CreatedAt {
        (op, operands) = day_range(op, &operands).map_err(fail)?;
    }
    Ok(Condition { column, op, operands })
}

/// The column named `field`, and the rules its values are read by (none for ids).
fn resolve(field: &str, catalogue: &[FieldDef]) -> Result<(Column, Option<FieldDef>), FilterError> {
    if let Some(builtin) = Builtin::parse(field) {
        return Ok((Column::Builtin(builtin), builtin_rules(builtin)));
    }
    let def = catalogue.iter().find(|def| def.key == field).ok_or_else(|| FilterError::new(field, "no such field"))?;
    Ok((Column::Extended { key: def.key.clone(), field_type: def.field_type }, Some(def.clone())))
}

fn builtin_rules(builtin: Builtin) -> Option<FieldDef> {
    let field_type = match builtin {
        Builtin::Name | Builtin::Source => FieldType::Text,
        Builtin::Address => FieldType::Textarea,
        Builtin::Phone => FieldType::Phone,
        Builtin::Email => FieldType::Email,
        Builtin::CreatedAt => FieldType::Date,
        Builtin::ResponsibleStaffId | Builtin::DepartmentId => return None,
    };
    let key = builtin.as_str().to_string();
    Some(FieldDef { key: key.clone(), name: key, field_type, options: Vec::new(), required: false })
}

/// What a column holds, which decides its operators and how its operands are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Phone,
    /// Numbers, dates, date-times.
    Ordered,
    CreatedAt,
    SingleChoice,
    MultipleChoice,
    YesNo,
    Staff,
    Department,
}

impl Kind {
    fn of(column: &Column) -> Kind {
        match column {
            Column::Builtin(Builtin::Name | Builtin::Email | Builtin::Address | Builtin::Source) => Kind::Text,
            Column::Builtin(Builtin::Phone) => Kind::Phone,
            Column::Builtin(Builtin::CreatedAt) => Kind::CreatedAt,
            Column::Builtin(Builtin::ResponsibleStaffId) => Kind::Staff,
            Column::Builtin(Builtin::DepartmentId) => Kind::Department,
            Column::Extended { field_type, .. } => match field_type {
                FieldType::Text | FieldType::Textarea | FieldType::Email | FieldType::Url => Kind::Text,
                FieldType::Phone => Kind::Phone,
                FieldType::Number | FieldType::Date | FieldType::DateTime => Kind::Ordered,
                FieldType::SingleChoice => Kind::SingleChoice,
                FieldType::MultipleChoice => Kind::MultipleChoice,
                FieldType::YesNo => Kind::YesNo,
            },
        }
    }

    fn ops(self) -> &'static [Op] {
        use Op::*;
        match self {
            Kind::Text | Kind::Phone => &[Eq, Ne, Contains, StartsWith, Empty, NotEmpty],
            Kind::Ordered => &[Eq, Ne, Gt, Lt, Between, Empty, NotEmpty],
            Kind::CreatedAt => &[Eq, Gt, Lt, Between],
            Kind::SingleChoice | Kind::Staff => &[Eq, Ne, AnyOf, Empty, NotEmpty],
            Kind::MultipleChoice => &[AnyOf, Empty, NotEmpty],
            Kind::YesNo => &[Eq, Empty, NotEmpty],
            Kind::Department => &[Eq, Ne, AnyOf],
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Phone => "phone",
            Kind::Ordered => "number or date",
            Kind::CreatedAt => "date",
            Kind::SingleChoice => "single choice",
            Kind::MultipleChoice => "multiple choice",
            Kind::YesNo => "yes/no",
            Kind::Staff => "staff member",
            Kind::Department => "department",
        }
    }
}

/// Reads a condition's operands by its column's rules.
struct Reader<'a> {
    kind: Kind,
    rules: Option<&'a FieldDef>,
    default_country: &'a str,
}

impl Reader<'_> {
    fn operands(&self, op: Op, value: &Value) -> Result<Vec<Operand>, String> {
        match op {
            Op::Empty | Op::NotEmpty if is_blank(value) => Ok(Vec::new()),
            Op::Empty | Op::NotEmpty => Err(format!("`{}` takes no value", op.as_str())),
            Op::Between => self.between(value),
            Op::AnyOf => self.any_of(value),
            Op::Contains | Op::StartsWith => self.fragment(value).map(|operand| vec![operand]),
            Op::Eq | Op::Ne | Op::Gt | Op::Lt => self.one(value).map(|operand| vec![operand]),
        }
    }

    fn one(&self, value: &Value) -> Result<Operand, String> {
        if matches!(self.kind, Kind::Staff | Kind::Department) {
            return id(value).map(Operand::Id);
        }
        let rules = self.rules.ok_or("this field takes no value")?;
        let stored = rules.parse_value(value, self.default_country).map_err(|e| e.message)?;
        match stored {
            Some(Value::String(text)) => Ok(Operand::Text(text)),
            Some(Value::Number(number)) => number.as_f64().map(Operand::Number).ok_or_else(|| "not a number".into()),
            Some(Value::Bool(b)) => Ok(Operand::Bool(b)),
            Some(_) => Err("needs a single value".into()),
            None => Err("needs a value (use `empty` to find contacts without one)".into()),
        }
    }

    /// Text to look for: trimmed, one line; on a phone, its digits.
    fn fragment(&self, value: &Value) -> Result<Operand, String> {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => return Err("needs the text to look for".into()),
        };
        let text = values::optional_text("value", &text, fields::TEXT_MAX).map_err(|e| e.message)?;
        let text = if self.kind == Kind::Phone { phone::wa_id(&text) } else { text };
        if text.is_empty() {
            let what = if self.kind == Kind::Phone { "the digits" } else { "the text" };
            return Err(format!("needs {what} to look for (use `empty` to find contacts without a value)"));
        }
        Ok(Operand::Text(text))
    }

    fn between(&self, value: &Value) -> Result<Vec<Operand>, String> {
        let [low, high] = value.as_array().map(Vec::as_slice).unwrap_or_default() else {
            return Err("needs a list of two values, the lower first".into());
        };
        let (low, high) = (self.one(low)?, self.one(high)?);
        if order(&low, &high) == Some(Ordering::Greater) {
            return Err("the first value must not be greater than the second".into());
        }
        Ok(vec![low, high])
    }

    fn any_of(&self, value: &Value) -> Result<Vec<Operand>, String> {
        let operands = match self.rules {
            Some(rules) => choices(rules, value, self.default_country)?,
            None => match value {
                Value::Array(items) => items.iter().map(id).map(|id| id.map(Operand::Id)).collect::<Result<_, _>>()?,
                single => vec![Operand::Id(id(single)?)],
            },
        };
        match operands.len() {
            0 => Err("needs at least one value".into()),
            n if n > MAX_ANY_OF => Err(format!("takes at most {MAX_ANY_OF} values")),
            _ => Ok(operands),
        }
    }
}

/// The chosen options of a choice field, read as a multiple choice (a list, or `|`-separated).
fn choices(rules: &FieldDef, value: &Value, default_country: &str) -> Result<Vec<Operand>, String> {
    let several = FieldDef { field_type: FieldType::MultipleChoice, ..rules.clone() };
    let chosen = several.parse_value(value, default_country).map_err(|e| e.message)?;
    let chosen = chosen.as_ref().and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    Ok(chosen.iter().filter_map(Value::as_str).map(|option| Operand::Text(option.to_string())).collect())
}

fn id(value: &Value) -> Result<i64, String> {
    let id = match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    id.filter(|id| *id > 0).ok_or_else(|| format!("`{}` is not an id", value.as_str().unwrap_or(&value.to_string())))
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// `created_at` conditions on days as ranges of unix milliseconds.
fn day_range(op: Op, days: &[Operand]) -> Result<(Op, Vec<Operand>), String> {
    let start = |day: &Operand| match day {
        Operand::Text(day) => {
            fields::day_start(day).map(|seconds| seconds * 1000).ok_or_else(|| format!("`{day}` is not a date"))
        }
        _ => Err("needs a date".to_string()),
    };
    let range = |first: &Operand, last: &Operand| -> Result<Vec<Operand>, String> {
        Ok(vec![Operand::Timestamp(start(first)?), Operand::Timestamp(start(last)? + DAY_END)])
    };
    match (op, days) {
        (Op::Eq, [day]) => Ok((Op::Between, range(day, day)?)),
        (Op::Gt, [day]) => Ok((Op::Gt, vec![Operand::Timestamp(start(day)? + DAY_END)])),
        (Op::Lt, [day]) => Ok((Op::Lt, vec![Operand::Timestamp(start(day)?)])),
        (Op::Between, [first, last]) => Ok((Op::Between, range(first, last)?)),
        _ => Err(format!("`{}` does not apply to a date", op.as_str())),
    }
}

// ---- The reference evaluator ----

/// A contact as the filter sees it; `fields` holds canonical values as [`crate::fields`] stores them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactRecord {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub source: String,
    pub responsible_staff_id: Option<i64>,
    pub department_id: i64,
    pub created_at: i64,
    pub fields: Map<String, Value>,
}

/// Whether the contact meets every condition of the filter.
pub fn matches(filter: &Filter, contact: &ContactRecord) -> bool {
    filter.conditions.iter().all(|condition| holds(condition, contact))
}

/// A column's value in a contact.
#[derive(Debug)]
enum Stored<'a> {
    Absent,
    Text(&'a str),
    Number(f64),
    Bool(bool),
    Int(i64),
    List(&'a [Value]),
}

fn stored<'a>(column: &Column, contact: &'a ContactRecord) -> Stored<'a> {
    let text = |text: &'a str| if text.is_empty() { Stored::Absent } else { Stored::Text(text) };
    match column {
        Column::Builtin(builtin) => match builtin {
            Builtin::Name => text(&contact.name),
            Builtin::Phone => text(&contact.phone),
            Builtin::Email => text(&contact.email),
            Builtin::Address => text(&contact.address),
            Builtin::Source => text(&contact.source),
            Builtin::ResponsibleStaffId => contact.responsible_staff_id.map_or(Stored::Absent, Stored::Int),
            Builtin::DepartmentId => Stored::Int(contact.department_id),
            Builtin::CreatedAt => Stored::Int(contact.created_at),
        },
        Column::Extended { key, .. } => match contact.fields.get(key) {
            None | Some(Value::Null | Value::Object(_)) => Stored::Absent,
            Some(Value::String(value)) => Stored::Text(value),
            Some(Value::Number(value)) => value.as_f64().map_or(Stored::Absent, Stored::Number),
            Some(Value::Bool(value)) => Stored::Bool(*value),
            Some(Value::Array(items)) => Stored::List(items),
        },
    }
}

fn holds(condition: &Condition, contact: &ContactRecord) -> bool {
    let value = stored(&condition.column, contact);
    let is_phone = Kind::of(&condition.column) == Kind::Phone;
    let compared = |operand: &Operand| compare(&value, operand);
    match (condition.op, condition.operands.as_slice()) {
        (Op::Empty, _) => matches!(value, Stored::Absent),
        (Op::NotEmpty, _) => !matches!(value, Stored::Absent),
        (Op::Eq, [operand]) => equals(&value, operand),
        (Op::Ne, [operand]) => !equals(&value, operand),
        (Op::Contains, [operand]) => found(&value, operand, is_phone, |s, part| s.contains(part)),
        (Op::StartsWith, [operand]) => found(&value, operand, is_phone, |s, part| s.starts_with(part)),
        (Op::Gt, [operand]) => compared(operand) == Some(Ordering::Greater),
        (Op::Lt, [operand]) => compared(operand) == Some(Ordering::Less),
        (Op::Between, [low, high]) => {
            compared(low).is_some_and(Ordering::is_ge) && compared(high).is_some_and(Ordering::is_le)
        }
        (Op::AnyOf, operands) => operands.iter().any(|operand| equals(&value, operand)),
        _ => false,
    }
}

/// Exact equality; a list equals an option it holds (for `any_of`).
fn equals(value: &Stored, operand: &Operand) -> bool {
    match (value, operand) {
        (Stored::Text(text), Operand::Text(wanted)) => text == wanted,
        (Stored::Number(number), Operand::Number(wanted)) => number == wanted,
        (Stored::Bool(b), Operand::Bool(wanted)) => b == wanted,
        (Stored::Int(int), Operand::Id(wanted) | Operand::Timestamp(wanted)) => int == wanted,
        (Stored::List(items), Operand::Text(wanted)) => items.iter().any(|item| item.as_str() == Some(wanted)),
        _ => false,
    }
}

/// The order of a stored value against an operand; `None` when empty or not comparable.
fn compare(value: &Stored, operand: &Operand) -> Option<Ordering> {
    match (value, operand) {
        (Stored::Text(text), Operand::Text(other)) => Some((*text).cmp(other.as_str())),
        (Stored::Number(number), Operand::Number(other)) => number.partial_cmp(other),
        (Stored::Int(int), Operand::Timestamp(other) | Operand::Id(other)) => Some(int.cmp(other)),
        _ => None,
    }
}

fn order(a: &Operand, b: &Operand) -> Option<Ordering> {
    match (a, b) {
        (Operand::Text(a), Operand::Text(b)) => Some(a.cmp(b)),
        (Operand::Number(a), Operand::Number(b)) => a.partial_cmp(b),
        _ => None,
    }
}

/// `contains` / `starts_with`: ASCII case folded, or on a phone its digits.
fn found(value: &Stored, operand: &Operand, is_phone: bool, test: impl Fn(&str, &str) -> bool) -> bool {
    let (Stored::Text(text), Operand::Text(part)) = (value, operand) else { return false };
    if is_phone {
        test(&phone::wa_id(text), part)
    } else {
        test(&text.to_ascii_lowercase(), &part.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalogue() -> Vec<FieldDef> {
        let def = |key: &str, field_type: FieldType, options: &[&str]| {
            let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            FieldDef::new(key, key, field_type, &options, false).expect("a valid definition")
        };
        vec![
            def("city", FieldType::Text, &[]),
            def("budget", FieldType::Number, &[]),
            def("birthday", FieldType::Date, &[]),
            def("visit", FieldType::DateTime, &[]),
            def("tier", FieldType::SingleChoice, &["Gold", "Silver", "Đồng"]),
            def("channels", FieldType::MultipleChoice, &["Email", "SMS", "Zalo"]),
            def("vip", FieldType::YesNo, &[]),
            def("office_phone", FieldType::Phone, &[]),
        ]
    }

    fn raw(field: &str, op: &str, value: Value) -> RawCondition {
        RawCondition { field: field.into(), op: op.into(), value }
    }

    fn filter(conditions: &[(&str, &str, Value)]) -> Filter {
        let raw: Vec<RawCondition> = conditions.iter().map(|(f, o, v)| raw(f, o, v.clone())).collect();
        parse(&raw, &catalogue(), "RU").expect("a valid filter")
    }

    fn error(field: &str, op: &str, value: Value) -> FilterError {
        parse(&[raw(field, op, value)], &catalogue(), "RU").expect_err("refused")
    }

    fn contact() -> ContactRecord {
        let fields = json!({
            "city": "Hà Nội",
            "budget": 1500,
            "birthday": "1990-05-17",
            "visit": "2024-12-31T11:30:00Z",
            "tier": "Gold",
            "channels": ["Email", "Zalo"],
            "vip": false,
            "office_phone": "+84901234567",
        });
        ContactRecord {
            name: "Nguyễn Văn An".into(),
            phone: "+79123456789".into(),
            email: "an@example.com".into(),
            address: String::new(),
            source: "Import".into(),
            responsible_staff_id: Some(7),
            department_id: 3,
            created_at: 1_735_603_200_000 + 3_600_000, // 2024-12-31T01:00:00Z in ms
            fields: fields.as_object().cloned().expect("an object"),
        }
    }

    fn holds(conditions: &[(&str, &str, Value)]) -> bool {
        matches(&filter(conditions), &contact())
    }

    #[test]
    fn names_round_trip() {
        for op in Op::ALL {
            assert_eq!(Op::parse(op.as_str()), Some(op));
        }
        for builtin in Builtin::ALL {
            assert_eq!(Builtin::parse(builtin.as_str()), Some(builtin));
        }
    }

    #[test]
    fn raw_conditions_deserialize_without_a_value() {
        let raw: RawCondition = serde_json::from_value(json!({"field": "city", "op": "empty"})).expect("valid");
        assert_eq!(raw.value, Value::Null);
    }

    #[test]
    fn unknown_fields_and_operators_are_refused_by_name() {
        assert_eq!(error("colour", "eq", json!("red")), FilterError::new("colour", "no such field"));
        assert_eq!(
            error("city", "gt", json!("A")).message,
            "`gt` does not apply to a text field; use one of: eq, ne, contains, starts_with, empty, not_empty"
        );
        assert_eq!(
            error("channels", "eq", json!("Email")).message,
            "`eq` does not apply to a multiple choice field; use one of: any_of, empty, not_empty"
        );
        assert!(
            error("budget", "like", json!(1)).message.starts_with("`like` is not an operator; use one of: eq, ne, gt")
        );
        assert!(error("department_id", "empty", Value::Null).message.contains("use one of: eq, ne, any_of"));
        assert!(error("created_at", "ne", json!("2024-12-31")).message.contains("eq, gt, lt, between"));
        let many = vec![raw("city", "empty", Value::Null); MAX_CONDITIONS + 1];
        assert_eq!(parse(&many, &catalogue(), "RU").unwrap_err().field, "filter");
    }

    #[test]
    fn bad_operands_are_refused() {
        assert_eq!(error("budget", "gt", json!("abc")).message, "`abc` is not a number");
        assert!(error("birthday", "eq", json!("2024-02-30")).message.contains("not a date"));
        assert!(error("tier", "eq", json!("Platinum")).message.contains("Gold, Silver, Đồng"));
        assert!(error("channels", "any_of", json!(["Fax"])).message.contains("`Fax`"));
        assert!(error("channels", "any_of", json!([])).message.contains("at least one"));
        assert!(error("budget", "between", json!([10])).message.contains("two values"));
        assert!(error("budget", "between", json!([10, 5])).message.contains("greater"));
        assert!(error("created_at", "between", json!(["2025-01-02", "2025-01-01"])).message.contains("greater"));
        assert!(error("city", "eq", json!("")).message.contains("use `empty`"));
        assert!(error("city", "contains", json!("  ")).message.contains("to look for"));
        assert!(error("phone", "contains", json!("abc")).message.contains("digits"));
        assert!(error("phone", "eq", json!("call me")).message.contains("not a phone number"));
        assert!(error("city", "empty", json!("x")).message.contains("takes no value"));
        assert!(error("responsible_staff_id", "eq", json!("bob")).message.contains("not an id"));
        assert!(error("department_id", "any_of", json!([1, -2])).message.contains("`-2` is not an id"));
        assert!(error("vip", "eq", json!("maybe")).message.contains("yes or no"));
    }

    #[test]
    fn operands_are_read_by_the_fields_rules() {
        let condition = |field: &str, op: &str, value: Value| filter(&[(field, op, value)]).conditions.remove(0);
        assert_eq!(condition("budget", "gt", json!("1 234,5")).operands, vec![Operand::Number(1234.5)]);
        assert_eq!(condition("birthday", "lt", json!("31.12.2024")).operands, vec![Operand::Text("2024-12-31".into())]);
        assert_eq!(condition("tier", "eq", json!("đồng")).operands, vec![Operand::Text("Đồng".into())]);
        assert_eq!(
            condition("phone", "eq", json!("8 912 345-67-89")).operands,
            vec![Operand::Text("+79123456789".into())]
        );
        assert_eq!(condition("phone", "starts_with", json!("+7 (912)")).operands, vec![Operand::Text("7912".into())]);
        assert_eq!(condition("phone", "contains", json!(912)).operands, vec![Operand::Text("912".into())]);
        assert_eq!(
            condition("email", "eq", json!("An@EXAMPLE.com")).operands,
            vec![Operand::Text("An@example.com".into())]
        );
        assert_eq!(
            condition("department_id", "any_of", json!([2, "5"])).operands,
            vec![Operand::Id(2), Operand::Id(5)]
        );
        let day = 1_735_603_200_000; // 2024-12-31T00:00:00Z in ms
        let created = condition("created_at", "eq", json!("31.12.2024"));
        assert_eq!(
            (created.op, created.operands),
            (Op::Between, vec![Operand::Timestamp(day), Operand::Timestamp(day + 86_399_999)])
        );
        assert_eq!(
            condition("created_at", "gt", json!("2024-12-31")).operands,
            vec![Operand::Timestamp(day + 86_399_999)]
        );
        assert_eq!(condition("created_at", "lt", json!("2024-12-31")).operands, vec![Operand::Timestamp(day)]);
    }

    #[test]
    fn text_conditions() {
        assert!(holds(&[("name", "eq", json!("Nguyễn Văn An"))]));
        assert!(!holds(&[("name", "eq", json!("nguyễn văn an"))]), "eq is case-sensitive");
        assert!(!holds(&[("name", "contains", json!("VĂN"))]), "only ASCII letters fold");
        assert!(holds(&[("name", "contains", json!("NGUY"))]));
        assert!(holds(&[("name", "starts_with", json!("nguyễn"))]));
        assert!(!holds(&[("name", "starts_with", json!("Văn"))]));
        assert!(holds(&[("address", "empty", Value::Null), ("email", "not_empty", Value::Null)]));
        assert!(holds(&[("address", "ne", json!("Hanoi"))]), "ne matches an empty value");
        assert!(!holds(&[("address", "contains", json!("a"))]));
        assert!(holds(&[("email", "eq", json!("an@EXAMPLE.COM"))]));
        assert!(!holds(&[("city", "contains", json!("HÀ"))]));
        assert!(holds(&[("city", "ne", json!("Huế")), ("city", "starts_with", json!("h"))]));
    }

    #[test]
    fn phone_conditions_compare_digits() {
        assert!(holds(&[("phone", "eq", json!("+7 912 345 67 89"))]));
        assert!(holds(&[("phone", "eq", json!("8 912 345-67-89"))]), "local form read in RU");
        assert!(holds(&[("phone", "contains", json!("345-67"))]));
        assert!(holds(&[("phone", "starts_with", json!("+7 912"))]));
        assert!(!holds(&[("phone", "starts_with", json!("8 912"))]), "local prefix is not the stored digits");
        assert!(holds(&[("office_phone", "starts_with", json!("84"))]));
        let mut no_phone = contact();
        no_phone.phone.clear();
        assert!(matches(&filter(&[("phone", "empty", Value::Null)]), &no_phone));
        assert!(!matches(&filter(&[("phone", "contains", json!("7"))]), &no_phone));
    }

    #[test]
    fn ordered_conditions() {
        assert!(holds(&[
            ("budget", "eq", json!("1500")),
            ("budget", "gt", json!(1499.5)),
            ("budget", "lt", json!("1 500,01"))
        ]));
        assert!(holds(&[("budget", "between", json!([1500, 1500]))]), "between includes both ends");
        assert!(!holds(&[("budget", "between", json!([1501, 2000]))]));
        assert!(!holds(&[("birthday", "lt", json!("17.05.1990"))]));
        assert!(holds(&[("birthday", "between", json!(["1990-01-01", "31.12.1990"]))]));
        assert!(holds(&[("visit", "eq", json!("2024-12-31T18:30:00+07:00"))]));
        assert!(holds(&[("visit", "gt", json!("2024-12-31T11:29:59Z"))]));
        let mut no_budget = contact();
        no_budget.fields.remove("budget");
        for (op, value) in [("gt", json!(0)), ("lt", json!(1e9)), ("between", json!([-1e9, 1e9])), ("eq", json!(1500))]
        {
            assert!(!matches(&filter(&[("budget", op, value.clone())]), &no_budget), "{op} on empty");
        }
        assert!(matches(&filter(&[("budget", "ne", json!(1500)), ("budget", "empty", Value::Null)]), &no_budget));
    }

    #[test]
    fn created_at_days() {
        assert!(holds(&[("created_at", "eq", json!("2024-12-31"))]));
        assert!(!holds(&[("created_at", "eq", json!("2025-01-01"))]));
        assert!(holds(&[("created_at", "gt", json!("2024-12-30")), ("created_at", "lt", json!("2025-01-01"))]));
        assert!(!holds(&[("created_at", "gt", json!("2024-12-31"))]));
        assert!(holds(&[("created_at", "between", json!(["2024-12-31", "2024-12-31"]))]));
    }

    #[test]
    fn choice_yes_no_and_id_conditions() {
        assert!(holds(&[("tier", "eq", json!("gold")), ("tier", "any_of", json!(["Silver", "GOLD"]))]));
        assert!(holds(&[("tier", "ne", json!("Silver"))]));
        assert!(holds(&[("channels", "any_of", json!("sms|zalo"))]));
        assert!(!holds(&[("channels", "any_of", json!(["SMS"]))]));
        assert!(holds(&[("vip", "eq", json!("no"))]));
        assert!(!holds(&[("vip", "eq", json!(true))]));
        let mut no_vip = contact();
        no_vip.fields.remove("vip");
        assert!(!matches(&filter(&[("vip", "eq", json!(false))]), &no_vip), "false is not empty");
        assert!(holds(&[("responsible_staff_id", "eq", json!(7)), ("department_id", "any_of", json!([1, 3]))]));
        assert!(holds(&[("department_id", "ne", json!("4"))]));
        let mut unassigned = contact();
        unassigned.responsible_staff_id = None;
        assert!(matches(&filter(&[("responsible_staff_id", "ne", json!(7))]), &unassigned));
        assert!(matches(&filter(&[("responsible_staff_id", "empty", Value::Null)]), &unassigned));
        assert!(!matches(&filter(&[("responsible_staff_id", "any_of", json!([7, 8]))]), &unassigned));
    }

    #[test]
    fn an_empty_filter_matches_everyone() {
        assert!(matches(&Filter::default(), &ContactRecord::default()));
    }

    #[test]
    fn sorting() {
        assert_eq!(parse_sort("created_at", &catalogue()), Ok(Column::Builtin(Builtin::CreatedAt)));
        assert_eq!(
            parse_sort("budget", &catalogue()),
            Ok(Column::Extended { key: "budget".into(), field_type: FieldType::Number })
        );
        assert!(parse_sort("channels", &catalogue()).unwrap_err().message.contains("multiple choice"));
        assert_eq!(parse_sort("nope", &catalogue()), Err(FilterError::new("nope", "no such field")));
    }
}
