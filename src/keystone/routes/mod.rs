//! Keystone v3's routes and version discovery. Who may read what follows v2.0's rules:
//! SA and SVC everything, DA and DU their own (their tenants, themselves).

mod auth;
mod catalog;
mod projects;
mod tokens;
mod users;
mod versions;

use actix_web::web;

use actix_web::HttpRequest;
use serde::Serialize;

use crate::identity::{Policy, PrivilegeLevel};
use crate::keystone::views::Listed;
use crate::platform::http::{absolute_url, method_not_allowed, Json, Reply};

use PrivilegeLevel::{Sa, Svc};

/// Any enabled principal with a token; what it then sees may depend on who it is.
pub struct AnyPrincipal;

impl Policy for AnyPrincipal {
    const ALLOWED: &'static [PrivilegeLevel] = &PrivilegeLevel::ALL;
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
                .route(web::get().to(catalog::services))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/services/{serviceId}")
                .route(web::get().to(catalog::service))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/endpoints")
                .route(web::get().to(catalog::endpoints))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/endpoints/{endpointId}")
                .route(web::get().to(catalog::endpoint))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/regions")
                .route(web::get().to(catalog::regions))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/regions/{regionId}")
                .route(web::get().to(catalog::region))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/projects")
                .route(web::get().to(projects::list))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/projects/{projectId}")
                .route(web::get().to(projects::get))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v3/users/{userId}")
                .route(web::get().to(users::get))
                .default_service(method_not_allowed("GET")),
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
            web::resource("/v3/roles")
                .route(web::get().to(projects::roles))
                .default_service(method_not_allowed("GET")),
        );
}

/// `{"<key>": [...], "links": {"self": the request's URL, …}}`: every v3 list.
fn listed<T: Serialize>(request: &HttpRequest, key: &'static str, items: Vec<T>) -> Reply<Json> {
    let href = self_href(request);
    Reply::ok(Json::of(&Listed { key, items, href }))
}

/// `{"<key>": {...}}`: every v3 entity.
fn one(key: &'static str, item: impl Serialize) -> Reply<Json> {
    let mut document = serde_json::Map::new();
    document.insert(
        key.to_owned(),
        serde_json::to_value(item).expect("views hold plain strings, numbers and maps"),
    );
    Reply::ok(Json::of(&document))
}

/// The request's own URL, absolute: a list's `links.self`.
fn self_href(request: &HttpRequest) -> String {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str());
    absolute_url(request, path)
}
