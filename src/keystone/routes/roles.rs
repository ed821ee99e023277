//! `/v3/roles` and role assignments. Roles are the privilege levels and Keystone's
//! default names for them (`keystone::roles`). Assigning a role on a project makes the
//! user a member of it with that level; SA assigns any role anywhere, a DA the roles of
//! levels DA and DU in its own projects. SA and SVC read every assignment, others their
//! own.

use std::collections::hash_map::{Entry, HashMap};

use actix_web::{web, HttpRequest};

use super::projects::member_of;
use super::{one, Answer, AnyPrincipal, As, Links, PathId, ProjectAdmin};
use crate::identity::{Assignment, Caller, PrivilegeLevel, TenantId};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::requests::query;
use crate::keystone::roles::Role;
use crate::keystone::views::{self, AssignmentNames};
use crate::keystone::Sources;
use crate::platform::http::Reply;

/// `GET /v3/roles[?name=]`.
pub async fn list(_caller: As<AnyPrincipal>, request: HttpRequest, links: Links) -> Answer {
    let name = query(&request, "name")?;
    let roles = Role::ALL
        .into_iter()
        .filter(|role| name.as_deref().is_none_or(|n| role.id() == n));
    Ok(links.each("roles", roles, views::role))
}

/// The role an id names (404 for none).
pub(super) fn role(raw: &str) -> Result<Role> {
    Role::find(raw).ok_or_else(|| KeystoneError::not_found("role", raw))
}

/// `GET /v3/roles/{id}`.
pub async fn get(_caller: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    let role = role(&path)?;
    Ok(one("role", views::role(role, links.base())))
}

/// The project and user a path names (each must exist, and the caller must be in the
/// project) and the levels the user holds there: none unless it is a member.
async fn held(
    sources: &Sources,
    caller: &Caller,
    project: &str,
    user: &str,
) -> Result<(TenantId, i64, Vec<PrivilegeLevel>)> {
    let tenant = member_of(sources, caller, project).await?;
    let id: i64 = user
        .parse()
        .map_err(|_| KeystoneError::not_found("user", user))?;
    let record = sources.directory.user(id).await?;
    let member = sources.directory.is_member(id, tenant.id).await?;
    let levels = if member {
        record.caller.levels
    } else {
        Vec::new()
    };
    Ok((tenant.id, id, levels))
}

/// The assignment a path names: project, user and role must each exist.
async fn named(
    sources: &Sources,
    caller: &Caller,
    (project, user, role_id): &(String, String, String),
) -> Result<Assignment> {
    let (tenant, user, _) = held(sources, caller, project, user).await?;
    Ok(Assignment {
        user,
        tenant,
        level: role(role_id)?.level(),
    })
}

/// SA any level; a DA (a member of the project, checked by `named`) DA and DU only.
fn may_grant(caller: &Caller, level: PrivilegeLevel) -> Result<()> {
    let sa = caller.levels.contains(&PrivilegeLevel::Sa);
    if sa || matches!(level, PrivilegeLevel::Da | PrivilegeLevel::Du) {
        Ok(())
    } else {
        Err(KeystoneError::Forbidden("identity:create_grant"))
    }
}

/// A project, a user and a role: `/v3/projects/{p}/users/{u}/roles/{r}`.
type AssignmentPath = web::Path<(String, String, String)>;

/// The assignment the path names, if the caller may grant (or revoke) it.
async fn grantable(sources: &As<ProjectAdmin>, path: &AssignmentPath) -> Result<Assignment> {
    let assignment = named(sources, sources.caller(), path).await?;
    may_grant(sources.caller(), assignment.level)?;
    Ok(assignment)
}

/// `PUT /v3/projects/{p}/users/{u}/roles/{r}`: 204 (again: 204).
pub async fn assign(sources: As<ProjectAdmin>, path: AssignmentPath) -> Result<Reply<()>> {
    let assignment = grantable(&sources, &path).await?;
    sources.directory.assign(assignment).await?;
    Ok(Reply::no_content())
}

