//! A contact's own details as typed on a form, sent to the API or read from an import row
//! (CONT-1, CONT-3): one validation for every write path, so a row an import rejects is exactly
//! a form the page would refuse.

use crate::fields::{self, FieldDef, FieldError, check_values};
use crate::phone;
use crate::values;
use serde_json::{Map, Value};

pub const NAME_MAX: usize = 200;
pub const ADDRESS_MAX: usize = 500;
pub const SOURCE_MAX: usize = 40;

/// What was typed.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub source: String,
    /// Extended values by field key, as sent (strings are fine for every type).
    pub fields: Map<String, Value>,
    /// The phone stored now, when editing: left as it is, it is kept without being checked
    /// again (WhatsApp's own ids need not pass libphonenumber's ranges).
    pub stored_phone: Option<String>,
}

/// The details as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Details {
    pub name: String,
    /// E.164.
    pub phone: String,
    /// As typed, kept for reference.
    pub phone_typed: String,
    pub email: String,
    pub address: String,
    pub source: String,
    pub fields: Map<String, Value>,
}

/// Checks a draft: name and phone required, the phone read in `country` (ISO code) when typed
/// locally, e-mail shaped like one, every extended value valid for its field and every
/// required field filled. The error names the offending field (`name`, `phone`, a field key).
pub fn validate(draft: &Draft, defs: &[FieldDef], country: &str) -> Result<Details, FieldError> {
    let err = |e: values::Invalid| FieldError::new(e.field, e.message);
    let name = values::required_text("name", &draft.name, NAME_MAX).map_err(err)?;
    let unchanged = draft.stored_phone.as_deref().filter(|stored| !stored.is_empty() && *stored == draft.phone.trim());
    let phone = match unchanged {
        Some(stored) => stored.to_string(),
        None => phone::normalize(&draft.phone, country).map_err(err)?,
    };
    let email = match draft.email.trim() {
        "" => String::new(),
        typed => fields::email(typed).map_err(err)?,
    };
    let address = values::optional_text("address", &draft.address, ADDRESS_MAX).map_err(err)?;
    let source = match values::optional_text("source", &draft.source, SOURCE_MAX).map_err(err)? {
        s if s.is_empty() => "system".to_string(),
        s => s,
    };
    let fields = check_values(defs, &draft.fields, country)?;
    Ok(Details { name, phone, phone_typed: draft.phone.trim().to_string(), email, address, source, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldType;
    use serde_json::json;

    fn city(required: bool) -> FieldDef {
        FieldDef {
            key: "city".into(),
            name: "City".into(),
            field_type: FieldType::SingleChoice,
            options: vec!["Hà Nội".into(), "Hồ Chí Minh".into()],
            required,
        }
    }

    fn draft(name: &str, phone: &str) -> Draft {
        Draft { name: name.into(), phone: phone.into(), ..Draft::default() }
    }

    #[test]
    fn a_vietnamese_customer_typed_locally_is_stored_internationally() {
        let mut d = draft("  Nguyễn Văn An ", "0912 345 678");
        d.email = "An@Example.VN".into();
        d.fields.insert("city".into(), json!("hà nội"));
        let details = validate(&d, &[city(true)], "VN").expect("valid");
        assert_eq!(details.name, "Nguyễn Văn An");
        assert_eq!(details.phone, "+84912345678");
        assert_eq!(details.phone_typed, "0912 345 678");
        assert_eq!(details.email, "An@example.vn");
        assert_eq!(details.source, "system");
        assert_eq!(details.fields["city"], json!("Hà Nội"));
    }

    #[test]
    fn each_refusal_names_its_field() {
        let cases = [
            (draft("", "+79123456789"), "name"),
            (draft("Ivan", ""), "phone"),
            (draft("Ivan", "12"), "phone"),
            (Draft { email: "not-an-email".into(), ..draft("Ivan", "+79123456789") }, "email"),
            (draft("Ivan", "+79123456789"), "city"),
        ];
        for (d, field) in cases {
            let e = validate(&d, &[city(true)], "RU").expect_err("refused");
            assert_eq!(e.key, field, "{d:?}: {e}");
        }
    }

    #[test]
    fn an_unchanged_phone_from_whatsapp_is_kept_unchecked() {
        // Ofcom's drama range: no real number, but a WhatsApp id we were given.
        let mut d = draft("Tom", "+447700900123");
        assert_eq!(validate(&d, &[], "GB").expect_err("not a real number").key, "phone");
        d.stored_phone = Some("+447700900123".into());
        assert_eq!(validate(&d, &[], "GB").expect("kept").phone, "+447700900123");
    }

    #[test]
    fn a_russian_eight_means_plus_seven() {
        let details = validate(&draft("Иван", "8 (912) 345-67-89"), &[], "RU").expect("valid");
        assert_eq!(details.phone, "+79123456789");
    }
}
