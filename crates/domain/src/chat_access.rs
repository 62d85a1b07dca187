//! Who sees a conversation (PERM-5 over PERM-2/PERM-6), as one pure predicate. The storage
//! layer compiles the same rule into SQL for lists; live events, which must be routed to open
//! browser tabs without a query per event and tab, carry the facts this predicate needs.

use crate::role::Role;
use crate::tree::DeptId;
use crate::visibility::{CompanyId, StaffId, Viewer};
use serde::{Deserialize, Serialize};

/// What decides who sees a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatFacts {
    pub company_id: CompanyId,
    pub number_owner: Option<StaffId>,
    pub responsible: Option<StaffId>,
    /// The number's department and its materialised path (`/1/4/9/`).
    pub department_id: DeptId,
    pub department_path: String,
    /// Staff the number offers new customers to (distribution list).
    pub offered_to: Vec<StaffId>,
    /// Not about who may see: whether managers who see the chat are told of every customer
    /// message (DIST-3), carried here for routing notifications.
    pub notify_managers: bool,
}

/// The viewer as the rule needs them: grants and department (with its path) and role.
#[derive(Clone, Debug)]
pub struct ChatViewer<'a> {
    pub viewer: &'a Viewer,
    pub department_path: &'a str,
    pub role: Option<Role>,
}

/// A sales rep sees the customers they are responsible for and unclaimed chats offered to them;
/// everyone else sees chats of numbers they own, chats they are responsible for, and chats of
/// numbers in their chat reach (`dept.chats`: own department, `subdept.chats`: below it).
pub fn can_see_chat(who: &ChatViewer<'_>, chat: &ChatFacts) -> bool {
    let me = who.viewer.staff_id;
    if chat.company_id != who.viewer.company_id {
        return false;
    }
    if who.role.is_some_and(|r| !r.sees_whole_scope()) {
        return chat.responsible == Some(me) || (chat.responsible.is_none() && chat.offered_to.contains(&me));
    }
    let reach = who.viewer.chat_reach();
    let own = reach.own_department && chat.department_id == who.viewer.department_id;
    let below = reach.sub_departments
        && chat.department_path.starts_with(who.department_path)
        && chat.department_path != who.department_path;
    chat.number_owner == Some(me) || chat.responsible == Some(me) || own || below
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grants::{Grant, GrantSet};

    fn viewer(staff_id: StaffId, department_id: DeptId, grants: &[Grant]) -> Viewer {
        Viewer { staff_id, company_id: 1, department_id, grants: grants.iter().copied().collect::<GrantSet>() }
    }

    /// Departments 1 ─ 2 ─ 4; chats on a number of department 4 (path /1/2/4/).
    fn chat(owner: Option<StaffId>, responsible: Option<StaffId>, offered_to: &[StaffId]) -> ChatFacts {
        ChatFacts {
            company_id: 1,
            number_owner: owner,
            responsible,
            department_id: 4,
            department_path: "/1/2/4/".into(),
            offered_to: offered_to.to_vec(),
            notify_managers: false,
        }
    }

    #[test]
    fn who_sees_a_chat() {
        use Grant::*;
        let head_of_2 = viewer(10, 2, &[MenuChats, DeptChats, SubdeptChats]);
        let same_dept_only = viewer(11, 2, &[MenuChats, DeptChats]);
        let in_4 = viewer(12, 4, &[MenuChats, DeptChats]);
        let nobody = viewer(13, 4, &[MenuChats]);
        let rep = viewer(14, 4, &[MenuChats, DeptChats, SubdeptChats]);
        let cases: &[(&str, ChatViewer<'_>, ChatFacts, bool)] = &[
            (
                "sub-department reach covers a lower department",
                at(&head_of_2, "/1/2/", None),
                chat(None, None, &[]),
                true,
            ),
            (
                "own-department reach does not reach below",
                at(&same_dept_only, "/1/2/", None),
                chat(None, None, &[]),
                false,
            ),
            ("own-department reach covers its own department", at(&in_4, "/1/2/4/", None), chat(None, None, &[]), true),
            ("no reach: only own numbers", at(&nobody, "/1/2/4/", None), chat(None, None, &[]), false),
            ("no reach, but the number's owner", at(&nobody, "/1/2/4/", None), chat(Some(13), None, &[]), true),
            ("no reach, but responsible", at(&nobody, "/1/2/4/", None), chat(None, Some(13), &[]), true),
            ("a sales rep ignores reach", at(&rep, "/1/2/4/", Some(Role::SalesRep)), chat(None, None, &[]), false),
            (
                "a sales rep sees their own customer",
                at(&rep, "/1/2/4/", Some(Role::SalesRep)),
                chat(None, Some(14), &[]),
                true,
            ),
            (
                "a sales rep sees an unclaimed chat offered to them",
                at(&rep, "/1/2/4/", Some(Role::SalesRep)),
                chat(None, None, &[14]),
                true,
            ),
            (
                "a claimed chat disappears for the others offered it",
                at(&rep, "/1/2/4/", Some(Role::SalesRep)),
                chat(None, Some(99), &[14]),
                false,
            ),
            (
                "a manager sees everything in reach",
                at(&rep, "/1/2/4/", Some(Role::Manager)),
                chat(None, Some(99), &[]),
                true,
            ),
            (
                "never another company",
                at(&head_of_2, "/1/2/", None),
                ChatFacts { company_id: 2, ..chat(Some(10), Some(10), &[]) },
                false,
            ),
        ];
        for (what, who, facts, expected) in cases {
            assert_eq!(can_see_chat(who, facts), *expected, "{what}");
        }
    }

    fn at<'a>(viewer: &'a Viewer, department_path: &'a str, role: Option<Role>) -> ChatViewer<'a> {
        ChatViewer { viewer, department_path, role }
    }
}
