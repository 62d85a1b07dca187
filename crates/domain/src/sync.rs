//! Which incoming chats a number keeps (WA-6, seed 003's sync filter): everyone, only customers
//! already in the contacts, or everyone except a list of numbers.

/// A number's sync filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncFilter {
    All,
    ExistingContactsOnly,
    /// Everyone except these numbers (digits only, as WhatsApp ids are written).
    AllExcept(Vec<String>),
}

impl SyncFilter {
    pub const MODES: [&'static str; 3] = ["all", "existing_contacts", "all_except"];

    /// From the stored (or requested) mode and list; `None` for an unknown mode.
    pub fn parse(mode: &str, except: &[String]) -> Option<SyncFilter> {
        match mode {
            "all" => Some(SyncFilter::All),
            "existing_contacts" => Some(SyncFilter::ExistingContactsOnly),
            "all_except" => {
                Some(SyncFilter::AllExcept(except.iter().map(|n| digits(n)).filter(|n| !n.is_empty()).collect()))
            }
            _ => None,
        }
    }

    pub fn mode(&self) -> &'static str {
        match self {
            SyncFilter::All => "all",
            SyncFilter::ExistingContactsOnly => "existing_contacts",
            SyncFilter::AllExcept(_) => "all_except",
        }
    }

    pub fn except(&self) -> &[String] {
        match self {
            SyncFilter::AllExcept(list) => list,
            _ => &[],
        }
    }

    /// Is a message from `sender` (a WhatsApp id) kept? `known` says whether the sender is
    /// already a contact.
    pub fn admits(&self, sender: Option<&str>, known: bool) -> bool {
        match self {
            SyncFilter::All => true,
            SyncFilter::ExistingContactsOnly => known,
            SyncFilter::AllExcept(list) => sender.is_none_or(|s| !list.contains(&digits(s))),
        }
    }
}

/// The digits of a phone number as typed (`+40 722-123 456` → `40722123456`).
fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_admit_as_the_seed_describes() {
        let all = SyncFilter::parse("all", &[]).unwrap();
        assert!(all.admits(Some("40722123456"), false));
        let existing = SyncFilter::parse("existing_contacts", &[]).unwrap();
        assert!(!existing.admits(Some("40722123456"), false));
        assert!(existing.admits(Some("40722123456"), true));
        let except = SyncFilter::parse("all_except", &["+40 722-123 456".into(), "  ".into()]).unwrap();
        assert_eq!(except.except(), ["40722123456"]);
        assert!(!except.admits(Some("40722123456"), true));
        assert!(except.admits(Some("40722123457"), false));
        assert!(except.admits(None, false), "a user known only by user id is not on a phone list");
        assert_eq!(SyncFilter::parse("some", &[]), None);
        for mode in SyncFilter::MODES {
            assert_eq!(SyncFilter::parse(mode, &[]).unwrap().mode(), mode);
        }
    }
}
