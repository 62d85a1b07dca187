//! Schema-only types: what the OpenAPI document says about values the handlers parse by hand
//! (so that a bad value gets an error naming its field rather than a generic body error).

use rapport_domain::status::StaffStatus;
use rapport_domain::{Grant, Role};
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
        string_enum(StaffStatus::ALL.iter().map(|s| s.as_str()))
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

/// A chat with one customer or a group chat.
pub struct ChatKind;

impl PartialSchema for ChatKind {
    fn schema() -> RefOr<Schema> {
        string_enum(["direct", "group"])
    }
}

impl ToSchema for ChatKind {}

/// A conversation's state (INBOX-5).
pub struct ConversationStatusName;

impl PartialSchema for ConversationStatusName {
    fn schema() -> RefOr<Schema> {
        string_enum(rapport_domain::status::ConversationStatus::ALL.iter().map(|s| s.as_str()))
    }
}

impl ToSchema for ConversationStatusName {
    fn name() -> std::borrow::Cow<'static, str> {
        "ConversationStatus".into()
    }
}

/// How a number hands out new customers (DIST-1).
pub struct DistributionMode;

impl PartialSchema for DistributionMode {
    fn schema() -> RefOr<Schema> {
        string_enum(rapport_domain::distribution::Mode::ALL.iter().map(|m| m.name()))
    }
}

impl ToSchema for DistributionMode {}

/// When "remind me" brings a notification back.
pub struct RemindAfter;

impl PartialSchema for RemindAfter {
    fn schema() -> RefOr<Schema> {
        string_enum(["15m", "1h", "tomorrow"])
    }
}

impl ToSchema for RemindAfter {}

/// Whose chats a view shows.
pub struct ViewWho;

impl PartialSchema for ViewWho {
    fn schema() -> RefOr<Schema> {
        string_enum(["mine", "unassigned"])
    }
}

impl ToSchema for ViewWho {}

/// A flag that can only be cleared (`false`).
pub struct OnlyFalse;

impl PartialSchema for OnlyFalse {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::Boolean).enum_values(Some([false])).into()
    }
}

impl ToSchema for OnlyFalse {}

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

/// A string schema: `min`/`max` length in characters and a pattern for what the server accepts.
fn text(min: Option<usize>, max: Option<usize>, pattern: Option<&str>) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).min_length(min).max_length(max).pattern(pattern).into()
}

/// Any character but control characters (the server's single-line rule).
const SINGLE_LINE: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";

/// Declares a schema-only string type.
macro_rules! text_schema {
    ($(#[$doc:meta])* $name:ident = $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {}
    };
}

text_schema!(
    /// A required name: one line, not blank, at most 64 characters.
    NameText = text(None, Some(64), Some("^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"))
);
text_schema!(
    /// An optional single line of at most 64 characters.
    ShortText = text(None, Some(64), Some(SINGLE_LINE))
);
text_schema!(
    /// Multi-line text (notes, memo, introduction) of at most 1,000 characters.
    LongText = text(None, Some(1000), Some("^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"))
);
text_schema!(
    /// A login id: 3 to 100 characters without spaces (case does not matter).
    AccountText = text(None, None, Some("^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f]{3,100}\\s*$"))
);
text_schema!(
    /// A new password: 8 to 128 characters.
    NewPassword = text(Some(8), Some(128), None)
);

/// A number's sync filter mode (WA-6).
pub struct SyncMode;

impl PartialSchema for SyncMode {
    fn schema() -> RefOr<Schema> {
        string_enum(rapport_domain::sync::SyncFilter::MODES)
    }
}

impl ToSchema for SyncMode {}

text_schema!(
    /// An id or token: 1 to 1,024 characters, no spaces or control characters.
    TokenText = text(Some(1), Some(1024), Some("^[^\\s\\x00-\\x1f\\x7f-\\x9f]+$"))
);
text_schema!(
    /// An optional single line of up to 1,024 characters.
    OptionalToken = text(None, Some(1024), Some(SINGLE_LINE))
);
text_schema!(
    /// A message text: not blank, up to 4,096 characters, line breaks and tabs allowed.
    MessageText = text(
        Some(1),
        Some(4096),
        Some("^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$")
    )
);

/// A number's connection status.
pub struct NumberStatusName;

impl PartialSchema for NumberStatusName {
    fn schema() -> RefOr<Schema> {
        string_enum(rapport_domain::status::NumberStatus::ALL.iter().map(|s| s.as_str()))
    }
}

impl ToSchema for NumberStatusName {
    fn name() -> std::borrow::Cow<'static, str> {
        "NumberStatus".into()
    }
}
