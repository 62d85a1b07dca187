//! Grants (PERM-1..3): the fixed names from the public contract, grouped as the seed's
//! authorization dialog groups them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The dialog group a grant belongs to; each group has its own "check all".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantGroup {
    Menu,
    Department,
    SubDepartment,
    Function,
    Assignment,
}

impl GrantGroup {
    pub const ALL: [GrantGroup; 5] = [
        GrantGroup::Menu,
        GrantGroup::Department,
        GrantGroup::SubDepartment,
        GrantGroup::Function,
        GrantGroup::Assignment,
    ];

    /// Stable key, used by the translation catalogue and the pages.
    pub fn key(self) -> &'static str {
        match self {
            GrantGroup::Menu => "menu",
            GrantGroup::Department => "dept",
            GrantGroup::SubDepartment => "subdept",
            GrantGroup::Function => "func",
            GrantGroup::Assignment => "scope",
        }
    }

    pub fn grants(self) -> impl Iterator<Item = Grant> {
        Grant::ALL.into_iter().filter(move |g| g.group() == self)
    }
}

macro_rules! grants {
    ($($variant:ident = $name:literal,)*) => {
        /// One permission. The string form is the public contract's name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Grant { $($variant,)* }

        impl Grant {
            pub const ALL: [Grant; grants!(@count $($variant)*)] = [$(Grant::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(Grant::$variant => $name,)* }
            }

            pub fn parse(name: &str) -> Option<Grant> {
                match name { $($name => Some(Grant::$variant),)* _ => None }
            }
        }
    };
    (@count $($x:ident)*) => { 0 $(+ { let _ = stringify!($x); 1 })* };
}

grants! {
    MenuNumbers = "menu.numbers",
    MenuChats = "menu.chats",
    MenuChatHistory = "menu.chat_history",
    MenuDepartments = "menu.departments",
    MenuStaff = "menu.staff",
    MenuSettings = "menu.settings",
    MenuAutoReply = "menu.auto_reply",
    MenuFields = "menu.fields",
    MenuContacts = "menu.contacts",
    MenuTexts = "menu.texts",
    MenuReports = "menu.reports",
    MenuIntegrations = "menu.integrations",
    DeptStaff = "dept.staff",
    DeptNumbers = "dept.numbers",
    DeptChats = "dept.chats",
    SubdeptStaff = "subdept.staff",
    SubdeptNumbers = "subdept.numbers",
    SubdeptChats = "subdept.chats",
    FuncWorkspace = "func.workspace",
    FuncSetAuthorization = "func.set_authorization",
    FuncGlobalFields = "func.global_fields",
    FuncChatHistory = "func.chat_history",
    ScopeOwnGrantsOnly = "scope.own_grants_only",
}

impl Grant {
    pub fn group(self) -> GrantGroup {
        let name = self.name();
        match name.split_once('.').map(|(prefix, _)| prefix) {
            Some("menu") => GrantGroup::Menu,
            Some("dept") => GrantGroup::Department,
            Some("subdept") => GrantGroup::SubDepartment,
            Some("func") => GrantGroup::Function,
            _ => GrantGroup::Assignment,
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u8)
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Grant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Grant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Grant::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown grant `{name}`")))
    }
}

/// A set of grants, stored compactly; iterates in the contract's order.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GrantSet(u32);

impl GrantSet {
    pub const EMPTY: GrantSet = GrantSet(0);

    pub fn all() -> GrantSet {
        Grant::ALL.into_iter().collect()
    }

    pub fn contains(self, grant: Grant) -> bool {
        self.0 & grant.bit() != 0
    }

    pub fn insert(&mut self, grant: Grant) {
        self.0 |= grant.bit();
    }

    pub fn with(mut self, grant: Grant) -> GrantSet {
        self.insert(grant);
        self
    }

    pub fn union(self, other: GrantSet) -> GrantSet {
        GrantSet(self.0 | other.0)
    }

