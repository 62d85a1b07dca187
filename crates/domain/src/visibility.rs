//! Who sees what (PERM-2, PERM-6) and who may grant what (PERM-3).
//!
//! The rule is one pure function of (viewer's grants, viewer's department, department tree).
//! [`Reach`] is the form the storage layer compiles into SQL conditions, so lists are filtered
//! in the database; [`can_see_staff`] is the same rule as a predicate, used by tests to check
//! the SQL and by code that already holds one object.

use crate::grants::{Grant, GrantSet};
use crate::tree::{DeptId, DeptTree};

pub type StaffId = i64;
pub type CompanyId = i64;

/// The person asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub staff_id: StaffId,
    pub company_id: CompanyId,
    pub department_id: DeptId,
    pub grants: GrantSet,
}

/// Which departments' records a viewer reaches for one kind of data, besides their own records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Records of the viewer's own department.
    pub own_department: bool,
    /// Records of every department strictly below the viewer's.
    pub sub_departments: bool,
}

impl Reach {
    /// Does this reach cover a record kept in `target_dept`?
    pub fn covers(self, viewer_dept: DeptId, target_dept: DeptId, tree: &DeptTree) -> bool {
        (self.own_department && target_dept == viewer_dept)
            || (self.sub_departments && tree.is_strictly_below(target_dept, viewer_dept))
    }
}

impl Viewer {
    /// Reach over staff records (`dept.staff`, `subdept.staff`).
    pub fn staff_reach(&self) -> Reach {
        Reach {
            own_department: self.grants.contains(Grant::DeptStaff),
            sub_departments: self.grants.contains(Grant::SubdeptStaff),
        }
    }

    /// Reach over WhatsApp numbers (`dept.numbers`, `subdept.numbers`).
    pub fn number_reach(&self) -> Reach {
        Reach {
            own_department: self.grants.contains(Grant::DeptNumbers),
            sub_departments: self.grants.contains(Grant::SubdeptNumbers),
        }
    }

    /// Reach over chats (`dept.chats`, `subdept.chats`), by the department of the chat's number.
    pub fn chat_reach(&self) -> Reach {
        Reach {
            own_department: self.grants.contains(Grant::DeptChats),
            sub_departments: self.grants.contains(Grant::SubdeptChats),
        }
    }

    /// Reach over departments: one's own department always (it names where one works), the
    /// departments below it with any sub-department grant.
    pub fn department_reach(&self) -> Reach {
        Reach {
            own_department: true,
            sub_departments: [Grant::SubdeptStaff, Grant::SubdeptNumbers, Grant::SubdeptChats]
                .into_iter()
                .any(|g| self.grants.contains(g)),
        }
    }

    pub fn has(&self, grant: Grant) -> bool {
        self.grants.contains(grant)
    }
}

/// A staff record as far as visibility is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffRef {
    pub id: StaffId,
    pub company_id: CompanyId,
    pub department_id: DeptId,
}

/// May `viewer` see `target`? Always themself, never another company, otherwise by staff reach.
pub fn can_see_staff(viewer: &Viewer, target: &StaffRef, tree: &DeptTree) -> bool {
    target.company_id == viewer.company_id
        && (target.id == viewer.staff_id
            || viewer.staff_reach().covers(viewer.department_id, target.department_id, tree))
}

/// May `viewer` see department `dept` of company `company_id`?
pub fn can_see_department(viewer: &Viewer, company_id: CompanyId, dept: DeptId, tree: &DeptTree) -> bool {
    company_id == viewer.company_id && viewer.department_reach().covers(viewer.department_id, dept, tree)
}

/// Why a change of grants is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantRefusal {
    /// The granter lacks `func.set_authorization`.
    NotAllowed,
    /// Nobody changes their own authorization (it would allow self-promotion and lock-outs).
    OwnAuthorization,
    /// Under `scope.own_grants_only`, these changed grants are not held by the granter.
    NotHeld(GrantSet),
}

