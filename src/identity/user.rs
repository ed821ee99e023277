//! Principals as Keystone v3 administers them (users): their attributes, what a create or
//! a change carries, and role assignments (a membership and a level).

use super::domain::{Caller, PrincipalName, PrivilegeLevel};
use super::error::Result;
use super::secrets::Secret;
use super::tenant::{bounded_text, TenantId};

const MAX_EMAIL_CHARS: usize = 255;
const MAX_DESCRIPTION_CHARS: usize = 1024;

/// A principal with Keystone's attributes.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub caller: Caller,
    pub default_tenant: Option<TenantId>,
    pub email: Option<String>,
    pub description: Option<String>,
}

/// A user to create: a DU, a member of its default project.
#[derive(Debug)]
pub struct NewUser {
    pub name: PrincipalName,
    pub password: Option<Secret>,
    pub email: Option<String>,
    pub description: Option<String>,
    pub default_tenant: Option<TenantId>,
    pub enabled: bool,
}

/// A PATCH: `None` keeps a field; `Some(None)` clears a nullable one.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub name: Option<PrincipalName>,
    pub password: Option<Secret>,
    pub email: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub default_tenant: Option<Option<TenantId>>,
    pub enabled: Option<bool>,
}

/// `GET /v3/users`' filters.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub name: Option<String>,
    pub enabled: Option<bool>,
}

/// A user holds a level in a project: it is a member of the project and has the level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub user: i64,
    pub tenant: TenantId,
    pub level: PrivilegeLevel,
}

/// An e-mail address as Keystone keeps it: free text, bounded, no control characters.
pub fn parse_email(raw: &str) -> Result<String> {
    bounded_text("email", raw, MAX_EMAIL_CHARS, false)
}

/// A user's description: bounded, line breaks allowed.
pub fn parse_user_description(raw: &str) -> Result<String> {
    bounded_text("description", raw, MAX_DESCRIPTION_CHARS, true)
}
