//! v3's identity views: projects (identity's tenants), the one domain, users, roles (the
//! privilege levels, and Keystone's default names for them) and role assignments; and
//! the list envelope with its links.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::{DomainRef, SelfLink, THE_DOMAIN};
use crate::identity::{Assignment, PrincipalStatus, PrivilegeLevel, Tenant, UserRecord};
use crate::keystone::requests::{DOMAIN_ID, DOMAIN_NAME};
use crate::keystone::roles::Role;

/// `{"<key>": [...], "links": {"self", "previous": null, "next": null}}`: Keystone's
/// lists are whole (no pages), so the links only name the list itself.
pub struct Listed<T> {
    pub key: &'static str,
    pub items: Vec<T>,
    pub href: String,
}

impl<T: Serialize> Serialize for Listed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Links<'a> {
            #[serde(rename = "self")]
            href: &'a str,
            previous: Option<()>,
            next: Option<()>,
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry(
            "links",
            &Links {
                href: &self.href,
                previous: None,
                next: None,
            },
        )?;
        map.end()
    }
}

#[derive(Serialize)]
pub struct ProjectJson {
    id: String,
    name: String,
    description: String,
    domain_id: &'static str,
    parent_id: &'static str,
    enabled: bool,
    is_domain: bool,
    tags: [(); 0],
    options: Empty,
    links: SelfLink,
}

/// `{}`.
#[derive(Serialize)]
pub struct Empty {}

/// `base` is the server's URL (`scheme://host`), which every self link starts with.
pub fn project(tenant: &Tenant, base: &str) -> ProjectJson {
    ProjectJson {
        id: tenant.id.to_string(),
        name: tenant.name.to_string(),
        description: tenant.description.clone().unwrap_or_default(),
        domain_id: DOMAIN_ID,
        parent_id: DOMAIN_ID,
        enabled: tenant.enabled,
        is_domain: false,
        tags: [],
        options: Empty {},
        links: SelfLink {
            href: format!("{base}/v3/projects/{}", tenant.id),
        },
    }
}

#[derive(Serialize)]
pub struct DomainJson {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    enabled: bool,
    tags: [(); 0],
    options: Empty,
    links: SelfLink,
}

pub fn domain(base: &str) -> DomainJson {
    DomainJson {
        id: DOMAIN_ID,
        name: DOMAIN_NAME,
        description: "The registry's one domain: every principal and project is in it",
        enabled: true,
        tags: [],
        options: Empty {},
        links: SelfLink {
            href: format!("{base}/v3/domains/{DOMAIN_ID}"),
        },
    }
}

#[derive(Serialize)]
pub struct UserJson {
    id: String,
    name: String,
    domain_id: &'static str,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_project_id: Option<String>,
    /// Keystone's older name for it, which clients that set it read back.
    #[serde(skip_serializing_if = "Option::is_none")]
    project_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    password_expires_at: Option<()>,
    options: Empty,
    links: SelfLink,
}

pub fn user(record: &UserRecord, base: &str) -> UserJson {
    let principal = &record.caller;
    UserJson {
        id: principal.id.to_string(),
        name: principal.name.to_string(),
        domain_id: DOMAIN_ID,
        enabled: principal.status == PrincipalStatus::Enabled,
        default_project_id: record.default_tenant.map(|tenant| tenant.to_string()),
        project_id: record.default_tenant.map(|tenant| tenant.to_string()),
        email: record.email.clone(),
        description: record.description.clone(),
        password_expires_at: None,
        options: Empty {},
        links: SelfLink {
            href: format!("{base}/v3/users/{}", principal.id),
        },
    }
}

#[derive(Serialize)]
pub struct RoleJson {
    id: &'static str,
    name: &'static str,
    domain_id: Option<()>,
    description: String,
    options: Empty,
    links: SelfLink,
}

pub fn role(role: Role, base: &str) -> RoleJson {
    let level = role.level();
    let meaning = match level {
        PrivilegeLevel::Sa => "System administrator: every action, in every project",
        PrivilegeLevel::Svc => "Service on-boarding: registers services and templates",
        PrivilegeLevel::Da => "Domain administrator: manages its own projects' endpoints",
        PrivilegeLevel::Du => "Domain user: reads its own projects",
    };
    let description = if role.is_alias() {
        format!(
            "Keystone's default role name for level {}: {meaning}",
            level.as_str()
        )
    } else {
        meaning.to_owned()
    };
    RoleJson {
        id: role.id(),
        name: role.id(),
        domain_id: None,
        description,
        options: Empty {},
        links: SelfLink {
            href: format!("{base}/v3/roles/{}", role.id()),
        },
    }
}

/// An assignment's role, user or project: its id, and with names asked for, its name
/// (and a user's or project's domain, as Keystone adds).
#[derive(Serialize)]
struct IdName {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<DomainRef>,
}

#[derive(Serialize)]
struct ProjectScope {
    project: IdName,
}

#[derive(Serialize)]
struct AssignmentLinks {
    assignment: String,
}

#[derive(Serialize)]
pub struct AssignmentJson {
    role: IdName,
    user: IdName,
    scope: ProjectScope,
    links: AssignmentLinks,
}

/// Names, when `include_names` asked for them: the user's and the project's.
pub struct AssignmentNames {
    pub user: String,
    pub project: String,
}

/// A role assignment: its role is the level's own role (`DU`, never an alias).
pub fn assignment(
    assignment: &Assignment,
    names: Option<AssignmentNames>,
    base: &str,
) -> AssignmentJson {
    let role = Role::of_level(assignment.level);
    let domain = names.as_ref().map(|_| THE_DOMAIN);
    let (user_name, project_name, role_name) = match names {
        Some(names) => (
            Some(names.user),
            Some(names.project),
            Some(role.id().to_owned()),
        ),
        None => (None, None, None),
    };
    AssignmentJson {
        links: AssignmentLinks {
            assignment: format!(
                "{base}/v3/projects/{}/users/{}/roles/{}",
                assignment.tenant,
                assignment.user,
                role.id()
            ),
        },
        role: IdName {
            id: role.id().to_owned(),
            name: role_name,
            domain: None,
        },
        user: IdName {
            id: assignment.user.to_string(),
            name: user_name,
            domain: domain.clone(),
        },
        scope: ProjectScope {
            project: IdName {
                id: assignment.tenant.to_string(),
                name: project_name,
                domain,
            },
        },
    }
}
