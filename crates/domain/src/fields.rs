//! Extended contact fields (FIELD-1/2): the types a company can give its own contact fields, the
//! rules for a field's key and choices, and the one canonical stored form of each type's value.
//!
//! Values are read from whatever an API client, a form or a CSV cell sends and stored in the
//! contact's `fields` JSON in a canonical form, so that comparisons on the stored JSON (SQLite
//! `json_extract`, PostgreSQL `jsonb`) are right however the value was typed:
//!
//! | type | stored as |
//! |---|---|
//! | number | a JSON number: an integer when whole (and exact in a double), else a finite float |
//! | text, textarea, email, url, single_choice | a JSON string |
//! | phone | a JSON string in E.164 (`+79123456789`) |
//! | date | `"YYYY-MM-DD"` |
//! | datetime | `"YYYY-MM-DDTHH:MM:SSZ"`, in UTC |
//! | multiple_choice | a JSON array of options, in the options' order, each once |
//! | yes_no | a JSON bool |
//!
//! Dates and times of one shape order as text in time order, so `<` and `>` on the stored text
//! work. An empty value (null, blank text, no choice) is never stored: its key is left out.

use crate::phone;
use crate::values::{self, Invalid};
use serde_json::{Map, Number, Value};
use thiserror::Error;

/// Most characters in a key, a text value, a textarea value, an option.
pub const KEY_MAX: usize = 40;
pub const TEXT_MAX: usize = 255;
pub const TEXTAREA_MAX: usize = 5000;
pub const OPTION_MAX: usize = 100;
pub const OPTIONS_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;
pub const URL_MAX: usize = 2000;

/// Names the contact itself and the contacts API already use, so a field may not take them.
pub const RESERVED_KEYS: [&str; 14] = [
    "id",
    "name",
    "phone",
    "email",
    "address",
    "source",
    "responsible_staff_id",
    "department_id",
    "created_at",
    "updated_at",
    "wa_id",
    "deleted_at",
    "fields",
    "q",
];

/// Separates several choices of a multiple choice field written in one CSV cell or text.
pub const CHOICE_SEPARATOR: char = '|';

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    Number,
    Text,
    Textarea,
    Date,
    DateTime,
    SingleChoice,
    MultipleChoice,
    Phone,
    Email,
    Url,
    YesNo,
}

impl FieldType {
    pub const ALL: [FieldType; 11] = [
        FieldType::Number,
        FieldType::Text,
        FieldType::Textarea,
        FieldType::Date,
        FieldType::DateTime,
        FieldType::SingleChoice,
        FieldType::MultipleChoice,
        FieldType::Phone,
        FieldType::Email,
        FieldType::Url,
        FieldType::YesNo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Number => "number",
            FieldType::Text => "text",
            FieldType::Textarea => "textarea",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::SingleChoice => "single_choice",
            FieldType::MultipleChoice => "multiple_choice",
            FieldType::Phone => "phone",
            FieldType::Email => "email",
            FieldType::Url => "url",
            FieldType::YesNo => "yes_no",
        }
    }

    pub fn parse(name: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether the field's values come from its list of options.
    pub fn is_choice(self) -> bool {
        matches!(self, FieldType::SingleChoice | FieldType::MultipleChoice)
    }
}

/// A field's key as used in the API and in `fields`: `a-z` first, then `a-z`, `0-9`, `_`.
pub fn validate_key(key: &str) -> Result<String, Invalid> {
    let key = key.trim();
    let len = key.chars().count();
    if !(1..=KEY_MAX).contains(&len) {
        return Err(Invalid::new("key", format!("must be 1 to {KEY_MAX} characters")));
    }
    let starts_with_letter = key.starts_with(|c: char| c.is_ascii_lowercase());
    let rest_allowed = key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !starts_with_letter || !rest_allowed {
        return Err(Invalid::new(
            "key",
            format!("`{key}` must start with a lowercase letter and hold only a-z, 0-9 and _"),
        ));
    }
    if RESERVED_KEYS.contains(&key) {
        return Err(Invalid::new("key", format!("`{key}` is the name of a built-in contact column")));
    }
    Ok(key.to_string())
}

