//! Validated input values: parsed once at the edge so an invalid value cannot reach storage.

use thiserror::Error;

/// A rejected value: which field and why, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Invalid { field, message: message.into() }
    }
}

pub const NAME_MAX: usize = 64;
pub const ACCOUNT_MAX: usize = 100;
pub const NOTE_MAX: usize = 1000;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// A required single-line text: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    single_line(field, value, max)
}

/// An optional single-line text: trimmed, possibly empty, at most `max` characters.
pub fn optional_text(field: &'static str, value: &str, max: usize) -> Result<String, Invalid> {
    single_line(field, value.trim(), max)
}

/// An optional multi-line text (notes, memo, introduction).
pub fn multiline_text(field: &'static str, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    check_length(field, value, max)?;
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(value.to_string())
}

fn single_line(field: &'static str, value: &str, max: usize) -> Result<String, Invalid> {
    check_length(field, value, max)?;
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must be a single line without control characters"));
    }
    Ok(value.to_string())
}

fn check_length(field: &'static str, value: &str, max: usize) -> Result<(), Invalid> {
    let len = value.chars().count();
    if len > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters (got {len})")));
    }
    Ok(())
}

/// A login id (ORG-2): unique per installation regardless of case, never changed after creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account(String);

impl Account {
    pub fn parse(value: &str) -> Result<Account, Invalid> {
        let value = required_text("account", value, ACCOUNT_MAX)?;
        if value.chars().count() < 3 {
            return Err(Invalid::new("account", "must be at least 3 characters"));
        }
        if value.chars().any(char::is_whitespace) {
            return Err(Invalid::new("account", "must not contain spaces"));
        }
        Ok(Account(value.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, before hashing.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(field: &'static str, value: &str) -> Result<Password, Invalid> {
        let len = value.chars().count();
        if len < PASSWORD_MIN {
            return Err(Invalid::new(field, format!("must be at least {PASSWORD_MIN} characters")));
        }
        if len > PASSWORD_MAX {
            return Err(Invalid::new(field, format!("must be at most {PASSWORD_MAX} characters")));
        }
        Ok(Password(value.to_string()))
    }

    /// A new password typed twice must match.
    pub fn parse_confirmed(value: &str, confirmation: &str) -> Result<Password, Invalid> {
        let password = Password::parse("password", value)?;
        if value != confirmation {
            return Err(Invalid::new("confirm_password", "does not match the new password"));
        }
        Ok(password)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_refuses_empty_long_and_control() {
        assert_eq!(required_text("name", "  Sales ", 64), Ok("Sales".into()));
        assert_eq!(required_text("name", "   ", 64), Err(Invalid::new("name", "is required")));
        assert!(required_text("name", &"x".repeat(65), 64).unwrap_err().message.contains("at most 64"));
        assert!(required_text("name", "a\u{0}b", 64).is_err());
        assert!(required_text("name", "a\nb", 64).is_err());
        // Length counts characters, not bytes.
        assert!(required_text("name", &"销".repeat(64), 64).is_ok());
    }

    #[test]
    fn multiline_allows_newlines() {
        assert_eq!(multiline_text("notes", " a\nb ", 10), Ok("a\nb".into()));
        assert!(multiline_text("notes", "a\u{7}", 10).is_err());
    }

    #[test]
    fn accounts() {
        assert_eq!(Account::parse(" Ann@Example.com ").unwrap().as_str(), "ann@example.com");
        assert!(Account::parse("ab").is_err());
        assert!(Account::parse("ann smith").is_err());
        assert!(Account::parse("").is_err());
        assert!(Account::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("password", "short").is_err());
        assert!(Password::parse("password", "long enough").is_ok());
        assert!(Password::parse("password", &"x".repeat(129)).is_err());
        assert_eq!(Password::parse_confirmed("long enough", "long enougH").unwrap_err().field, "confirm_password");
        assert_eq!(format!("{:?}", Password::parse("p", "secret-123").unwrap()), "Password(***)");
    }
}