/// `HEAD` (or `GET`) `/v3/projects/{p}/users/{u}/roles/{r}`: 204 when assigned, else 404.
pub async fn check(sources: As<AnyPrincipal>, path: AssignmentPath) -> Result<Reply<()>> {
    let caller = sources.caller();
    let (project, user, role_id) = path.into_inner();
    let level = role(&role_id)?.level();
    let (_, user, levels) = held(&sources, caller, &project, &user).await?;
    if !caller.acts_in_any_tenant() && caller.id != user {
        return Err(KeystoneError::Forbidden("identity:check_grant"));
    }
    if !levels.contains(&level) {
        return Err(KeystoneError::not_found("role assignment", role_id));
    }
    Ok(Reply::no_content())
}

/// `DELETE /v3/projects/{p}/users/{u}/roles/{r}`: 204.
pub async fn unassign(sources: As<ProjectAdmin>, path: AssignmentPath) -> Result<Reply<()>> {
    let assignment = grantable(&sources, &path).await?;
    sources.directory.unassign(assignment).await?;
    Ok(Reply::no_content())
}

/// `GET /v3/projects/{p}/users/{u}/roles`: the roles the user holds there.
pub async fn of_user_in_project(
    sources: As<AnyPrincipal>,
    links: Links,
    path: web::Path<(String, String)>,
) -> Answer {
    let (project, user) = path.into_inner();
    let caller = sources.caller();
    let (_, user, levels) = held(&sources, caller, &project, &user).await?;
    if !caller.acts_in_any_tenant() && caller.id != user {
        return Err(KeystoneError::Forbidden("identity:list_grants"));
    }
    let roles = levels.into_iter().map(Role::of_level);
    Ok(links.each("roles", roles, views::role))
}

/// `GET /v3/role_assignments[?user.id=&scope.project.id=&role.id=&include_names]`.
/// Domain, system and group assignments do not exist here: asking for them finds none.
pub async fn assignments(sources: As<AnyPrincipal>, request: HttpRequest, links: Links) -> Answer {
    let caller = sources.caller();
    let user = query(&request, "user.id")?;
    let project = query(&request, "scope.project.id")?;
    let level = query(&request, "role.id")?
        .map(|id| Role::find(&id).map(Role::level))
        .map(|found| found.ok_or(()));
    let none_here = ["group.id", "scope.domain.id", "scope.system"]
        .into_iter()
        .map(|name| query(&request, name))
        .collect::<Result<Vec<_>>>()?
        .iter()
        .any(Option::is_some);
    let names = request
        .query_string()
        .split('&')
        .any(|pair| pair.split('=').next() == Some("include_names"));
    let all = sources.directory.assignments().await?;
    let own_only = !caller.acts_in_any_tenant();
    let kept: Vec<&Assignment> = all
        .iter()
        .filter(|_| !none_here && !matches!(level, Some(Err(()))))
        .filter(|a| !own_only || a.user == caller.id)
        .filter(|a| user.as_deref().is_none_or(|u| a.user.to_string() == u))
        .filter(|a| project.as_deref().is_none_or(|p| a.tenant.to_string() == p))
        .filter(|a| level.is_none_or(|l| l == Ok(a.level)))
        .collect();
    let mut items = Vec::with_capacity(kept.len());
    let mut users = HashMap::new();
    let mut projects = HashMap::new();
    for assignment in kept {
        let names = if names {
            Some(names_of(&sources, assignment, &mut users, &mut projects).await?)
        } else {
            None
        };
        items.push(views::assignment(assignment, names, links.base()));
    }
    Ok(links.listed("role_assignments", items))
}

/// The user's and project's names, each read once per list.
async fn names_of(
    sources: &Sources,
    assignment: &Assignment,
    users: &mut HashMap<i64, String>,
    projects: &mut HashMap<TenantId, String>,
) -> Result<AssignmentNames> {
    if let Entry::Vacant(slot) = users.entry(assignment.user) {
        let user = sources.directory.user(assignment.user).await?;
        slot.insert(user.caller.name.to_string());
    }
    if let Entry::Vacant(slot) = projects.entry(assignment.tenant) {
        let tenant = sources.directory.tenant(assignment.tenant).await?;
        slot.insert(tenant.name.to_string());
    }
    Ok(AssignmentNames {
        user: users[&assignment.user].clone(),
        project: projects[&assignment.tenant].clone(),
    })
}