/// The options of a choice field, trimmed; other types take none.
pub fn validate_options(field_type: FieldType, options: &[String]) -> Result<Vec<String>, Invalid> {
    if !field_type.is_choice() {
        if options.is_empty() {
            return Ok(Vec::new());
        }
        return Err(Invalid::new("options", format!("a {} field has no options", field_type.as_str())));
    }
    if !(1..=OPTIONS_MAX).contains(&options.len()) {
        return Err(Invalid::new("options", format!("a choice field needs 1 to {OPTIONS_MAX} options")));
    }
    let mut kept: Vec<String> = Vec::with_capacity(options.len());
    for option in options {
        let option = validate_option(option)?;
        if kept.iter().any(|k| k.to_lowercase() == option.to_lowercase()) {
            return Err(Invalid::new("options", format!("`{option}` is listed twice")));
        }
        kept.push(option);
    }
    Ok(kept)
}

fn validate_option(option: &str) -> Result<String, Invalid> {
    let option = option.trim();
    if option.is_empty() {
        return Err(Invalid::new("options", "an option must not be empty"));
    }
    if option.chars().count() > OPTION_MAX {
        return Err(Invalid::new("options", format!("`{option}` is longer than {OPTION_MAX} characters")));
    }
    if option.contains(CHOICE_SEPARATOR) {
        return Err(Invalid::new("options", format!("`{option}` must not contain `|`, which separates choices")));
    }
    if option.chars().any(char::is_control) {
        return Err(Invalid::new("options", format!("`{option}` must be a single line")));
    }
    Ok(option.to_string())
}

/// An e-mail address: trimmed, its domain lower-cased (the local part may be case-sensitive).
pub fn email(text: &str) -> Result<String, Invalid> {
    let text = text.trim();
    let refuse = || Invalid::new("email", format!("`{text}` is not an e-mail address such as ann@example.com"));
    if text.chars().count() > EMAIL_MAX {
        return Err(Invalid::new("email", format!("must be at most {EMAIL_MAX} characters")));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse());
    }
    let Some((local, domain)) = text.split_once('@') else { return Err(refuse()) };
    let domain_ok = domain.contains('.') && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || domain.contains('@') || !domain_ok {
        return Err(refuse());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// A web address: `http://` or `https://` and a host, trimmed, kept as written.
pub fn url(text: &str) -> Result<String, Invalid> {
    let text = text.trim();
    if text.chars().count() > URL_MAX {
        return Err(Invalid::new("url", format!("must be at most {URL_MAX} characters")));
    }
    let rest = ["http://", "https://"].iter().find_map(|scheme| {
        text.get(..scheme.len()).filter(|s| s.eq_ignore_ascii_case(scheme)).map(|_| &text[scheme.len()..])
    });
    let host = rest
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .and_then(|authority| authority.rsplit('@').next())
        .filter(|host| !host.is_empty() && !host.starts_with(':'));
    if host.is_none() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new("url", format!("`{text}` is not a web address such as https://example.com")));
    }
    Ok(text.to_string())
}

/// An extended contact field as defined by the company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDef {
    pub key: String,
    pub name: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
}

/// A value refused for one field, named by its key.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{key}: {message}")]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

impl FieldError {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        FieldError { key: key.to_string(), message: message.into() }
    }
}

impl FieldDef {
    /// A new definition with its key, name and options checked.
    pub fn new(
        key: &str,
        name: &str,
        field_type: FieldType,
        options: &[String],
        required: bool,
    ) -> Result<FieldDef, Invalid> {
        Ok(FieldDef {
            key: validate_key(key)?,
            name: values::required_text("name", name, values::NAME_MAX)?,
            field_type,
            options: validate_options(field_type, options)?,
            required,
        })
    }

    /// The canonical stored value for a value sent to the API, `None` when it is empty (null,
    /// blank text, an empty list). Strings are accepted for every type, so a form or CSV text
    /// can be passed as a JSON string.
    pub fn parse_value(&self, input: &Value, default_country: &str) -> Result<Option<Value>, FieldError> {
        if is_blank(input) {
            return Ok(None);
        }
        let parsed = match self.field_type {
            FieldType::Number => number(input).map(Value::Number),
            FieldType::YesNo => yes_no(input).map(Value::Bool),
            FieldType::MultipleChoice => self.choices(input).map(|chosen| {
                let chosen: Vec<Value> = chosen.into_iter().map(Value::String).collect();
                Value::Array(chosen)
            }),
            _ => match input {
                Value::String(text) => self.parse_string(text.trim(), default_country).map(Value::String),
                other => Err(wrong_type("text", other)),
            },
        };
        let value = parsed.map_err(|message| FieldError::new(&self.key, message))?;
        Ok(Some(value).filter(|v| !is_blank(v)))
    }

    /// The canonical stored value for a CSV cell or a form's text.
    pub fn parse_text(&self, text: &str, default_country: &str) -> Result<Option<Value>, FieldError> {
        self.parse_value(&Value::String(text.to_string()), default_country)
    }