    /// Grants in exactly one of the two sets: what a change from `self` to `other` touches.
    pub fn changed(self, other: GrantSet) -> GrantSet {
        GrantSet(self.0 ^ other.0)
    }

    pub fn minus(self, other: GrantSet) -> GrantSet {
        GrantSet(self.0 & !other.0)
    }

    pub fn is_subset_of(self, other: GrantSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Grant> {
        Grant::ALL.into_iter().filter(move |g| self.contains(*g))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Grant::name).collect()
    }

    /// The storage form: names joined by commas (readable in the database, stable across
    /// reordering of the enum).
    pub fn to_storage(self) -> String {
        self.names().join(",")
    }

    /// Reads the storage form; names this version does not know are dropped rather than
    /// failing a login after a downgrade.
    pub fn from_storage(text: &str) -> GrantSet {
        text.split(',').filter_map(|n| Grant::parse(n.trim())).collect()
    }

    /// Parses names from an API request, naming the first unknown one.
    pub fn parse_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<GrantSet, String> {
        names.into_iter().map(|n| Grant::parse(n).ok_or_else(|| n.to_string())).collect()
    }
}

impl FromIterator<Grant> for GrantSet {
    fn from_iter<I: IntoIterator<Item = Grant>>(iter: I) -> Self {
        let mut set = GrantSet::EMPTY;
        for g in iter {
            set.insert(g);
        }
        set
    }
}

impl fmt::Debug for GrantSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_contract() {
        assert_eq!(Grant::ALL.len(), 23);
        for g in Grant::ALL {
            assert_eq!(Grant::parse(g.name()), Some(g));
        }
        assert_eq!(Grant::parse("menu.unknown"), None);
        assert_eq!(Grant::MenuNumbers.name(), "menu.numbers");
        assert_eq!(Grant::ScopeOwnGrantsOnly.name(), "scope.own_grants_only");
    }

    #[test]
    fn groups_follow_the_authorization_dialog() {
        assert_eq!(GrantGroup::Menu.grants().count(), 12);
        assert_eq!(GrantGroup::Department.grants().count(), 3);
        assert_eq!(GrantGroup::SubDepartment.grants().count(), 3);
        assert_eq!(GrantGroup::Function.grants().count(), 4);
        assert_eq!(GrantGroup::Assignment.grants().collect::<Vec<_>>(), vec![Grant::ScopeOwnGrantsOnly]);
    }

    #[test]
    fn storage_form_round_trips_and_ignores_unknown_names() {
        let set = GrantSet::EMPTY.with(Grant::MenuStaff).with(Grant::DeptStaff);
        assert_eq!(set.to_storage(), "menu.staff,dept.staff");
        assert_eq!(GrantSet::from_storage(&set.to_storage()), set);
        assert_eq!(GrantSet::from_storage("menu.staff,future.grant"), GrantSet::EMPTY.with(Grant::MenuStaff));
        assert_eq!(GrantSet::from_storage(""), GrantSet::EMPTY);
    }

    #[test]
    fn parse_names_reports_the_unknown_name() {
        assert_eq!(GrantSet::parse_names(["menu.staff", "nope"]), Err("nope".to_string()));
        assert_eq!(GrantSet::parse_names(["menu.staff"]), Ok(GrantSet::EMPTY.with(Grant::MenuStaff)));
    }

    #[test]
    fn set_algebra() {
        let a = GrantSet::EMPTY.with(Grant::MenuStaff).with(Grant::DeptStaff);
        let b = GrantSet::EMPTY.with(Grant::DeptStaff).with(Grant::MenuChats);
        assert_eq!(a.changed(b), GrantSet::EMPTY.with(Grant::MenuStaff).with(Grant::MenuChats));
        assert!(GrantSet::EMPTY.with(Grant::DeptStaff).is_subset_of(a));
        assert!(!b.is_subset_of(a));
        assert_eq!(a.minus(b), GrantSet::EMPTY.with(Grant::MenuStaff));
        assert_eq!(GrantSet::all().iter().count(), 23);
    }
}
