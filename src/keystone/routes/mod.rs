//! Keystone v3's routes and version discovery. Who may read what follows v2.0's rules:
//! SA and SVC everything, DA and DU their own (their tenants, themselves).

mod auth;
mod endpoints;
mod projects;
mod regions;
mod roles;
mod services;
mod system_roles;
mod tokens;
mod users;
mod versions;

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::Serialize;

use crate::identity::{Policy, PrivilegeLevel};
use crate::keystone::error::KeystoneError;
use crate::keystone::guard::V3;
use crate::keystone::views::Listed;
use crate::keystone::Sources;
use crate::platform::http::{absolute_url, read_document, Format, HttpError, Json, Reply, Routes};

use PrivilegeLevel::{Da, Sa, Svc};

/// The registry's sources, for a caller `P` admits: every handler's first argument.
type As<P> = V3<P, Sources>;

/// The one id a path names (`/v3/services/{serviceId}`, …).
type PathId = web::Path<String>;

/// What a v3 handler with a body to show answers.
type Answer = Result<Reply<Json>, KeystoneError>;

/// Any enabled principal with a token; what it then sees may depend on who it is.
pub struct AnyPrincipal;

impl Policy for AnyPrincipal {
    const ALLOWED: &'static [PrivilegeLevel] = &PrivilegeLevel::ALL;
}

/// Writes services, endpoints and regions: the levels that write HP-IDM's services and
/// templates.
pub struct CatalogWriter;

impl Policy for CatalogWriter {
    const ALLOWED: &'static [PrivilegeLevel] = &[Sa, Svc];
}

/// Lists and reads every user: the levels that read every tenant.
pub struct UserReader;

impl Policy for UserReader {
    const ALLOWED: &'static [PrivilegeLevel] = &[Sa, Svc];
}

/// Creates and deletes users and projects, and changes users.
pub struct IdentityAdmin;

impl Policy for IdentityAdmin {
    const ALLOWED: &'static [PrivilegeLevel] = &[Sa];
}

/// Changes projects and their role assignments: SA any, DA its own (checked then).
pub struct ProjectAdmin;

impl Policy for ProjectAdmin {
    const ALLOWED: &'static [PrivilegeLevel] = &[Sa, Da];
}

/// Who may act on any subject token, beyond its own principal: SA and SVC, as Keystone's
/// `service_admin_or_token_subject` (v2.0's own revoke stays SA-only, the seed's rule).
pub const VALIDATE_ANY: &[PrivilegeLevel] = &[Sa, Svc];
pub const REVOKE_ANY: &[PrivilegeLevel] = &[Sa, Svc];

/// `/`, `/v3` and below: Keystone v3's dialect.
pub fn is_v3_path(path: &str) -> bool {
    path == "/" || is_under(path, "/v3")
}

/// v2.0's version document and extensions: v2.0's dialect, with Keystone's `error`.
pub fn is_v2_discovery_path(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    trimmed == "/v2.0" || trimmed == "/v2.0/extensions"
}

