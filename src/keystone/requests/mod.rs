//! What v3 requests carry: `POST /v3/auth/tokens`'s body, read into identity's own
//! [`AuthRequest`], and the subject token of the token routes. The registry has one
//! domain, `default` (name `Default`); a reference to any other names nobody.

use actix_web::http::header::HeaderName;
use actix_web::HttpRequest;
use serde::Deserialize;
use serde_json::Value;

use super::error::{KeystoneError as Error, Result};

pub mod admin;
use crate::identity::{
    AuthRequest, Credentials, PrincipalName, Scope, Secret, TenantId, TenantName, TenantRef,
    UserRef,
};
use crate::platform::http::{strict_json, token_header, RepeatedHeader};
use crate::platform::text::printable;

pub const DOMAIN_ID: &str = "default";
pub const DOMAIN_NAME: &str = "Default";
pub const SUBJECT_TOKEN: HeaderName = HeaderName::from_static("x-subject-token");

#[derive(Deserialize)]
struct Envelope {
    auth: AuthJson,
}

#[derive(Deserialize)]
struct AuthJson {
    identity: IdentityJson,
    scope: Option<Value>,
}

#[derive(Deserialize)]
struct IdentityJson {
    methods: Vec<String>,
    password: Option<PasswordJson>,
    token: Option<TokenJson>,
}

#[derive(Deserialize)]
struct PasswordJson {
    user: UserJson,
}

#[derive(Deserialize)]
struct UserJson {
    id: Option<String>,
    name: Option<String>,
    domain: Option<DomainJson>,
    password: Option<String>,
}

#[derive(Deserialize)]
struct DomainJson {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct TokenJson {
    id: Option<String>,
}

#[derive(Deserialize)]
struct ProjectJson {
    id: Option<String>,
    name: Option<String>,
    domain: Option<DomainJson>,
}

/// A v3 authentication: identity's request, and whether the token was asked for on the
/// system (`{"system": {"all": true}}`), which is shown so on the token.
pub struct V3Auth {
    pub request: AuthRequest,
    pub system: bool,
}

/// `{"auth": {"identity": {"methods": [...], ...}, "scope"?}}` as identity's request.
pub fn decode_auth(body: &[u8]) -> Result<V3Auth> {
    let envelope: Envelope = strict_json::from_slice(body)
        .map_err(|e| Error::invalid(format!("malformed JSON body: {e}")))?;
    let identity = envelope.auth.identity;
    let method = match identity.methods.as_slice() {
        [method] => method.as_str(),
        [] => return Err(Error::invalid("auth.identity.methods names no method")),
        _ => {
            return Err(Error::Unauthenticated(
                "one method per request is supported (password or token)".into(),
            ))
        }
    };
    let credentials = match method {
        "password" => {
            let password = identity
                .password
                .ok_or_else(|| Error::invalid("auth.identity.password is required"))?;
            password_credentials(password.user)?
        }
        "token" => {
            let id = identity
                .token
                .and_then(|token| token.id)
                .filter(|id| !id.is_empty())
                .ok_or_else(|| Error::invalid("auth.identity.token.id is required"))?;
            Credentials::Token { id }
        }
        other => {
            return Err(Error::Unauthenticated(format!(
                "the method '{}' is not supported (password or token)",
                printable(other)
            )))
        }
    };
    let system = is_system_scope(envelope.auth.scope.as_ref())?;
    let scope = if system {
        Scope::Unscoped
    } else {
        scope(envelope.auth.scope)?
    };
    Ok(V3Auth {
        request: AuthRequest { credentials, scope },
        system,
    })
}

/// `{"system": {"all": true}}`: the system, where this registry's roles (the levels) are
/// held; such a token acts in no project, as an unscoped one does.
fn is_system_scope(scope: Option<&Value>) -> Result<bool> {
    let Some(system) = scope.and_then(|scope| scope.get("system")) else {
        return Ok(false);
    };
    if system.get("all") == Some(&Value::Bool(true)) {
        Ok(true)
    } else {
        Err(Error::invalid("auth.scope.system is {\"all\": true}"))
    }
}

fn password_credentials(user: UserJson) -> Result<Credentials> {
    let password = user
        .password
        .filter(|password| !password.is_empty())
        .ok_or_else(|| Error::invalid("auth.identity.password.user.password is required"))?;
    let user = match (user.id, user.name) {
        // An id that is no principal's number names nobody: identity answers it as it
        // answers an unknown user (the same 401, after the same hash work).
        (Some(id), _) => UserRef::Id(id.parse().unwrap_or(0)),
        (None, Some(name)) => {
            in_the_domain(user.domain, "a user")?;
            UserRef::Name(PrincipalName::parse(&name).map_err(Error::Identity)?)
        }
        (None, None) => {
            return Err(Error::invalid(
                "auth.identity.password.user needs an id, or a name and a domain",
            ))
        }
    };
    Ok(Credentials::Password {
        user,
        password: Secret::presented(&password),
    })
}

/// `what`, given by name, names its domain, and that is the registry's one domain.
fn in_the_domain(domain: Option<DomainJson>, what: &str) -> Result<()> {
    let domain = domain.ok_or_else(|| {
        Error::invalid(format!(
            "{what} given by name needs its domain (id or name)"
        ))
    })?;
    let ours = match (&domain.id, &domain.name) {
        (Some(id), _) => id == DOMAIN_ID,
        (None, Some(name)) => name.eq_ignore_ascii_case(DOMAIN_NAME),
        (None, None) => return Err(Error::invalid("a domain needs an id or a name")),
    };
    if ours {
        Ok(())
    } else {
        Err(Error::Unauthenticated("no such domain".into()))
    }
}

/// `"unscoped"`, `{"project": {...}}`, or nothing (the default project, if any).
fn scope(scope: Option<Value>) -> Result<Scope> {
    let Some(scope) = scope else {
        return Ok(Scope::Default);
    };
    if scope == Value::String("unscoped".into()) {
        return Ok(Scope::Unscoped);
    }
    let Value::Object(mut members) = scope else {
        return Err(Error::invalid(
            "auth.scope is \"unscoped\" or an object naming a project",
        ));
    };
    if let Some(project) = members.remove("project") {
        let project: ProjectJson = serde_json::from_value(project)
            .map_err(|e| Error::invalid(format!("auth.scope.project: {e}")))?;
        return project_scope(project).map(Scope::Tenant);
    }
    if members.contains_key("domain") {
        return Err(Error::Unauthenticated(
            "tokens are scoped to projects or the system: the registry grants no domain roles"
                .into(),
        ));
    }
    Err(Error::invalid("auth.scope names no project"))
}

fn project_scope(project: ProjectJson) -> Result<TenantRef> {
    match (project.id, project.name) {
        (Some(id), _) => TenantId::parse(&id)
            .map(TenantRef::Id)
            .map_err(|_| Error::Unauthenticated(format!("no project has id '{}'", printable(&id)))),
        (None, Some(name)) => {
            in_the_domain(project.domain, "a project")?;
            TenantName::parse(&name)
                .map(TenantRef::Name)
                .map_err(Error::Identity)
        }
        (None, None) => Err(Error::invalid("auth.scope.project needs an id or a name")),
    }
}

/// The token a token route acts on: exactly one non-empty `X-Subject-Token`.
pub fn subject_token(request: &HttpRequest) -> Result<String> {
    token_header(request, SUBJECT_TOKEN.as_str())
        .map_err(|RepeatedHeader| Error::invalid("send exactly one X-Subject-Token header"))?
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .ok_or(Error::MissingSubjectToken)
}

/// Keystone's `?nocatalog` (present with any value, or none).
pub fn wants_catalog(request: &HttpRequest) -> bool {
    !request
        .query_string()
        .split('&')
        .any(|pair| pair.split('=').next() == Some("nocatalog"))
}

/// A query parameter, empty read as absent.
pub fn query(request: &HttpRequest, name: &str) -> Result<Option<String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(request.query_string())
        .map_err(|e| Error::invalid(format!("malformed query string: {e}")))?;
    Ok(pairs
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &str) -> Result<AuthRequest> {
        decode_auth(body.as_bytes()).map(|auth| auth.request)
    }

