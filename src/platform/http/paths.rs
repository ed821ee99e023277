//! What the edge must know about a path before any route matches it, said by the
//! subsystem that serves the path and composed in `src/app.rs` ([`PathRules`]): the fault
//! dialect its scope speaks, and whether a trailing slash is part of its requests.
//!
//! A trailing slash reads as absent, on every route of every API: Keystone-era client
//! libraries append one (`POST /v2.0/tokens/`), and Keystone treated `/x/` as `/x`. The
//! edge trims it before routing, so a handler never sees the difference and a `GET` with
//! a slash answers the same body, status, links and `ETag` as without. A subsystem where
//! the slash means something (the live registry's `GET /configuration/{namespace}/`,
//! which lists a namespace) claims those paths, and they are left as they came.

use actix_web::dev::ServiceRequest;
use actix_web::http::uri::{PathAndQuery, Uri};

use super::fault_document::Dialect;

/// A test on a request's path, as a subsystem writes it for its own scope.
pub type PathTest = fn(&str) -> bool;

/// The subsystems' rules about their paths, registered as app data. A path no rule claims
/// speaks the identity family's dialect and loses its trailing slash.
#[derive(Clone, Default)]
pub struct PathRules {
    dialects: Vec<(PathTest, Dialect)>,
    significant_slashes: Vec<PathTest>,
}

impl PathRules {
    /// Paths that `owns` claims answer faults in `dialect`.
    pub fn speaks(mut self, owns: PathTest, dialect: Dialect) -> Self {
        self.dialects.push((owns, dialect));
        self
    }

    /// Paths that `keeps` claims keep their trailing slash.
    pub fn keeps_trailing_slash(mut self, keeps: PathTest) -> Self {
        self.significant_slashes.push(keeps);
        self
    }

    pub(super) fn dialect_of(&self, path: &str) -> Dialect {
        self.dialects
            .iter()
            .find(|(owns, _)| owns(path))
            .map_or(Dialect::Identity, |(_, dialect)| *dialect)
    }

    pub(super) fn slash_is_significant(&self, path: &str) -> bool {
        self.significant_slashes.iter().any(|keeps| keeps(path))
    }
}

/// Rewrites `/a/b/` (and `/a/b//`) to `/a/b`, query kept.
pub(super) fn trim_trailing_slash(request: &mut ServiceRequest) {
    let Some(trimmed) = trimmed(request.path()) else {
        return;
    };
    let rebuilt = match request.query_string() {
        "" => trimmed.to_owned(),
        query => format!("{trimmed}?{query}"),
    };
    let mut parts = request.head().uri.clone().into_parts();
    let Ok(path_and_query) = PathAndQuery::try_from(rebuilt) else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    let Ok(uri) = Uri::from_parts(parts) else {
        return;
    };
    request.match_info_mut().get_mut().update(&uri);
    request.head_mut().uri = uri;
}

/// The path without its trailing slashes, when it has any and is not the root.
fn trimmed(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches('/');
    (path.len() > 1 && trimmed.len() < path.len() && !trimmed.is_empty()).then_some(trimmed)
}

#[cfg(test)]
mod tests {
    use super::{trimmed, Dialect, PathRules};

    #[test]
    fn the_first_rule_that_claims_a_path_decides() {
        let rules = PathRules::default()
            .speaks(|path| path.starts_with("/v1.0/"), Dialect::Rsr)
            .keeps_trailing_slash(|path| path.starts_with("/v1.0/7/configuration/"));
        assert_eq!(rules.dialect_of("/v1.0/7/services"), Dialect::Rsr);
        assert_eq!(rules.dialect_of("/v2.0/tokens"), Dialect::Identity);
        assert!(rules.slash_is_significant("/v1.0/7/configuration/a/"));
        assert!(!rules.slash_is_significant("/v1.0/7/services/"));
        assert_eq!(
            PathRules::default().dialect_of("/v1.0/7"),
            Dialect::Identity
        );
    }

    #[test]
    fn only_trailing_slashes_go_and_the_root_stays() {
        assert_eq!(trimmed("/v2.0/tokens/"), Some("/v2.0/tokens"));
        assert_eq!(trimmed("/v2.0/tokens//"), Some("/v2.0/tokens"));
        assert_eq!(trimmed("/v2.0/tokens"), None);
        assert_eq!(trimmed("/"), None);
        assert_eq!(trimmed("//"), None);
        assert_eq!(trimmed("/a//b/"), Some("/a//b"));
    }
}