/// May `granter` change a grant set from `old` to `new` for staff member `target`?
/// The caller has already established that the target is within the granter's scope.
pub fn check_grant_change(granter: &Viewer, target: StaffId, old: GrantSet, new: GrantSet) -> Result<(), GrantRefusal> {
    if !granter.has(Grant::FuncSetAuthorization) {
        return Err(GrantRefusal::NotAllowed);
    }
    if target == granter.staff_id {
        return Err(GrantRefusal::OwnAuthorization);
    }
    check_grantable(granter, old, new)
}

/// The part of [`check_grant_change`] that also applies to a department's default grants.
pub fn check_grantable(granter: &Viewer, old: GrantSet, new: GrantSet) -> Result<(), GrantRefusal> {
    if !granter.has(Grant::FuncSetAuthorization) {
        return Err(GrantRefusal::NotAllowed);
    }
    if granter.has(Grant::ScopeOwnGrantsOnly) {
        let not_held = old.changed(new).minus(granter.grants);
        if !not_held.is_empty() {
            return Err(GrantRefusal::NotHeld(not_held));
        }
    }
    Ok(())
}

/// May `manager` change another account (edit, reset its password, disable it) or create one
/// holding `target`? Only when every grant it holds is held by the manager too, so nobody can
/// take over or mint an account more powerful than their own.
pub fn check_manageable(manager: &Viewer, target: GrantSet) -> Result<(), GrantSet> {
    let not_held = target.minus(manager.grants);
    if not_held.is_empty() { Ok(()) } else { Err(not_held) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Grant::*;
    use proptest::prelude::*;

    /// A four-level tree:
    /// ```text
    /// 1 Head office
    /// ├─ 2 Sales
    /// │  ├─ 4 Sales East
    /// │  │  └─ 6 East Team A
    /// │  └─ 5 Sales West
    /// └─ 3 Support
    /// ```
    fn tree() -> DeptTree {
        DeptTree::new([(1, None), (2, Some(1)), (3, Some(1)), (4, Some(2)), (5, Some(2)), (6, Some(4))])
    }

    /// One staff member per department: staff id = 10 * department id.
    fn everyone() -> Vec<StaffRef> {
        (1..=6).map(|d| StaffRef { id: d * 10, company_id: 1, department_id: d }).collect()
    }

    fn viewer(dept: DeptId, grants: &[Grant]) -> Viewer {
        Viewer { staff_id: dept * 10, company_id: 1, department_id: dept, grants: grants.iter().copied().collect() }
    }

    fn visible(v: &Viewer) -> Vec<StaffId> {
        everyone().iter().filter(|s| can_see_staff(v, s, &tree())).map(|s| s.id).collect()
    }

    #[test]
    fn staff_visibility_table() {
        let cases: &[(DeptId, &[Grant], &[StaffId])] = &[
            (2, &[], &[20]),
            (2, &[MenuStaff], &[20]),
            (2, &[DeptStaff], &[20]),
            (2, &[SubdeptStaff], &[20, 40, 50, 60]),
            (2, &[DeptStaff, SubdeptStaff], &[20, 40, 50, 60]),
            (4, &[SubdeptStaff], &[40, 60]),
            (6, &[DeptStaff, SubdeptStaff], &[60]),
            (1, &[DeptStaff, SubdeptStaff], &[10, 20, 30, 40, 50, 60]),
            (1, &[SubdeptStaff], &[10, 20, 30, 40, 50, 60]),
            (3, &[DeptStaff, SubdeptStaff], &[30]),
            // Chat and number grants say nothing about staff records.
            (1, &[DeptChats, SubdeptChats, DeptNumbers, SubdeptNumbers], &[10]),
        ];
        for (dept, grants, expected) in cases {
            assert_eq!(&visible(&viewer(*dept, grants)), expected, "viewer in {dept} with {grants:?}");
        }
    }

    #[test]
    fn a_colleague_in_the_same_department_needs_dept_staff() {
        let colleague = StaffRef { id: 21, company_id: 1, department_id: 2 };
        assert!(!can_see_staff(&viewer(2, &[]), &colleague, &tree()));
        assert!(can_see_staff(&viewer(2, &[DeptStaff]), &colleague, &tree()));
        assert!(!can_see_staff(&viewer(2, &[SubdeptStaff]), &colleague, &tree()));
    }

    #[test]
    fn another_company_is_never_visible() {
        let stranger = StaffRef { id: 99, company_id: 2, department_id: 1 };
        assert!(!can_see_staff(&viewer(1, &[DeptStaff, SubdeptStaff]), &stranger, &tree()));
        assert!(!can_see_department(&viewer(1, &[SubdeptStaff]), 2, 1, &tree()));
    }

    #[test]
    fn department_visibility() {
        let t = tree();
        let see = |v: &Viewer| (1..=6).filter(|d| can_see_department(v, 1, *d, &t)).collect::<Vec<_>>();
        assert_eq!(see(&viewer(2, &[])), vec![2]);
        assert_eq!(see(&viewer(2, &[SubdeptChats])), vec![2, 4, 5, 6]);
        assert_eq!(see(&viewer(1, &[SubdeptStaff])), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn who_may_grant_what_table() {
        let admin = viewer(1, &[FuncSetAuthorization, MenuStaff, DeptStaff, SubdeptStaff]);
        let limited = viewer(2, &[FuncSetAuthorization, ScopeOwnGrantsOnly, MenuStaff, MenuChats]);
        let no_authorization = viewer(2, &[MenuStaff]);
        let none = GrantSet::EMPTY;
        let set = |g: &[Grant]| g.iter().copied().collect::<GrantSet>();
        let cases: Vec<(&Viewer, StaffId, GrantSet, GrantSet, Result<(), GrantRefusal>)> = vec![
            // Without the scope limit anything may be granted.
            (&admin, 40, none, set(&[MenuNumbers, MenuReports]), Ok(())),
            // Nobody edits their own authorization.
            (&admin, 10, none, set(&[MenuNumbers]), Err(GrantRefusal::OwnAuthorization)),
            // Held grants may be given and taken away.
            (&limited, 40, none, set(&[MenuChats]), Ok(())),
            (&limited, 40, set(&[MenuChats]), none, Ok(())),
            // A grant not held may not be given ...
            (&limited, 40, none, set(&[MenuChats, MenuReports]), Err(GrantRefusal::NotHeld(set(&[MenuReports])))),
            // ... nor taken away, but it may stay as it is.
            (&limited, 40, set(&[MenuReports]), none, Err(GrantRefusal::NotHeld(set(&[MenuReports])))),
            (&limited, 40, set(&[MenuReports]), set(&[MenuReports, MenuStaff]), Ok(())),
            // Without set authorization nothing may be granted.
            (&no_authorization, 40, none, set(&[MenuStaff]), Err(GrantRefusal::NotAllowed)),
        ];
        for (granter, target, old, new, expected) in cases {
            assert_eq!(check_grant_change(granter, target, old, new), expected, "{granter:?} {old:?} -> {new:?}");
        }
    }

    #[test]
    fn only_accounts_within_ones_own_grants_can_be_managed() {
        let manager = viewer(2, &[MenuStaff, DeptStaff, MenuChats]);
        assert_eq!(check_manageable(&manager, [MenuChats].into_iter().collect()), Ok(()));
        assert_eq!(check_manageable(&manager, GrantSet::EMPTY), Ok(()));
        let admin = GrantSet::all();
        assert_eq!(check_manageable(&manager, admin), Err(admin.minus(manager.grants)));
    }

    /// A random tree of up to 40 departments: department i's parent is one of 0..i.
    fn arb_tree() -> impl Strategy<Value = DeptTree> {
        prop::collection::vec(any::<prop::sample::Index>(), 1..40).prop_map(|parents| {
            let links = std::iter::once((0, None))
                .chain(parents.iter().enumerate().map(|(i, p)| ((i + 1) as DeptId, Some(p.index(i + 1) as DeptId))));
            DeptTree::new(links)
        })
    }

    fn arb_grants() -> impl Strategy<Value = GrantSet> {
        prop::collection::vec(prop::sample::select(Grant::ALL.to_vec()), 0..10).prop_map(|g| g.into_iter().collect())
    }

    fn staff_of(tree: &DeptTree) -> Vec<StaffRef> {
        let mut ids: Vec<_> = tree.ids().collect();
        ids.sort();
        ids.iter()
            .flat_map(|d| {
                [
                    StaffRef { id: d * 100, company_id: 1, department_id: *d },
                    StaffRef { id: d * 100 + 1, company_id: 1, department_id: *d },
                    StaffRef { id: d * 100 + 2, company_id: 2, department_id: *d },
                ]
            })
            .collect()
    }

    proptest! {
        #[test]
        fn adding_a_grant_never_hides_anything(tree in arb_tree(), grants in arb_grants(), extra in prop::sample::select(Grant::ALL.to_vec()), dept in any::<prop::sample::Index>()) {
            let ids: Vec<_> = tree.ids().collect();
            let dept = ids[dept.index(ids.len())];
            let before = Viewer { staff_id: dept * 100, company_id: 1, department_id: dept, grants };
            let after = Viewer { grants: grants.with(extra), ..before.clone() };
            for s in staff_of(&tree) {
                prop_assert!(!can_see_staff(&before, &s, &tree) || can_see_staff(&after, &s, &tree));
            }
            for d in tree.ids() {
                prop_assert!(!can_see_department(&before, 1, d, &tree) || can_see_department(&after, 1, d, &tree));
            }
        }

        #[test]
        fn the_sub_department_grant_adds_exactly_the_strict_subtree(tree in arb_tree(), grants in arb_grants(), dept in any::<prop::sample::Index>()) {
            let ids: Vec<_> = tree.ids().collect();
            let dept = ids[dept.index(ids.len())];
            let without = grants.minus(GrantSet::EMPTY.with(Grant::SubdeptStaff));
            let before = Viewer { staff_id: dept * 100, company_id: 1, department_id: dept, grants: without };
            let after = Viewer { grants: without.with(Grant::SubdeptStaff), ..before.clone() };
            for s in staff_of(&tree) {
                let gained = can_see_staff(&after, &s, &tree) && !can_see_staff(&before, &s, &tree);
                let in_strict_subtree = s.company_id == 1 && tree.is_strictly_below(s.department_id, dept);
                prop_assert_eq!(gained, in_strict_subtree && !can_see_staff(&before, &s, &tree));
                prop_assert!(!in_strict_subtree || can_see_staff(&after, &s, &tree));
            }
        }

        #[test]
        fn a_viewer_sees_themself_and_never_another_company(tree in arb_tree(), grants in arb_grants(), dept in any::<prop::sample::Index>()) {
            let ids: Vec<_> = tree.ids().collect();
            let dept = ids[dept.index(ids.len())];
            let v = Viewer { staff_id: dept * 100, company_id: 1, department_id: dept, grants };
            let me = StaffRef { id: v.staff_id, company_id: 1, department_id: dept };
            prop_assert!(can_see_staff(&v, &me, &tree));
            prop_assert!(can_see_department(&v, 1, dept, &tree));
            for s in staff_of(&tree).into_iter().filter(|s| s.company_id != 1) {
                prop_assert!(!can_see_staff(&v, &s, &tree));
            }
        }

        #[test]
        fn under_own_grants_only_nothing_outside_the_granters_set_changes(held in arb_grants(), old in arb_grants(), new in arb_grants()) {
            let granter = Viewer { staff_id: 1, company_id: 1, department_id: 0, grants: held.with(Grant::FuncSetAuthorization).with(Grant::ScopeOwnGrantsOnly) };
            let allowed = check_grant_change(&granter, 2, old, new).is_ok();
            prop_assert_eq!(allowed, old.changed(new).is_subset_of(granter.grants));
        }
    }
}