    /// The string-valued types, from trimmed, non-empty text.
    fn parse_string(&self, text: &str, default_country: &str) -> Result<String, String> {
        match self.field_type {
            FieldType::Text => values::optional_text("value", text, TEXT_MAX).map_err(|e| e.message),
            FieldType::Textarea => values::multiline_text("value", text, TEXTAREA_MAX).map_err(|e| e.message),
            FieldType::Date => {
                date(text).ok_or_else(|| format!("`{text}` is not a date such as 2024-12-31 or 31.12.2024"))
            }
            FieldType::DateTime => datetime(text).ok_or_else(|| {
                format!(
                    "`{text}` is not a date and time such as 2024-12-31T18:30:00+07:00 (without an offset it is UTC)"
                )
            }),
            FieldType::SingleChoice => self.option(text).map(str::to_string),
            FieldType::Phone => phone::normalize(text, default_country).map_err(|e| e.message),
            FieldType::Email => email(text).map_err(|e| e.message),
            FieldType::Url => url(text).map_err(|e| e.message),
            FieldType::Number | FieldType::MultipleChoice | FieldType::YesNo => {
                Err(format!("a {} value is not text", self.field_type.as_str()))
            }
        }
    }

    /// The option matching `typed` regardless of case, in the option's own spelling.
    fn option(&self, typed: &str) -> Result<&str, String> {
        let typed = typed.trim();
        let wanted = typed.to_lowercase();
        self.options
            .iter()
            .find(|option| option.to_lowercase() == wanted)
            .map(String::as_str)
            .ok_or_else(|| format!("`{typed}` is not one of the choices: {}", choice_list(&self.options)))
    }

    /// The chosen options, in the options' order, each once.
    fn choices(&self, input: &Value) -> Result<Vec<String>, String> {
        let typed: Vec<&str> = match input {
            Value::String(text) => text.split(CHOICE_SEPARATOR).collect(),
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().ok_or_else(|| format!("every choice must be text, not {}", kind(item))))
                .collect::<Result<_, _>>()?,
            other => return Err(wrong_type("a list of choices", other)),
        };
        let mut picked = Vec::new();
        for typed in typed.into_iter().filter(|t| !t.trim().is_empty()) {
            picked.push(self.option(typed)?);
        }
        Ok(self.options.iter().filter(|option| picked.contains(&option.as_str())).cloned().collect())
    }
}

/// Checks a contact's whole `fields` object against the definitions: every key must be a
/// field, every value valid, every required field filled. Returns the non-empty canonical
/// values. A partial update is merged with the stored values before it is checked.
pub fn check_values(
    defs: &[FieldDef],
    input: &Map<String, Value>,
    default_country: &str,
) -> Result<Map<String, Value>, FieldError> {
    let mut values = Map::new();
    for (key, value) in input {
        let def = defs.iter().find(|def| def.key == *key).ok_or_else(|| FieldError::new(key, "no such field"))?;
        if let Some(value) = def.parse_value(value, default_country)? {
            values.insert(key.clone(), value);
        }
    }
    match defs.iter().find(|def| def.required && !values.contains_key(&def.key)) {
        Some(missing) => Err(FieldError::new(&missing.key, "is required")),
        None => Ok(values),
    }
}

/// A stored value read as a field of another type, for changing a field's type: its text (a
/// number as written, a bool as yes/no, choices joined with `|`) parsed by the new type's
/// rules. An error means the value does not fit the new type. Text becoming a phone is read
/// with `US` as the country, so only international numbers convert reliably; use
/// [`convert_in`] with the company's country where it is known.
pub fn convert(value: &Value, to: &FieldDef) -> Result<Option<Value>, FieldError> {
    convert_in(value, to, "US")
}

/// [`convert`], local phone numbers read in `default_country`.
pub fn convert_in(value: &Value, to: &FieldDef, default_country: &str) -> Result<Option<Value>, FieldError> {
    let text =
        text_form(value).ok_or_else(|| FieldError::new(&to.key, "holds an object, which no field type stores"))?;
    to.parse_text(&text, default_country)
}

