//! `/v3/auth/tokens`: issue (`POST`, no token needed), validate (`GET`), check (`HEAD`)
//! and revoke (`DELETE`) the token named by `X-Subject-Token`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{Answer, AnyPrincipal, As, JsonBody, REVOKE_ANY, VALIDATE_ANY};
use crate::identity::{client_address, IdentityError, Login, PrivilegeLevel, TokenDetails};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::requests::{decode_auth, subject_token, wants_catalog, SUBJECT_TOKEN};
use crate::keystone::views::TokenView;
use crate::platform::http::{Json, Reply};

/// The subject token, if the caller may act on it: its own principal always (a token
/// itself, or another of the same user's, as Keystone's `admin_or_token_subject`),
/// others with one of `any` levels. Unknown, expired and revoked tokens are 404.
async fn subject_for(
    sources: &As<AnyPrincipal>,
    request: &HttpRequest,
    any: &'static [PrivilegeLevel],
    action: &'static str,
) -> Result<(String, TokenDetails)> {
    let subject = subject_token(request)?;
    let details = sources.directory.validate(subject.clone(), None).await?;
    let caller = sources.caller();
    let allowed = caller.id == details.user.id || caller.levels.iter().any(|l| any.contains(l));
    if !allowed {
        return Err(KeystoneError::Forbidden(action));
    }
    Ok((subject, details))
}

/// `POST /v3/auth/tokens`: 201, the token in `X-Subject-Token`, the catalog unless
/// `?nocatalog`. Failed attempts are throttled as on v2.0 (it is the same login).
pub async fn issue(request: HttpRequest, body: JsonBody, login: web::Data<Login>) -> Answer {
    let auth = decode_auth(&body.read("auth").await?)?;
    let client = client_address(&request);
    let issued = login
        .authenticate(auth.request, client, None)
        .await
        .map_err(|error| match error {
            // Keystone's TokenNotFound: the token method names a token that is no more
            // (revoked, expired, never issued).
            IdentityError::InvalidToken => {
                KeystoneError::not_found("token", "the token of the token method")
            }
            other => other.into(),
        })?;
    let token = issued.details.token_id.clone();
    let view = TokenView {
        details: issued.details,
        catalog: wants_catalog(&request).then_some(issued.catalog),
        system: auth.system,
    };
    Ok(Reply::created(Json::of(&view)).header(SUBJECT_TOKEN, Some(token)))
}

/// `GET /v3/auth/tokens`: the subject token as it was issued, with its catalog unless
/// `?nocatalog`. Unknown, expired and revoked tokens are 404.
pub async fn validate(
    sources: As<AnyPrincipal>,
    login: web::Data<Login>,
    request: HttpRequest,
) -> Answer {
    let (subject, details) =
        subject_for(&sources, &request, VALIDATE_ANY, "identity:validate_token").await?;
    let catalog = if wants_catalog(&request) {
        let tenant = details.tenant.as_ref().map(|tenant| tenant.id);
        Some(login.catalog(tenant).await.map_err(KeystoneError::from)?)
    } else {
        None
    };
    let view = TokenView {
        details,
        catalog,
        system: false,
    };
    Ok(Reply::ok(Json::of(&view)).header(SUBJECT_TOKEN, Some(subject)))
}

/// `HEAD /v3/auth/tokens`: 200 when the subject token is valid, no body either way.
pub async fn check(sources: As<AnyPrincipal>, request: HttpRequest) -> Result<HttpResponse> {
    subject_for(&sources, &request, VALIDATE_ANY, "identity:check_token").await?;
    Ok(HttpResponse::Ok().finish())
}

/// `DELETE /v3/auth/tokens`: 204; refused at once on this node, on every node within
/// the authentication cache's TTL, on v2.0 as on v3.
pub async fn revoke(sources: As<AnyPrincipal>, request: HttpRequest) -> Result<HttpResponse> {
    let (subject, _) = subject_for(&sources, &request, REVOKE_ANY, "identity:revoke_token").await?;
    sources.directory.revoke_token(subject).await?;
    Ok(HttpResponse::NoContent().finish())
}
