//! Conversation roles (PERM-5, seed 001). A role is a preset over grants plus a rule about
//! writing to customers; it is not a second permission system.

use crate::grants::{Grant, GrantSet};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads every conversation in scope, never writes to a customer.
    QualityControl,
    /// Sees and writes only to the customers they are responsible for.
    SalesRep,
    /// Sees and writes to every conversation in scope.
    Manager,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::QualityControl, Role::SalesRep, Role::Manager];

    pub fn name(self) -> &'static str {
        match self {
            Role::QualityControl => "quality_control",
            Role::SalesRep => "sales_rep",
            Role::Manager => "manager",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The grants a staff member receives when given this role (added to what they hold).
    pub fn preset(self) -> GrantSet {
        use Grant::*;
        let base = [MenuChats, MenuContacts, MenuTexts, FuncWorkspace];
        let extra: &[Grant] = match self {
            Role::QualityControl => &[MenuChatHistory, FuncChatHistory, DeptChats, SubdeptChats],
            Role::SalesRep => &[],
            Role::Manager => {
                &[MenuChatHistory, FuncChatHistory, MenuReports, DeptChats, SubdeptChats, DeptStaff, SubdeptStaff]
            }
        };
        base.into_iter().chain(extra.iter().copied()).collect()
    }

    /// Whether this role sees every conversation in the viewer's scope; a sales rep sees only
    /// the customers they are responsible for, plus unclaimed new customers offered to them.
    pub fn sees_whole_scope(self) -> bool {
        self != Role::SalesRep
    }

    /// Whether this role may hand conversations to others (assign, reassign, hand over).
    pub fn may_assign(self) -> bool {
        self == Role::Manager
    }

    /// Whether this role may send messages to customers at all.
    pub fn may_write(self) -> bool {
        self != Role::QualityControl
    }
}

/// Whether a staff member with `role` (or none) may write to customers and change their chats:
/// everyone but quality control. Every entry point asks this one function.
pub fn may_write(role: Option<Role>) -> bool {
    role.is_none_or(Role::may_write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_managers_assign_and_only_sales_reps_see_a_narrower_scope() {
        assert_eq!(Role::ALL.map(Role::may_assign), [false, false, true]);
        assert_eq!(Role::ALL.map(Role::sees_whole_scope), [true, false, true]);
    }

    #[test]
    fn everyone_but_quality_control_writes_to_customers() {
        assert_eq!(Role::ALL.map(|r| may_write(Some(r))), [false, true, true]);
        assert!(may_write(None), "staff without a role are bounded by their grants only");
    }

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.name()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn quality_control_reads_everything_in_scope_but_never_writes() {
        let qc = Role::QualityControl;
        assert!(!qc.may_write());
        assert!(qc.preset().contains(Grant::DeptChats));
        assert!(qc.preset().contains(Grant::SubdeptChats));
    }

    #[test]
    fn sales_rep_gets_no_department_wide_chat_grant() {
        let rep = Role::SalesRep.preset();
        assert!(Role::SalesRep.may_write());
        assert!(!rep.contains(Grant::DeptChats));
        assert!(!rep.contains(Grant::SubdeptChats));
        assert!(rep.contains(Grant::FuncWorkspace));
    }

    #[test]
    fn manager_preset_includes_what_a_sales_rep_has() {
        assert!(Role::SalesRep.preset().is_subset_of(Role::Manager.preset()));
        assert!(Role::Manager.may_write());
    }
}
