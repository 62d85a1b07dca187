//! Merge fields in predefined texts (TEXT-1): `$[Contact.Name]`, `$[Staff.Name]`, any
//! extended field as `$[Contact.<key>]`, each with an optional fallback after `|` used when
//! the value is empty (`$[Contact.Name|customer]`). Names are matched without regard to case.
//! A text is checked when it is saved, so an unknown field is refused with its name instead of
//! reaching a customer as `$[...]`.

use crate::values::Invalid;
use std::collections::HashMap;

/// The fields every text may use, whatever extended fields exist.
pub const BUILT_IN: [&str; 5] = ["Contact.Name", "Contact.Phone", "Contact.WhatsApp", "Staff.Name", "Staff.Nickname"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Field { name: String, fallback: Option<String> },
}

/// Splits a body into text and fields; an opened `$[` that never closes is refused.
pub fn parse(body: &str) -> Result<Vec<Part>, Invalid> {
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("$[") {
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find(']') else {
            return Err(Invalid::new("body", "a merge field opened with $[ is not closed with ]"));
        };
        let inner = &after[..end];
        let (name, fallback) = match inner.split_once('|') {
            Some((name, fallback)) => (name.trim(), Some(fallback.to_string())),
            None => (inner.trim(), None),
        };
        parts.push(Part::Field { name: name.to_string(), fallback });
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    Ok(parts)
}

/// Checks that every field of `body` is a built-in one or `Contact.<key>` of an extended field.
pub fn check(body: &str, extended_keys: &[String]) -> Result<(), Invalid> {
    for part in parse(body)? {
        if let Part::Field { name, .. } = part
            && !known(&name, extended_keys)
        {
            let choices = BUILT_IN.map(|f| format!("$[{f}]")).join(", ");
            return Err(Invalid::new(
                "body",
                format!("unknown merge field $[{name}]; use {choices} or an extended field"),
            ));
        }
    }
    Ok(())
}

fn known(name: &str, extended_keys: &[String]) -> bool {
    BUILT_IN.iter().any(|b| b.eq_ignore_ascii_case(name))
        || name.split_once('.').is_some_and(|(entity, key)| {
            entity.eq_ignore_ascii_case("contact") && extended_keys.iter().any(|k| k == key)
        })
}

/// The values to fill, by field name (any case).
#[derive(Debug, Default, Clone)]
pub struct Values(HashMap<String, String>);

impl Values {
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Values {
        self.0.insert(name.to_lowercase(), value.into());
        self
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(&name.to_lowercase()).map(String::as_str).filter(|v| !v.trim().is_empty())
    }
}

/// The body with each field replaced by its value, its fallback when the value is empty, or
/// nothing.
pub fn fill(body: &str, values: &Values) -> Result<String, Invalid> {
    Ok(parse(body)?
        .into_iter()
        .map(|part| match part {
            Part::Text(text) => text,
            Part::Field { name, fallback } => values.get(&name).map(String::from).or(fallback).unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values() -> Values {
        Values::default().with("Contact.Name", "Nguyễn Văn An").with("Staff.Name", "Olga").with("Contact.Phone", "")
    }

    #[test]
    fn fields_are_filled_with_fallbacks_for_empty_values() {
        let body =
            "Xin chào $[Contact.Name], I am $[staff.name]. Call $[Contact.Phone|our shop] or $[Contact.WhatsApp].";
        assert_eq!(fill(body, &values()).unwrap(), "Xin chào Nguyễn Văn An, I am Olga. Call our shop or .");
        assert_eq!(fill("$[Contact.Nickname|friend]!", &values()).unwrap(), "friend!");
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let err = check("Hi $[Contact.Nmae]", &[]).unwrap_err();
        assert!(err.message.contains("$[Contact.Nmae]"), "{}", err.message);
        assert!(check("Size $[Contact.shoe_size]", &["shoe_size".to_string()]).is_ok());
        assert!(check("Size $[Staff.shoe_size]", &["shoe_size".to_string()]).is_err());
        assert!(check("Hi $[Contact.Name", &[]).is_err(), "an unclosed field is refused");
        assert!(check("Price: $5 [net]", &[]).is_ok(), "a dollar sign alone is text");
    }

    proptest! {
        #[test]
        fn text_without_fields_comes_back_unchanged(body in "[^$]*") {
            prop_assert_eq!(fill(&body, &values()).unwrap(), body);
        }

        #[test]
        fn every_known_field_is_replaced(prefix in "[a-z ]{0,10}", suffix in "[a-z ]{0,10}", field in prop::sample::select(BUILT_IN.to_vec())) {
            let body = format!("{prefix}$[{field}|x]{suffix}");
            let filled = fill(&body, &values()).unwrap();
            prop_assert!(!filled.contains("$["));
            prop_assert!(filled.starts_with(&prefix) && filled.ends_with(&suffix));
        }
    }
}
