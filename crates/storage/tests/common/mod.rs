//! What the storage tests share: a company with its admin's scope, and staff members in it.

#![allow(dead_code)]

use rapport_domain::{Grant, Viewer};
use rapport_storage::audit::Actor;
use rapport_storage::staff::{self, NewStaff, StaffChanges};
use rapport_storage::{Db, Scope, companies, departments};

pub struct Company {
    pub scope: Scope,
    pub actor: Actor,
    pub root: i64,
}

/// A new company; its admin's scope and actor, and the root department.
pub async fn company(db: &Db, name: &str, account: &str) -> Company {
    let created =
        companies::create(db, name, companies::NewAdmin { account, name: "Admin", password_hash: "x" }).await.unwrap();
    let scope = scope_of(db, created.company_id, created.admin_id).await;
    let actor = Actor { company_id: created.company_id, staff_id: Some(created.admin_id), source: "test".into() };
    Company { scope, actor, root: created.root_department_id }
}

/// What a staff member sees, as a request of theirs would.
pub async fn scope_of(db: &Db, company_id: i64, staff_id: i64) -> Scope {
    let me = staff::get_unscoped(db, company_id, staff_id).await.unwrap();
    let dept = departments::get_unscoped(db, company_id, me.department_id).await.unwrap();
    Scope {
        viewer: Viewer { staff_id, company_id, department_id: me.department_id, grants: me.grants() },
        department_path: dept.path,
        role: None,
    }
}

/// A staff member of `department_id` holding `grants`; answers their id.
pub async fn member(db: &Db, c: &Company, department_id: i64, account: &str, grants: &[Grant]) -> i64 {
    let s = staff::create(
        db,
        &c.scope,
        &c.actor,
        NewStaff { department_id, account, name: account, nickname: "", notes: "", password_hash: "x" },
    )
    .await
    .unwrap();
    let changes = StaffChanges { grants: Some(grants.iter().copied().collect()), ..Default::default() };
    staff::update(db, &c.scope, &c.actor, s.id, changes, None).await.unwrap();
    s.id
}
