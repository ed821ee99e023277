//! A trailing slash reads as absent, on every route of every API: Keystone-era client
//! libraries append one (`POST /v2.0/tokens/`), and Keystone treated `/x/` as `/x`. The
//! edge trims it before routing, so a handler never sees the difference and a `GET` with
//! a slash answers the same body, status, links and `ETag` as without.
//!
//! A subsystem where the slash means something (the live registry's
//! `GET /configuration/{namespace}/`, which lists a namespace) says so by registering a
//! [`SignificantSlash`] rule as app data; paths it claims are left as they came.

use actix_web::dev::ServiceRequest;
use actix_web::http::uri::{PathAndQuery, Uri};

/// Paths on which a trailing slash is part of the request, registered by the subsystem
/// that serves them.
#[derive(Clone, Copy)]
pub struct SignificantSlash(pub fn(&str) -> bool);

/// Rewrites `/a/b/` (and `/a/b//`) to `/a/b`, query kept, unless a rule claims the path.
pub(super) fn trim_trailing_slash(request: &mut ServiceRequest) {
    let Some(trimmed) = trimmed(request.path()) else {
        return;
    };
    if let Some(rule) = request.app_data::<SignificantSlash>() {
        if (rule.0)(request.path()) {
            return;
        }
    }
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
    use super::trimmed;

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
