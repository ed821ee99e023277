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

use actix_web::web;

use actix_web::HttpRequest;
use serde::Serialize;

use crate::identity::{Policy, PrivilegeLevel};
use crate::keystone::error::KeystoneError;
use crate::keystone::views::Listed;
use crate::platform::http::{
    absolute_url, method_not_allowed, read_document, Format, HttpError, Json, Reply,
};

use PrivilegeLevel::{Da, Sa, Svc};

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
        .service(
            web::resource("/")
                .route(web::get().to(versions::root))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3")
                .route(web::get().to(versions::v3))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v2.0")
                .route(web::get().to(versions::v2))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v2.0/extensions")
                .route(web::get().to(versions::extensions))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/auth/tokens")
                .route(web::post().to(tokens::issue))
                .route(web::get().to(tokens::validate))
                .route(web::head().to(tokens::check))
                .route(web::delete().to(tokens::revoke))
                .default_service(method_not_allowed("POST, GET, HEAD, DELETE")),
        )
        .service(
            web::resource("/v3/auth/catalog")
                .route(web::get().to(auth::catalog))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/auth/projects")
                .route(web::get().to(auth::projects))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/auth/domains")
                .route(web::get().to(auth::domains))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/services")
                .route(web::get().to(services::list))
                .route(web::post().to(services::create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/v3/services/{serviceId}")
                .route(web::get().to(services::get))
                .route(web::patch().to(services::update))
                .route(web::delete().to(services::delete))
                .default_service(method_not_allowed("GET, PATCH, DELETE")),
        )
        .service(
            web::resource("/v3/endpoints")
                .route(web::get().to(endpoints::list))
                .route(web::post().to(endpoints::create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/v3/endpoints/{endpointId}")
                .route(web::get().to(endpoints::get))
                .route(web::patch().to(endpoints::update))
                .route(web::delete().to(endpoints::delete))
                .default_service(method_not_allowed("GET, PATCH, DELETE")),
        )
        .service(
            web::resource("/v3/regions")
                .route(web::get().to(regions::list))
                .route(web::post().to(regions::create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/v3/regions/{regionId}")
                .route(web::get().to(regions::get))
                .route(web::put().to(regions::put))
                .route(web::patch().to(regions::update))
                .route(web::delete().to(regions::delete))
                .default_service(method_not_allowed("GET, PUT, PATCH, DELETE")),
        )
        .service(
            web::resource("/v3/projects")
                .route(web::get().to(projects::list))
                .route(web::post().to(projects::create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/v3/projects/{projectId}")
                .route(web::get().to(projects::get))
                .route(web::patch().to(projects::update))
                .route(web::delete().to(projects::delete))
                .default_service(method_not_allowed("GET, PATCH, DELETE")),
        )
        .service(
            web::resource("/v3/projects/{projectId}/users/{userId}/roles")
                .route(web::get().to(roles::of_user_in_project))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/projects/{projectId}/users/{userId}/roles/{roleId}")
                .route(web::put().to(roles::assign))
                .route(web::head().to(roles::check))
                .route(web::get().to(roles::check))
                .route(web::delete().to(roles::unassign))
                .default_service(method_not_allowed("PUT, HEAD, GET, DELETE")),
        )
        .service(
            web::resource("/v3/system/users/{userId}/roles")
                .route(web::get().to(system_roles::list))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/system/users/{userId}/roles/{roleId}")
                .route(web::put().to(system_roles::grant))
                .route(web::head().to(system_roles::check))
                .route(web::get().to(system_roles::check))
                .route(web::delete().to(system_roles::revoke))
                .default_service(method_not_allowed("PUT, HEAD, GET, DELETE")),
        )
        .service(
            web::resource("/v3/role_assignments")
                .route(web::get().to(roles::assignments))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/users")
                .route(web::get().to(users::list))
                .route(web::post().to(users::create))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource("/v3/users/{userId}")
                .route(web::get().to(users::get))
                .route(web::patch().to(users::update))
                .route(web::delete().to(users::delete))
                .default_service(method_not_allowed("GET, PATCH, DELETE")),
        )
        .service(
            web::resource("/v3/users/{userId}/password")
                .route(web::post().to(users::change_password))
                .default_service(method_not_allowed("POST")),
        )
        .service(
            web::resource("/v3/users/{userId}/projects")
                .route(web::get().to(users::projects))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/domains")
                .route(web::get().to(projects::domains))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/domains/{domainId}")
                .route(web::get().to(projects::domain))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/roles")
                .route(web::get().to(roles::list))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/roles/{roleId}")
                .route(web::get().to(roles::get))
                .default_service(method_not_allowed("GET")),
        );
}

/// A write's JSON body (Keystone v3 reads JSON only), bounded like every body.
async fn json_body(
    request: &HttpRequest,
    payload: web::Payload,
    document: &str,
) -> Result<web::BytesMut, KeystoneError> {
    let document = read_document(request, payload, document).await?;
    if document.format != Format::Json {
        return Err(HttpError::UnsupportedMediaType(
            "Keystone v3 reads JSON only: send Content-Type application/json".into(),
        )
        .into());
    }
    Ok(document.bytes)
}

/// `{"<key>": [...], "links": {"self": the request's URL, …}}`: every v3 list.
fn listed<T: Serialize>(request: &HttpRequest, key: &'static str, items: Vec<T>) -> Reply<Json> {
    let href = self_href(request);
    Reply::ok(Json::of(&Listed { key, items, href }))
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

/// The request's own URL, absolute: a list's `links.self`.
fn self_href(request: &HttpRequest) -> String {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str());
    absolute_url(request, path)
}
