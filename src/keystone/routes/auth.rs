//! `/v3/auth/{catalog,projects,domains}`: what the caller's own token may reach.

use actix_web::web;

use super::projects::projects_of;
use super::{Answer, AnyPrincipal, As, Links};
use crate::identity::Login;
use crate::keystone::views;

/// `GET /v3/auth/catalog`: the catalog of the caller's token, in v3's shape.
pub async fn catalog(sources: As<AnyPrincipal>, login: web::Data<Login>, links: Links) -> Answer {
    let services = login.catalog(sources.caller().tenant).await?;
    Ok(links.listed("catalog", views::catalog(&services)))
}

/// `GET /v3/auth/projects`: the projects the caller belongs to (and may scope to).
pub async fn projects(sources: As<AnyPrincipal>, links: Links) -> Answer {
    projects_of(&sources, &links, sources.caller().id).await
}

/// `GET /v3/auth/domains`: the one domain every principal is in.
pub async fn domains(_caller: As<AnyPrincipal>, links: Links) -> Answer {
    Ok(links.listed("domains", vec![views::domain(links.base())]))
}