fn text_form(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::Bool(true) => Some("yes".into()),
        Value::Bool(false) => Some("no".into()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(text_form).collect();
            parts.map(|parts| parts.join("|"))
        }
        Value::Object(_) => None,
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(expected: &str, got: &Value) -> String {
    format!("must be {expected}, not {}", kind(got))
}

fn choice_list(options: &[String]) -> String {
    const SHOWN: usize = 20;
    let shown = options.iter().take(SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
    match options.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{shown} and {more} more"),
        _ => shown,
    }
}

fn yes_no(input: &Value) -> Result<bool, String> {
    match input {
        Value::Bool(b) => Ok(*b),
        Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Ok(true),
            "no" | "n" | "false" | "0" => Ok(false),
            _ => Err(format!("`{}` is not yes or no", text.trim())),
        },
        other => Err(wrong_type("yes or no", other)),
    }
}

// ---- Numbers ----

fn number(input: &Value) -> Result<Number, String> {
    let parsed = match input {
        Value::Number(n) => n.as_i64().map(Number::from).or_else(|| n.as_f64().and_then(whole_or_float)),
        Value::String(text) => number_from_text(text.trim()),
        other => return Err(wrong_type("a number", other)),
    };
    let typed = || input.as_str().map_or_else(|| input.to_string(), |text| text.trim().to_string());
    parsed.ok_or_else(|| format!("`{}` is not a number", typed()))
}

/// A number as people write it: `1234`, `-12.5`, `1 234,5`, `1234,5` (a comma is the decimal
/// mark when there is no dot), `1,234.5` / `1.234,5` (with both, the last one is the decimal
/// mark and the other groups thousands). Spaces and no-break spaces group thousands.
fn number_from_text(text: &str) -> Option<Number> {
    let kept: String = text.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
    let plain = with_decimal_point(&kept)?;
    if !is_plain_number(&plain) {
        return None;
    }
    match plain.parse::<i64>() {
        Ok(integer) => Some(Number::from(integer)),
        Err(_) => plain.parse::<f64>().ok().and_then(whole_or_float),
    }
}

fn with_decimal_point(text: &str) -> Option<String> {
    match (text.rfind('.'), text.rfind(',')) {
        (_, None) => Some(text.to_string()),
        (None, Some(_)) => Some(text.replace(',', ".")),
        (Some(dot), Some(comma)) => {
            let (group, at) = if dot > comma { (',', dot) } else { ('.', comma) };
            let (integer, fraction) = (&text[..at], &text[at + 1..]);
            ungrouped(integer, group).map(|integer| format!("{integer}.{fraction}"))
        }
    }
}

/// `1,234,567` without its separators, when the groups are of three digits.
fn ungrouped(integer: &str, separator: char) -> Option<String> {
    let (sign, digits) = match integer.strip_prefix(['-', '+']) {
        Some(digits) => (&integer[..1], digits),
        None => ("", integer),
    };
    let mut groups = digits.split(separator);
    let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
    let rest_ok = groups.all(|g| g.len() == 3);
    (first_ok && rest_ok).then(|| format!("{sign}{}", digits.replace(separator, "")))
}

/// `[+-]digits[.digits][e[+-]digits]`, at least one digit in the mantissa.
fn is_plain_number(text: &str) -> bool {
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent.strip_prefix(['-', '+']).unwrap_or(exponent))),
        None => (unsigned, None),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    (!integer.is_empty() || !fraction.is_empty())
        && all_digits(integer)
        && all_digits(fraction)
        && exponent.is_none_or(|e| !e.is_empty() && all_digits(e))
}

/// A finite float, stored as an integer when it is whole and a double holds it exactly.
fn whole_or_float(value: f64) -> Option<Number> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if value.fract() == 0.0 && value.abs() <= EXACT {
        // Whole and within ±2^53, so the cast is exact.
        return Some(Number::from(value as i64));
    }
    Number::from_f64(value)
}

// ---- Dates and times ----

