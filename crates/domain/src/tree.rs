//! The department tree (ORG-1). Each company has one root; every other department has a
//! parent. Storage keeps a materialised path (`/1/4/9/`) per department so that "this
//! department and everything below it" is one indexed prefix condition in SQL.

use std::collections::HashMap;

pub type DeptId = i64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoveRefusal {
    /// The root stays the root.
    RootCannotMove,
    /// The new parent is the department itself or one of its descendants.
    IntoOwnSubtree,
    UnknownParent,
}

/// A company's departments as child -> parent links.
#[derive(Clone, Debug, Default)]
pub struct DeptTree {
    parent: HashMap<DeptId, Option<DeptId>>,
}

impl DeptTree {
    pub fn new(links: impl IntoIterator<Item = (DeptId, Option<DeptId>)>) -> Self {
        DeptTree { parent: links.into_iter().collect() }
    }

    pub fn contains(&self, dept: DeptId) -> bool {
        self.parent.contains_key(&dept)
    }

    pub fn parent(&self, dept: DeptId) -> Option<DeptId> {
        self.parent.get(&dept).copied().flatten()
    }

    pub fn ids(&self) -> impl Iterator<Item = DeptId> + '_ {
        self.parent.keys().copied()
    }

    /// `dept`, its parent, grandparent ... up to the root. Stops on a cycle, which a
    /// well-formed tree never has.
    pub fn ancestors_or_self(&self, dept: DeptId) -> Vec<DeptId> {
        let mut chain = Vec::new();
        let mut current = Some(dept);
        while let Some(d) = current {
            if chain.contains(&d) || !self.contains(d) {
                break;
            }
            chain.push(d);
            current = self.parent(d);
        }
        chain
    }

    /// True when `dept` is `ancestor` or lies below it.
    pub fn is_within(&self, dept: DeptId, ancestor: DeptId) -> bool {
        self.ancestors_or_self(dept).contains(&ancestor)
    }

    /// True when `dept` lies strictly below `ancestor`.
    pub fn is_strictly_below(&self, dept: DeptId, ancestor: DeptId) -> bool {
        dept != ancestor && self.is_within(dept, ancestor)
    }

    /// Depth of a department: the root is 0.
    pub fn depth(&self, dept: DeptId) -> usize {
        self.ancestors_or_self(dept).len().saturating_sub(1)
    }

    /// The materialised path of a department, e.g. `/1/4/9/`.
    pub fn path(&self, dept: DeptId) -> String {
        let mut chain = self.ancestors_or_self(dept);
        chain.reverse();
        chain.iter().fold(String::from("/"), |mut p, d| {
            p.push_str(&d.to_string());
            p.push('/');
            p
        })
    }

    /// May `dept` be moved under `new_parent`? Never under itself or its own subtree.
    pub fn check_move(&self, dept: DeptId, new_parent: DeptId) -> Result<(), MoveRefusal> {
        let parent_path = self.contains(new_parent).then(|| self.path(new_parent));
        check_move(&self.path(dept), parent_path.as_deref())
    }
}

/// The one rule for moving a department, on materialised paths (storage checks a move with
/// the paths it holds): `dept_path` is the department's, `new_parent_path` the new parent's
/// (`None`: there is no such parent).
pub fn check_move(dept_path: &str, new_parent_path: Option<&str>) -> Result<(), MoveRefusal> {
    let Some(parent_path) = new_parent_path else { return Err(MoveRefusal::UnknownParent) };
    if dept_path.matches('/').count() <= 2 {
        return Err(MoveRefusal::RootCannotMove);
    }
    if parent_path.starts_with(dept_path) {
        return Err(MoveRefusal::IntoOwnSubtree);
    }
    Ok(())
}

/// The path of a new child of a department whose path is `parent_path`.
pub fn child_path(parent_path: &str, child: DeptId) -> String {
    format!("{parent_path}{child}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 ─ 2 ─ 4 ─ 6
    ///   │   └ 5
    ///   └ 3
    fn tree() -> DeptTree {
        DeptTree::new([(1, None), (2, Some(1)), (3, Some(1)), (4, Some(2)), (5, Some(2)), (6, Some(4))])
    }

    #[test]
    fn ancestry() {
        let t = tree();
        assert_eq!(t.ancestors_or_self(6), vec![6, 4, 2, 1]);
        assert!(t.is_within(6, 2));
        assert!(t.is_within(2, 2));
        assert!(!t.is_strictly_below(2, 2));
        assert!(t.is_strictly_below(5, 1));
        assert!(!t.is_within(3, 2));
        assert_eq!(t.depth(1), 0);
        assert_eq!(t.depth(6), 3);
    }

    #[test]
    fn paths_are_prefixes_of_their_descendants() {
        let t = tree();
        assert_eq!(t.path(1), "/1/");
        assert_eq!(t.path(6), "/1/2/4/6/");
        assert_eq!(child_path(&t.path(4), 6), t.path(6));
        assert!(t.path(6).starts_with(&t.path(2)));
        assert!(!t.path(3).starts_with(&t.path(2)));
    }

    #[test]
    fn moves() {
        let t = tree();
        assert_eq!(t.check_move(2, 3), Ok(()));
        assert_eq!(t.check_move(4, 1), Ok(()));
        assert_eq!(t.check_move(2, 2), Err(MoveRefusal::IntoOwnSubtree));
        assert_eq!(t.check_move(2, 6), Err(MoveRefusal::IntoOwnSubtree));
        assert_eq!(t.check_move(1, 3), Err(MoveRefusal::RootCannotMove));
        assert_eq!(t.check_move(3, 99), Err(MoveRefusal::UnknownParent));
        // On paths, as storage checks it: a sibling whose id starts with the same digits is no descendant.
        assert_eq!(check_move("/1/2/", Some("/1/23/")), Ok(()));
        assert_eq!(check_move("/1/2/", Some("/1/2/5/")), Err(MoveRefusal::IntoOwnSubtree));
    }

    #[test]
    fn a_cycle_does_not_hang() {
        let t = DeptTree::new([(1, Some(2)), (2, Some(1))]);
        assert_eq!(t.ancestors_or_self(1), vec![1, 2]);
    }
}
