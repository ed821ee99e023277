//! Keystone v3's wire shapes (JSON only), built from the subsystems' domain values, and
//! the version documents of discovery (v2.0's also in XML).

mod catalog;
mod resources;
mod tokens;
mod versions;

pub use self::catalog::{endpoint_id, endpoints_of, region, service, EndpointJson};
pub use resources::{assignment, domain, project, role, user, AssignmentNames, Listed};
pub use tokens::{catalog, TokenView};
pub use versions::{Extensions, Version, VersionDocument, Versions};

use serde::Serialize;

use super::requests::{DOMAIN_ID, DOMAIN_NAME};

/// `{"self": URL}`: every v3 entity links to itself.
#[derive(Serialize)]
pub struct SelfLink {
    #[serde(rename = "self")]
    pub href: String,
}

/// `{"id": "default", "name": "Default"}`, as tokens name the domain of a user or project.
#[derive(Serialize, Clone)]
pub struct DomainRef {
    id: &'static str,
    name: &'static str,
}

/// The URLs an endpoint (a template, or one in a token's catalog) has, by v3 interface:
/// `publicURL` → `public`, `internalURL` → `internal`, `adminURL` → `admin`.
fn interfaces<'a, U>(
    public: &'a U,
    internal: Option<&'a U>,
    admin: Option<&'a U>,
) -> impl Iterator<Item = (&'static str, &'a U)> {
    [
        ("public", Some(public)),
        ("internal", internal),
        ("admin", admin),
    ]
    .into_iter()
    .filter_map(|(interface, url)| url.map(|url| (interface, url)))
}

pub const THE_DOMAIN: DomainRef = DomainRef {
    id: DOMAIN_ID,
    name: DOMAIN_NAME,
};
