//! The states things are in, each a closed set: compared as enums, stored and shown by their
//! stable names (`enabled`, `connected`, ...).

use serde::{Serialize, Serializer};

/// A stored state name that is not one of its set's (a row changed by hand).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a known state")]
pub struct UnknownStatus(pub String);

/// Declares a status enum with its stored names, parsing, `Display`, `Serialize` and
/// `TryFrom<String>` (how storage reads it from a text column).
macro_rules! status {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stored and shown name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownStatus;

            fn try_from(text: String) -> Result<Self, UnknownStatus> {
                $name::parse(&text).ok_or(UnknownStatus(text))
            }
        }
    };
}

status! {
    /// A staff account (ORG-2): a disabled account cannot log in and its sessions end.
    StaffStatus {
        Enabled => "enabled",
        Disabled => "disabled",
    }
}

status! {
    /// A WhatsApp number (WA-1): a disconnected one sends nothing.
    NumberStatus {
        Connected => "connected",
        Disconnected => "disconnected",
    }
}

status! {
    /// A conversation (INBOX-5).
    ConversationStatus {
        Open => "open",
        Snoozed => "snoozed",
        Resolved => "resolved",
    }
}

impl ConversationStatus {
    /// The status a person sees: a snooze whose time has passed is open again.
    pub fn shown(self, snoozed_until: Option<i64>, now: i64) -> ConversationStatus {
        match (self, snoozed_until) {
            (ConversationStatus::Snoozed, Some(until)) if until <= now => ConversationStatus::Open,
            (status, _) => status,
        }
    }
}

status! {
    /// A contact import (CONT-3): waiting for its column mapping, queued, running, then done or
    /// failed.
    ImportStatus {
        Mapping => "mapping",
        Queued => "queued",
        Running => "running",
        Done => "done",
        Failed => "failed",
    }
}

status! {
    /// A background job of the database queue (sends, media downloads).
    JobState {
        /// Waiting until its next attempt is due.
        Queued => "queued",
        /// Claimed by a worker, whose lease runs until `locked_until`.
        Sending => "sending",
        /// A send Meta accepted.
        Sent => "sent",
        /// Another job done.
        Done => "done",
        /// Gave up for good (the dead letters).
        Dead => "dead",
    }
}

status! {
    /// Which way a message of a chat went.
    Direction {
        /// From the customer.
        In => "in",
        /// To the customer.
        Out => "out",
        /// An internal note, kept in the chat for colleagues and never sent.
        Note => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for s in StaffStatus::ALL {
            assert_eq!(StaffStatus::try_from(s.to_string()), Ok(*s));
        }
        for s in ImportStatus::ALL {
            assert_eq!(ImportStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(NumberStatus::try_from("Connected".to_string()), Err(UnknownStatus("Connected".into())));
        assert_eq!(serde_json::to_value(ConversationStatus::Snoozed).ok(), Some(serde_json::json!("snoozed")));
    }

    #[test]
    fn a_snooze_that_ran_out_shows_as_open() {
        use ConversationStatus::*;
        assert_eq!(Snoozed.shown(Some(2_000), 1_000), Snoozed);
        assert_eq!(Snoozed.shown(Some(1_000), 1_000), Open);
        assert_eq!(Resolved.shown(Some(1_000), 5_000), Resolved);
        assert_eq!(Open.shown(None, 5_000), Open);
    }
}