/// `prefix` itself (with or without a trailing slash) or a path below it.
pub fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(Routes::at("/").get(versions::root))
        .service(Routes::at("/v3").get(versions::v3))
        .service(Routes::at("/v2.0").get(versions::v2))
        .service(Routes::at("/v2.0/extensions").get(versions::extensions))
        .service(
            Routes::at("/v3/auth/tokens")
                .post(tokens::issue)
                .get(tokens::validate)
                .head(tokens::check)
                .delete(tokens::revoke),
        )
        .service(Routes::at("/v3/auth/catalog").get(auth::catalog))
        .service(Routes::at("/v3/auth/projects").get(auth::projects))
        .service(Routes::at("/v3/auth/domains").get(auth::domains))
        .service(
            Routes::at("/v3/services")
                .get(services::list)
                .post(services::create),
        )
        .service(
            Routes::at("/v3/services/{serviceId}")
                .get(services::get)
                .patch(services::update)
                .delete(services::delete),
        )
        .service(
            Routes::at("/v3/endpoints")
                .get(endpoints::list)
                .post(endpoints::create),
        )
        .service(
            Routes::at("/v3/endpoints/{endpointId}")
                .get(endpoints::get)
                .patch(endpoints::update)
                .delete(endpoints::delete),
        )
        .service(
            Routes::at("/v3/regions")
                .get(regions::list)
                .post(regions::create),
        )
        .service(
            Routes::at("/v3/regions/{regionId}")
                .get(regions::get)
                .put(regions::put)
                .patch(regions::update)
                .delete(regions::delete),
        )
        .service(
            Routes::at("/v3/projects")
                .get(projects::list)
                .post(projects::create),
        )
        .service(
            Routes::at("/v3/projects/{projectId}")
                .get(projects::get)
                .patch(projects::update)
                .delete(projects::delete),
        )
        .service(
            Routes::at("/v3/projects/{projectId}/users/{userId}/roles")
                .get(roles::of_user_in_project),
        )
        .service(
            Routes::at("/v3/projects/{projectId}/users/{userId}/roles/{roleId}")
                .put(roles::assign)
                .head(roles::check)
                .get(roles::check)
                .delete(roles::unassign),
        )
        .service(Routes::at("/v3/system/users/{userId}/roles").get(system_roles::list))
        .service(
            Routes::at("/v3/system/users/{userId}/roles/{roleId}")
                .put(system_roles::grant)
                .head(system_roles::check)
                .get(system_roles::check)
                .delete(system_roles::revoke),
        )
        .service(Routes::at("/v3/role_assignments").get(roles::assignments))
        .service(Routes::at("/v3/users").get(users::list).post(users::create))
        .service(
            Routes::at("/v3/users/{userId}")
                .get(users::get)
                .patch(users::update)
                .delete(users::delete),
        )
        .service(Routes::at("/v3/users/{userId}/password").post(users::change_password))
        .service(Routes::at("/v3/users/{userId}/projects").get(users::projects))
        .service(Routes::at("/v3/domains").get(projects::domains))
        .service(Routes::at("/v3/domains/{domainId}").get(projects::domain))
        .service(Routes::at("/v3/roles").get(roles::list))
        .service(Routes::at("/v3/roles/{roleId}").get(roles::get));
}

/// A write's body: taken with the request, read (bounded like every body, JSON only, as
/// Keystone v3 reads) when the handler asks, after its caller was admitted.
pub struct JsonBody {
    request: HttpRequest,
    payload: web::Payload,
}

impl JsonBody {
    /// The body's bytes; `document` names what it should hold, for the fault of an empty
    /// one.
    async fn read(self, document: &str) -> Result<web::BytesMut, KeystoneError> {
        let document = read_document(&self.request, self.payload, document).await?;
        if document.format != Format::Json {
            return Err(HttpError::UnsupportedMediaType(
                "Keystone v3 reads JSON only: send Content-Type application/json".into(),
            )
            .into());
        }
        Ok(document.bytes)
    }
}

impl FromRequest for JsonBody {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let payload = web::Payload::from_request(request, payload).into_inner();
        ready(payload.map(|payload| Self {
            request: request.clone(),
            payload,
        }))
    }
}

/// Where the request was made, for the `links` of its answer: the base of every
/// entity's `links.self`, and the request's own absolute URL for a list's.
pub struct Links {
    base: String,
    href: String,
}

impl Links {
    fn base(&self) -> &str {
        &self.base
    }

    /// `{"<key>": [...], "links": {"self": the request's URL, …}}`: every v3 list.
    fn listed<T: Serialize>(&self, key: &'static str, items: Vec<T>) -> Reply<Json> {
        let href = self.href.clone();
        Reply::ok(Json::of(&Listed { key, items, href }))
    }

    /// [`Self::listed`] with each item shown by `view`, which takes the links' base.
    fn each<T, V: Serialize>(
        &self,
        key: &'static str,
        items: impl IntoIterator<Item = T>,
        view: impl Fn(T, &str) -> V,
    ) -> Reply<Json> {
        let shown = items.into_iter().map(|item| view(item, self.base()));
        self.listed(key, shown.collect())
    }
}

impl FromRequest for Links {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |path| path.as_str());
        ready(Ok(Self {
            base: absolute_url(request, ""),
            href: absolute_url(request, path),
        }))
    }
}

/// `{"<key>": {...}}`, 201: every v3 create.
fn created(key: &'static str, item: impl Serialize) -> Reply<Json> {
    Reply::created(entity(key, item))
}

/// `{"<key>": {...}}`: every v3 entity.
fn one(key: &'static str, item: impl Serialize) -> Reply<Json> {
    Reply::ok(entity(key, item))
}

fn entity(key: &'static str, item: impl Serialize) -> Json {
    let mut document = serde_json::Map::new();
    document.insert(
        key.to_owned(),
        serde_json::to_value(item).expect("views hold plain strings, numbers and maps"),
    );
    Json::of(&document)
}
