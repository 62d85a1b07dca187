//! Rapport's business rules, free of I/O so every rule can be tested as a plain function.
//!
//! - [`grants`]: the permission names of the public contract and grant sets.
//! - [`role`]: conversation roles, presets over grants.
//! - [`tree`]: the department tree (ancestry, moves).
//! - [`visibility`]: who may see which staff and departments, and who may grant what.
//! - [`values`]: validated input values (account, names, passwords).
//! - [`fields`]: extended contact fields: types, keys, options and canonical stored values.
//! - [`contact_filter`]: the contacts list filter: parsing, validation and the reference evaluator.

pub mod attachment;
pub mod auto_reply;
pub mod chat_access;
pub mod contact;
pub mod contact_filter;
pub mod distribution;
pub mod fields;
pub mod grants;
pub mod merge_fields;
pub mod message;
pub mod phone;
pub mod refusal;
pub mod retry;
pub mod role;
pub mod snippet;
pub mod status;
pub mod sync;
pub mod template;
pub mod throttle;
pub mod tree;
pub mod values;
pub mod visibility;
pub mod window;
pub mod working_hours;

pub use grants::{Grant, GrantGroup, GrantSet};
pub use refusal::Refusal;
pub use role::Role;
pub use tree::DeptTree;
pub use values::Invalid;
pub use visibility::{Reach, Viewer};
