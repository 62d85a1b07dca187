//! Schema-only types: what the OpenAPI document says about values the handlers parse by hand
//! (so that a bad value gets an error naming its field rather than a generic body error).

use rapport_domain::{Grant, Role};
use rapport_storage::staff::{STATUS_DISABLED, STATUS_ENABLED};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).into()
}

/// A grant name from the public contract.
pub struct GrantName;

impl PartialSchema for GrantName {
    fn schema() -> RefOr<Schema> {
        string_enum(Grant::ALL.iter().map(|g| g.name()))
    }
}

impl ToSchema for GrantName {}

/// A list of distinct grant names.
pub struct GrantNames;

impl PartialSchema for GrantNames {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new().items(GrantName::schema()).unique_items(true).into()
    }
}

impl ToSchema for GrantNames {}

/// A staff account's status: `enabled` or `disabled`.
pub struct StatusName;

impl PartialSchema for StatusName {
    fn schema() -> RefOr<Schema> {
        string_enum([STATUS_ENABLED, STATUS_DISABLED])
    }
}

impl ToSchema for StatusName {}

/// A conversation role (PERM-5).
pub struct RoleName;

impl PartialSchema for RoleName {
    fn schema() -> RefOr<Schema> {
        string_enum(Role::ALL.iter().map(|r| r.name()))
    }
}

impl ToSchema for RoleName {}

/// Raw image bytes.
pub struct ImageBytes;

impl PartialSchema for ImageBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for ImageBytes {}