/// `YYYY-MM-DD` from `YYYY-MM-DD`, `DD.MM.YYYY` or `DD/MM/YYYY` (day and month may have one
/// digit), when the day exists.
fn date(text: &str) -> Option<String> {
    let (year, month, day) = date_parts(text)?;
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

fn date_parts(text: &str) -> Option<(i64, i64, i64)> {
    let field = |part: &str, digits: std::ops::RangeInclusive<usize>| -> Option<i64> {
        let ok = digits.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| part.parse().ok()).flatten()
    };
    let parts = |separator: char| text.split(separator).collect::<Vec<_>>();
    let (year, month, day) = match (parts('-').as_slice(), parts('.').as_slice(), parts('/').as_slice()) {
        ([y, m, d], _, _) => (field(y, 4..=4)?, field(m, 1..=2)?, field(d, 1..=2)?),
        (_, [d, m, y], _) | (_, _, [d, m, y]) => (field(y, 4..=4)?, field(m, 1..=2)?, field(d, 1..=2)?),
        _ => return None,
    };
    let valid = year >= 1 && (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day);
    valid.then_some((year, month, day))
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC from a date (as [`date`] reads it), `T` or a space, and
/// `HH:MM[:SS[.fraction]]`, then `Z`, an offset `±HH:MM` / `±HHMM` / `±HH`, or nothing, which
/// means UTC. Fractions of a second are dropped.
fn datetime(text: &str) -> Option<String> {
    let (date_text, time_text) = text.split_once(['T', 't', ' '])?;
    let (year, month, day) = date_parts(date_text)?;
    let (clock, offset) = split_offset(time_text)?;
    let seconds_of_day = time_of_day(clock)?;
    let unix = days_from_civil(year, month, day) * 86_400 + seconds_of_day - offset;
    format_utc(unix)
}

/// The time and its offset east of UTC in seconds.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    if let Some(clock) = text.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let Some(at) = text.rfind(['+', '-']) else { return Some((text, 0)) };
    let (clock, offset) = text.split_at(at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits = offset[1..].replace(':', "");
    if !matches!(digits.len(), 2 | 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = if digits.len() == 4 { digits[2..].parse().ok()? } else { 0 };
    (hours <= 23 && minutes <= 59).then_some((clock, sign * (hours * 3600 + minutes * 60)))
}

fn time_of_day(clock: &str) -> Option<i64> {
    let two_digits = |part: &str| -> Option<i64> {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.parse().ok()).flatten()
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let (hour, minute, second) = match parts.as_slice() {
        [h, m] => (two_digits(h)?, two_digits(m)?, 0),
        [h, m, s] => {
            let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
            let fraction_ok = !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit());
            (two_digits(h)?, two_digits(m)?, two_digits(whole).filter(|_| fraction_ok)?)
        }
        _ => return None,
    };
    (hour <= 23 && minute <= 59 && second <= 59).then_some(hour * 3600 + minute * 60 + second)
}

fn format_utc(unix: i64) -> Option<String> {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    let second = unix.rem_euclid(86_400);
    let (hour, minute, second) = (second / 3600, second % 3600 / 60, second % 60);
    (1..=9999).contains(&year).then(|| format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"))
}

/// The unix time at which a canonical `YYYY-MM-DD` day starts in UTC.
pub(crate) fn day_start(date: &str) -> Option<i64> {
    let (year, month, day) = date_parts(date)?;
    Some(days_from_civil(year, month, day) * 86_400)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day counted from 1970-01-01; the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(field_type: FieldType, options: &[&str]) -> FieldDef {
        let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
        FieldDef::new("f", "F", field_type, &options, false).expect("a valid definition")
    }

    fn ok(field_type: FieldType, input: Value) -> Option<Value> {
        def(field_type, &[]).parse_value(&input, "RU").expect("accepted")
    }

    fn refused(field_type: FieldType, input: Value) -> String {
        let error = def(field_type, &[]).parse_value(&input, "RU").expect_err("refused");
        assert_eq!(error.key, "f");
        error.message
    }

    #[test]
    fn type_names_round_trip() {
        for field_type in FieldType::ALL {
            assert_eq!(FieldType::parse(field_type.as_str()), Some(field_type));
        }
        assert_eq!(FieldType::parse("datetime"), Some(FieldType::DateTime));
        assert_eq!(FieldType::parse("Date"), None);
        assert!(FieldType::MultipleChoice.is_choice() && !FieldType::Text.is_choice());
    }

    #[test]
    fn keys() {
        assert_eq!(validate_key(" city ").as_deref(), Ok("city"));
        assert_eq!(validate_key("loyalty_card_2").as_deref(), Ok("loyalty_card_2"));
        assert!(validate_key(&"k".repeat(40)).is_ok());
        for bad in ["", "City", "2nd", "_x", "tên", "a-b", "a b"] {
            assert_eq!(validate_key(bad).unwrap_err().field, "key", "{bad}");
        }
        assert!(validate_key(&"k".repeat(41)).is_err());
        for reserved in RESERVED_KEYS {
            assert!(validate_key(reserved).unwrap_err().message.contains("built-in"), "{reserved}");
        }
    }

    #[test]
    fn options() {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            validate_options(FieldType::SingleChoice, &list(&[" Gold ", "Silver"])),
            Ok(list(&["Gold", "Silver"]))
        );
        assert!(validate_options(FieldType::SingleChoice, &[]).is_err());
        assert!(
            validate_options(FieldType::MultipleChoice, &list(&["Vàng", "VÀNG"]))
                .unwrap_err()
                .message
                .contains("twice")
        );
        assert!(validate_options(FieldType::MultipleChoice, &list(&["a|b"])).unwrap_err().message.contains('|'));
        assert!(validate_options(FieldType::SingleChoice, &list(&["  "])).is_err());
        assert!(validate_options(FieldType::SingleChoice, &list(&[&"x".repeat(101)])).is_err());
        let many: Vec<String> = (0..201).map(|i| format!("o{i}")).collect();
        assert!(validate_options(FieldType::SingleChoice, &many).is_err());
        assert!(validate_options(FieldType::SingleChoice, &many[..200]).is_ok());
        assert_eq!(validate_options(FieldType::Text, &[]), Ok(vec![]));
        assert!(validate_options(FieldType::Text, &list(&["a"])).unwrap_err().message.contains("no options"));
    }

    #[test]
    fn empty_values_are_none_for_every_type() {
        for field_type in FieldType::ALL {
            let def = def(field_type, if field_type.is_choice() { &["A"] } else { &[] });
            for blank in [json!(null), json!(""), json!("  \t"), json!([])] {
                assert_eq!(def.parse_value(&blank, "RU"), Ok(None), "{field_type:?} {blank}");
            }
        }
    }

    #[test]
    fn numbers() {
        let cases = [
            (json!(12), json!(12)),
            (json!(-12.5), json!(-12.5)),
            (json!(12.0), json!(12)),
            (json!("1234"), json!(1234)),
            (json!(" -12.5 "), json!(-12.5)),
            (json!("1 234,5"), json!(1234.5)),
            (json!("1\u{a0}234\u{a0}567"), json!(1_234_567)),
            (json!("1234,5"), json!(1234.5)),
            (json!("1,234.5"), json!(1234.5)),
            (json!("1.234,5"), json!(1234.5)),
            (json!("+7"), json!(7)),
            (json!("1e3"), json!(1000)),
            (json!("0.1"), json!(0.1)),
            (json!("9223372036854775807"), json!(i64::MAX)),
        ];
        for (input, stored) in cases {
            assert_eq!(ok(FieldType::Number, input.clone()), Some(stored), "{input}");
        }
        assert_eq!(refused(FieldType::Number, json!("abc")), "`abc` is not a number");
        for bad in ["1,234,567", "1,23.5", "12abc", "1e999", "NaN", "inf", ".", "--1", "1.2.3"] {
            assert!(def(FieldType::Number, &[]).parse_text(bad, "RU").is_err(), "{bad}");
        }
        assert_eq!(refused(FieldType::Number, json!(true)), "must be a number, not true/false");
        assert_eq!(refused(FieldType::Number, json!({"a": 1})), "must be a number, not an object");
    }

    #[test]
    fn texts() {
        assert_eq!(ok(FieldType::Text, json!("  Nguyễn Văn An ")), Some(json!("Nguyễn Văn An")));
        assert_eq!(ok(FieldType::Text, json!("Москва, ул. Ленина")), Some(json!("Москва, ул. Ленина")));
        assert!(refused(FieldType::Text, json!("line\nbreak")).contains("single line"));
        assert!(ok(FieldType::Text, json!("ы".repeat(255))).is_some());
        assert!(refused(FieldType::Text, json!("ы".repeat(256))).contains("at most 255"));
        assert_eq!(refused(FieldType::Text, json!(["a"])), "must be text, not a list");
        assert_eq!(refused(FieldType::Text, json!({"a": 1})), "must be text, not an object");
        assert_eq!(refused(FieldType::Text, json!(5)), "must be text, not a number");
        assert_eq!(ok(FieldType::Textarea, json!(" Dòng một\nDòng hai ")), Some(json!("Dòng một\nDòng hai")));
        assert!(ok(FieldType::Textarea, json!("я".repeat(5000))).is_some());
        assert!(refused(FieldType::Textarea, json!("я".repeat(5001))).contains("at most 5000"));
    }

    #[test]
    fn dates() {
        for (typed, stored) in [
            ("2024-02-29", "2024-02-29"),
            ("31.12.2024", "2024-12-31"),
            ("1.2.2024", "2024-02-01"),
            ("05/03/2024", "2024-03-05"),
            ("2000-02-29", "2000-02-29"),
        ] {
            assert_eq!(ok(FieldType::Date, json!(typed)), Some(json!(stored)), "{typed}");
        }
        for bad in
            ["2024-02-30", "2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "31.12.24", "2024/12/31", "tomorrow"]
        {
            assert!(refused(FieldType::Date, json!(bad)).contains("is not a date"), "{bad}");
        }
    }

    #[test]
    fn datetimes_are_stored_in_utc() {
        for (typed, stored) in [
            ("2024-12-31T18:30:00+07:00", "2024-12-31T11:30:00Z"),
            ("2024-01-01T05:00:00+07:00", "2023-12-31T22:00:00Z"),
            ("2024-12-31T22:00:00-05:00", "2025-01-01T03:00:00Z"),
            ("2024-12-31T18:30:00.123Z", "2024-12-31T18:30:00Z"),
            ("2024-12-31T18:30+0530", "2024-12-31T13:00:00Z"),
            ("2024-12-31T18:30", "2024-12-31T18:30:00Z"),
            ("2024-12-31 18:30:15", "2024-12-31T18:30:15Z"),
            ("31.12.2024 18:30", "2024-12-31T18:30:00Z"),
        ] {
            assert_eq!(ok(FieldType::DateTime, json!(typed)), Some(json!(stored)), "{typed}");
        }
        for bad in
            ["2024-12-31", "2024-12-31T24:00", "2024-12-31T18:60", "2024-02-30T10:00", "2024-12-31T18:30+7", "noon"]
        {
            assert!(refused(FieldType::DateTime, json!(bad)).contains("date and time"), "{bad}");
        }
    }

    #[test]
    fn single_choice_keeps_the_options_spelling() {
        let field = def(FieldType::SingleChoice, &["Vàng", "Bạc", "Đồng"]);
        assert_eq!(field.parse_text(" VÀNG ", "RU"), Ok(Some(json!("Vàng"))));
        assert_eq!(field.parse_text("đồng", "RU"), Ok(Some(json!("Đồng"))));
        let error = field.parse_text("Kim cương", "RU").unwrap_err();
        assert_eq!(error.message, "`Kim cương` is not one of the choices: Vàng, Bạc, Đồng");
    }

    #[test]
    fn multiple_choice_is_a_list_in_the_options_order() {
        let field = def(FieldType::MultipleChoice, &["Email", "SMS", "Звонок"]);
        assert_eq!(field.parse_text("звонок | email|EMAIL", "RU"), Ok(Some(json!(["Email", "Звонок"]))));
        assert_eq!(field.parse_value(&json!(["sms", "Email"]), "RU"), Ok(Some(json!(["Email", "SMS"]))));
        assert_eq!(field.parse_text(" | ", "RU"), Ok(None));
        assert!(field.parse_text("Email|Fax", "RU").unwrap_err().message.contains("`Fax`"));
        assert!(field.parse_value(&json!([1]), "RU").unwrap_err().message.contains("must be text"));
        assert!(field.parse_value(&json!(true), "RU").unwrap_err().message.contains("list of choices"));
    }

    #[test]
    fn phones_emails_and_urls() {
        assert_eq!(ok(FieldType::Phone, json!("8 912 345-67-89")), Some(json!("+79123456789")));
        assert!(refused(FieldType::Phone, json!("call me")).contains("not a phone number"));
        assert_eq!(ok(FieldType::Email, json!(" Ann.Lee@Example.COM ")), Some(json!("Ann.Lee@example.com")));
        assert_eq!(ok(FieldType::Email, json!("иван@почта.рф")), Some(json!("иван@почта.рф")));
        for bad in [
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a@b@c.com",
            "ann lee@example.com",
            "ann@exa mple.com",
            "a@.com",
        ] {
            assert!(refused(FieldType::Email, json!(bad)).contains("not an e-mail"), "{bad}");
        }
        assert!(refused(FieldType::Email, json!(format!("{}@example.com", "a".repeat(250)))).contains("at most 254"));
        assert_eq!(ok(FieldType::Url, json!(" https://example.com/a?b=1 ")), Some(json!("https://example.com/a?b=1")));
        assert_eq!(ok(FieldType::Url, json!("HTTP://user@host:8080")), Some(json!("HTTP://user@host:8080")));
        for bad in ["example.com", "ftp://example.com", "https://", "https:///path", "https://exa mple.com"] {
            assert!(refused(FieldType::Url, json!(bad)).contains("not a web address"), "{bad}");
        }
        assert!(refused(FieldType::Url, json!(format!("https://e.com/{}", "a".repeat(2000)))).contains("at most 2000"));
    }

    #[test]
    fn yes_no() {
        for (typed, stored) in [
            ("Yes", true),
            ("y", true),
            ("TRUE", true),
            ("1", true),
            ("no", false),
            ("N", false),
            ("false", false),
            ("0", false),
        ] {
            assert_eq!(ok(FieldType::YesNo, json!(typed)), Some(json!(stored)), "{typed}");
        }
        assert_eq!(ok(FieldType::YesNo, json!(false)), Some(json!(false)));
        assert_eq!(refused(FieldType::YesNo, json!("maybe")), "`maybe` is not yes or no");
        assert_eq!(refused(FieldType::YesNo, json!(1)), "must be yes or no, not a number");
    }

    #[test]
    fn a_whole_fields_object() {
        let mut city = def(FieldType::Text, &[]);
        city.key = "city".into();
        city.required = true;
        let mut age = def(FieldType::Number, &[]);
        age.key = "age".into();
        let defs = [city, age];
        let object = |v: Value| v.as_object().cloned().expect("an object");

        let stored = check_values(&defs, &object(json!({"city": " Hà Nội ", "age": ""})), "VN");
        assert_eq!(stored, Ok(object(json!({"city": "Hà Nội"}))));
        assert_eq!(
            check_values(&defs, &object(json!({"age": "3"})), "VN"),
            Err(FieldError::new("city", "is required"))
        );
        assert_eq!(
            check_values(&defs, &object(json!({"city": "  "})), "VN"),
            Err(FieldError::new("city", "is required"))
        );
        assert_eq!(
            check_values(&defs, &object(json!({"city": "A", "colour": "red"})), "VN"),
            Err(FieldError::new("colour", "no such field"))
        );
        let error = check_values(&defs, &object(json!({"city": "A", "age": "old"})), "VN").unwrap_err();
        assert_eq!(error.to_string(), "age: `old` is not a number");
    }

    #[test]
    fn converting_between_types() {
        let number = def(FieldType::Number, &[]);
        let text = def(FieldType::Text, &[]);
        assert_eq!(convert(&json!("12"), &number), Ok(Some(json!(12))));
        assert!(convert(&json!("abc"), &number).is_err());
        assert_eq!(convert(&json!("Gold"), &text), Ok(Some(json!("Gold"))));
        assert_eq!(convert(&json!(12.5), &text), Ok(Some(json!("12.5"))));
        assert_eq!(convert(&json!(true), &text), Ok(Some(json!("yes"))));
        assert_eq!(convert(&json!(["A", "B"]), &text), Ok(Some(json!("A|B"))));
        let choice = def(FieldType::SingleChoice, &["Gold", "Silver"]);
        assert_eq!(convert(&json!("gold"), &choice), Ok(Some(json!("Gold"))));
        let several = def(FieldType::MultipleChoice, &["Gold", "Silver"]);
        assert_eq!(convert(&json!("Silver"), &several), Ok(Some(json!(["Silver"]))));
        assert!(convert(&json!("line\nbreak"), &text).is_err(), "textarea to text");
        assert_eq!(convert(&json!("+79123456789"), &def(FieldType::Phone, &[])), Ok(Some(json!("+79123456789"))));
        assert_eq!(convert(&json!(1), &def(FieldType::YesNo, &[])), Ok(Some(json!(true))));
        let phone = def(FieldType::Phone, &[]);
        assert_eq!(convert_in(&json!("8 912 345-67-89"), &phone, "RU"), Ok(Some(json!("+79123456789"))));
        assert_eq!(
            convert(&json!("2024-12-31T11:30:00Z"), &def(FieldType::DateTime, &[])),
            Ok(Some(json!("2024-12-31T11:30:00Z")))
        );
    }

    #[test]
    fn calendar_arithmetic_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(day_start("2024-12-31"), Some(1_735_603_200));
        for days in [-719_162, -1, 0, 59, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    proptest::proptest! {
        /// Canonical values are what parsing their own text gives back, so re-reading a stored
        /// value (an export, a type change to the same type) never changes it.
        #[test]
        fn canonical_values_are_fixed_points(n in proptest::num::f64::NORMAL, i: i64, secs in 0i64..253_402_300_799) {
            let number = def(FieldType::Number, &[]);
            let stored = number.parse_value(&json!(n), "US").expect("finite").expect("non-empty");
            proptest::prop_assert_eq!(convert(&stored, &number).expect("re-read"), Some(stored.clone()));
            let stored = number.parse_value(&json!(i), "US").expect("integer").expect("non-empty");
            proptest::prop_assert_eq!(convert(&stored, &number).expect("re-read"), Some(json!(i)));
            let text = format_utc(secs).expect("in range");
            let datetime = def(FieldType::DateTime, &[]);
            proptest::prop_assert_eq!(datetime.parse_text(&text, "US").expect("valid"), Some(json!(text)));
        }
    }
}
