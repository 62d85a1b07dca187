//! The business rules that refuse a change, each by name.
//!
//! Storage returns a [`Refusal`] when a rule checked inside its transaction (or a unique index)
//! says no; the API gives every refusal its own status and words in one exhaustive `match`, so a
//! new refusal that no one can explain to a user does not compile.

/// Declares the refusals with their stable codes, and [`Refusal::ALL`] so tests can walk them.
macro_rules! refusals {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// A change refused by a named business rule.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Refusal {
            $($(#[$doc])* $variant,)*
        }

        impl Refusal {
            /// Every refusal, in declaration order.
            pub const ALL: &'static [Refusal] = &[$(Refusal::$variant,)*];

            /// The stable machine-readable name (`department_has_staff`, ...).
            pub fn code(self) -> &'static str {
                match self {
                    $(Refusal::$variant => $code,)*
                }
            }
        }
    };
}

refusals! {
    /// The new parent department does not exist in the company.
    ParentNotFound => "parent_not_found",
    /// The named department does not exist in the company.
    DepartmentNotFound => "department_not_found",
    /// The named owner of a number does not exist in the company.
    OwnerNotFound => "owner_not_found",
    /// A department cannot move under itself or one of its sub-departments.
    MoveIntoOwnSubtree => "move_into_own_subtree",
    /// The top-level department has no parent to move under.
    RootCannotMove => "root_cannot_move",
    /// The top-level department lives as long as its company.
    RootCannotBeDeleted => "root_cannot_be_deleted",
    DepartmentHasSubdepartments => "department_has_subdepartments",
    DepartmentHasStaff => "department_has_staff",
    DepartmentHasNumbers => "department_has_numbers",
    DepartmentHasContacts => "department_has_contacts",
    /// The number to write from is not connected in the company.
    NumberNotFound => "number_not_found",
    /// The caller may not write from that number (or it is disconnected).
    NumberNotUsable => "number_not_usable",
    /// The caller has several numbers and none is set as the one to write first from.
    NumberRequired => "number_required",
    /// Another colleague answered this new customer first (DIST-1).
    ConversationTaken => "conversation_taken",
    /// The responsible staff member does not exist in the company.
    ResponsibleNotFound => "responsible_not_found",
    /// Only a deleted contact can be restored.
    ContactNotDeleted => "contact_not_deleted",
    /// Only its author may change or delete a note.
    NoteNotYours => "note_not_yours",
    /// A contact cannot be merged with itself.
    MergeSameContact => "merge_same_contact",
    /// The import's mapping can no longer change once it runs.
    ImportStarted => "import_started",
    /// Another worker took the import over (its lease ran out).
    ImportTakenOver => "import_taken_over",
    /// A message with the same id is stored already.
    DuplicateMessage => "duplicate_message",
    /// Accounts are unique in the installation.
    AccountTaken => "account_taken",
    /// A phone number id is connected once.
    NumberTaken => "number_taken",
    /// A template's name and language are unique per WhatsApp Business account.
    TemplateExists => "template_exists",
    /// A staff member's saved views have distinct names.
    ViewExists => "view_exists",
    /// An extended field's key is unique in the company.
    FieldExists => "field_exists",
}

impl From<crate::tree::MoveRefusal> for Refusal {
    fn from(refusal: crate::tree::MoveRefusal) -> Self {
        match refusal {
            crate::tree::MoveRefusal::RootCannotMove => Refusal::RootCannotMove,
            crate::tree::MoveRefusal::IntoOwnSubtree => Refusal::MoveIntoOwnSubtree,
            crate::tree::MoveRefusal::UnknownParent => Refusal::ParentNotFound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;
    use std::collections::HashSet;

    #[test]
    fn every_refusal_has_its_own_snake_case_code() {
        let codes: HashSet<&str> = Refusal::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Refusal::ALL.len(), "two refusals share a code");
        for code in codes {
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
        }
    }
}
