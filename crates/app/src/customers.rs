//! What the customer pages, the API, imports and exports share: the viewer's field catalogue with
//! the company's country, a contact checked the same way on every write path, and a contact's
//! columns as text (list cells, export cells).

use crate::Error;
use rapport_domain::contact::{self, Details, Draft};
use rapport_domain::contact_filter::{self, Builtin, Filter, RawCondition};
use rapport_domain::fields::FieldDef;
use rapport_storage::contact_fields::{self, Field};
use rapport_storage::contacts::{Contact, ContactInput};
use rapport_storage::{Db, Scope, StorageError, companies};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Shown until a staff member chooses their own.
pub const DEFAULT_COLUMNS: [&str; 5] = ["name", "phone", "responsible_staff_id", "source", "created_at"];

/// The fields a viewer sees (disabled ones too, whose values are kept) and the company's
/// country for reading local phone numbers.
pub struct Catalogue {
    pub country: String,
    pub fields: Vec<Field>,
}

impl Catalogue {
    pub async fn load(db: &Db, scope: &Scope) -> Result<Catalogue, StorageError> {
        let country = companies::settings(db, scope.company_id()).await?.default_country;
        let fields = contact_fields::catalogue(db, scope, true).await?;
        Ok(Catalogue { country, fields })
    }

    /// The fields that take values now (enabled ones).
    pub fn usable(&self) -> Vec<FieldDef> {
        self.fields.iter().filter(|f| f.enabled).map(Field::def).collect()
    }

    /// Only the values of fields the viewer sees.
    pub fn visible_values(&self, values: &Map<String, Value>) -> Map<String, Value> {
        values
            .iter()
            .filter(|(k, _)| self.fields.iter().any(|f| &f.key == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// A write's values plus the stored ones it could not touch (disabled or invisible fields).
    fn keep_untouchable(&self, mut written: Map<String, Value>, stored: &Map<String, Value>) -> Map<String, Value> {
        for (key, value) in stored {
            if !self.fields.iter().any(|f| f.enabled && &f.key == key) {
                written.insert(key.clone(), value.clone());
            }
        }
        written
    }

    /// A filter from its JSON text (an array of `{field, op, value}`), checked against the fields.
    pub fn filter(&self, json: Option<&str>) -> Result<Filter, Error> {
        let Some(text) = json.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(Filter::default()) };
        let raw: Vec<RawCondition> = serde_json::from_str(text).map_err(|e| {
            Error::Invalid(rapport_domain::Invalid::new(
                "filter",
                format!("must be a JSON array of {{\"field\",\"op\",\"value\"}}: {e}"),
            ))
        })?;
        Ok(contact_filter::parse(&raw, &self.usable(), &self.country)?)
    }

    /// The column (built-in or field key) by name, for sorting.
    pub fn sort_column(&self, name: &str) -> Result<contact_filter::Column, Error> {
        contact_filter::parse_sort(name, &self.usable())
            .map_err(|e| Error::InvalidField { field: "sort".into(), message: e.to_string() })
    }

    /// The label of a column: a built-in's translation key or the field's name.
    pub fn column_label<'a>(&'a self, column: &'a str, catalog: &'a crate::i18n::Catalog) -> String {
        match Builtin::parse(column) {
            Some(b) => catalog.get(builtin_label_key(b)).to_string(),
            None => self.fields.iter().find(|f| f.key == column).map_or(column.to_string(), |f| f.name.clone()),
        }
    }

    /// Checks a chosen list of columns: each a built-in or a visible field, once.
    pub fn check_columns(&self, columns: &[String]) -> Result<Vec<String>, Error> {
        let mut kept: Vec<String> = Vec::new();
        for c in columns {
            let known = Builtin::parse(c).is_some() || self.fields.iter().any(|f| &f.key == c);
            if !known {
                return Err(Error::InvalidField { field: "columns".into(), message: format!("`{c}` is not a column") });
            }
            if !kept.contains(c) {
                kept.push(c.clone());
            }
        }
        if kept.is_empty() {
            return Err(Error::Invalid(rapport_domain::Invalid::new("columns", "choose at least one column")));
        }
        Ok(kept)
    }
}

pub fn builtin_label_key(b: Builtin) -> &'static str {
    match b {
        Builtin::Name => "contacts.name",
        Builtin::Phone => "contacts.phone",
        Builtin::Email => "contacts.email",
        Builtin::Address => "contacts.address",
        Builtin::Source => "contacts.source",
        Builtin::ResponsibleStaffId => "contacts.responsible",
        Builtin::DepartmentId => "contacts.department",
        Builtin::CreatedAt => "contacts.created_at",
    }
}

/// Where a contact goes and who answers for it.
pub struct Placement {
    pub department_id: i64,
    pub responsible_staff_id: Option<i64>,
}

/// A checked contact ready to store. `stored` is the contact being edited, if any: its phone
/// is kept unchecked when unchanged, and the values of fields the caller cannot touch stay.
pub fn checked(
    catalogue: &Catalogue,
    draft: Draft,
    placement: Placement,
    stored: Option<&Contact>,
) -> Result<ContactInput, Error> {
    let details: Details = contact::validate(&draft, &catalogue.usable(), &catalogue.country)?;
    let fields = match stored {
        Some(c) => catalogue.keep_untouchable(details.fields, &c.fields),
        None => details.fields,
    };
    // An edit that leaves the phone as it is keeps the phone as it was typed.
    let phone_typed = match stored {
        Some(c) if draft.phone.trim() == c.phone && !c.phone_typed.is_empty() => c.phone_typed.clone(),
        _ => details.phone_typed,
    };
    Ok(ContactInput {
        name: details.name,
        phone: details.phone,
        phone_typed,
        department_id: placement.department_id,
        responsible_staff_id: placement.responsible_staff_id,
        email: details.email,
        address: details.address,
        source: details.source,
        fields,
    })
}

/// A stored extended value as one line of text: numbers as written, yes/no, choices joined by `|`.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join("|"),
        Value::Object(_) => String::new(),
    }
}

/// A contact's cell in `column`, as text (departments by id → name).
pub fn cell(contact: &Contact, column: &str, departments: &HashMap<i64, String>) -> String {
    match Builtin::parse(column) {
        Some(Builtin::Name) => contact.name.clone(),
        Some(Builtin::Phone) => contact.phone.clone(),
        Some(Builtin::Email) => contact.email.clone(),
        Some(Builtin::Address) => contact.address.clone(),
        Some(Builtin::Source) => contact.source.clone(),
        Some(Builtin::ResponsibleStaffId) => contact.responsible_name.clone().unwrap_or_default(),
        Some(Builtin::DepartmentId) => departments.get(&contact.department_id).cloned().unwrap_or_default(),
        Some(Builtin::CreatedAt) => crate::rfc3339(contact.created_at),
        None => contact.fields.get(column).map(value_text).unwrap_or_default(),
    }
}
