//! PERM-6: a viewer's reach compiled into SQL conditions, so that scoped lists are filtered
//! by the database and cost the same for everyone.

use crate::schema::Departments;
use rapport_domain::{Reach, Role, Viewer};
use sea_query::{Cond, Expr, ExprTrait, IntoColumnRef, Query, SimpleExpr};

/// The signed-in staff member as the storage layer needs them: the domain's [`Viewer`] plus
/// the materialised path of their department.
#[derive(Clone, Debug)]
pub struct Scope {
    pub viewer: Viewer,
    pub department_path: String,
    /// The viewer's conversation role (PERM-5), which narrows the chats they see.
    pub role: Option<Role>,
}

impl Scope {
    pub fn company_id(&self) -> i64 {
        self.viewer.company_id
    }

    /// The SQL form of [`Reach::covers`]: `dept_col` names a department in the reach.
    pub(crate) fn covers(&self, reach: Reach, dept_col: impl IntoColumnRef + Clone) -> Cond {
        let mut cond = Cond::any();
        if reach.own_department {
            cond = cond.add(Expr::col(dept_col.clone()).eq(self.viewer.department_id));
        }
        if reach.sub_departments {
            cond = cond.add(
                Expr::col(dept_col).in_subquery(
                    Query::select()
                        .column(Departments::Id)
                        .from(Departments::Table)
                        .and_where(Expr::col(Departments::CompanyId).eq(self.company_id()))
                        .and_where(strictly_below(&self.department_path))
                        .to_owned(),
                ),
            );
        }
        // An empty `any` renders as false: no department is covered.
        cond
    }
}

/// Departments strictly below the one whose path is `path` (`/1/4/` covers `/1/4/9/`).
pub(crate) fn strictly_below(path: &str) -> SimpleExpr {
    Expr::col((Departments::Table, Departments::Path))
        .like(format!("{}%", escape_like(path)))
        .and(Expr::col((Departments::Table, Departments::Path)).ne(path))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern (paths never contain them; search text may).
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl Scope {
    /// The whole of a company, as the operator's command-line tools act on it.
    pub fn operator(company_id: i64, root_department_id: i64, root_path: &str) -> Scope {
        Scope {
            viewer: Viewer {
                staff_id: 0,
                company_id,
                department_id: root_department_id,
                grants: rapport_domain::GrantSet::all(),
            },
            department_path: root_path.to_string(),
            role: None,
        }
    }
}