    #[test]
    fn password_by_name_needs_the_default_domain() {
        let by_name = r#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","domain":{"name":"Default"},"password":"pw"}}}}}"#;
        let request = decode(by_name).unwrap();
        assert!(matches!(
            request.credentials,
            Credentials::Password {
                user: UserRef::Name(_),
                ..
            }
        ));
        assert_eq!(request.scope, Scope::Default);
        let other = by_name.replace("Default", "Elsewhere");
        assert!(matches!(decode(&other), Err(Error::Unauthenticated(_))));
        let none = r#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"pw"}}}}}"#;
        assert!(matches!(decode(none), Err(Error::Invalid(_))));
    }

    #[test]
    fn scopes_are_projects_by_id_or_name_or_explicitly_none() {
        let with = |scope: &str| {
            decode(&format!(
                r#"{{"auth":{{"identity":{{"methods":["token"],"token":{{"id":"t"}}}},"scope":{scope}}}}}"#
            ))
        };
        assert!(matches!(
            with(r#"{"project":{"id":"7"}}"#).unwrap().scope,
            Scope::Tenant(TenantRef::Id(_))
        ));
        assert!(matches!(
            with(r#"{"project":{"name":"acme","domain":{"id":"default"}}}"#)
                .unwrap()
                .scope,
            Scope::Tenant(TenantRef::Name(_))
        ));
        assert_eq!(with(r#""unscoped""#).unwrap().scope, Scope::Unscoped);
        assert!(matches!(
            with(r#"{"project":{"id":"x"}}"#),
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(
            with(r#"{"domain":{"id":"default"}}"#),
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(with("[]"), Err(Error::Invalid(_))));
    }

    #[test]
    fn malformed_and_unsupported_bodies_are_refused() {
        assert!(matches!(decode("[]"), Err(Error::Invalid(_))));
        assert!(matches!(
            decode(r#"{"auth":{"identity":{"methods":[]}}}"#),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            decode(r#"{"auth":{"identity":{"methods":["totp"]}}}"#),
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(
            decode(r#"{"auth":{"identity":{"methods":["password","token"]}}}"#),
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(
            decode(r#"{"auth":{"identity":{"methods":["password"]}}}"#),
            Err(Error::Invalid(_))
        ));
    }
}
