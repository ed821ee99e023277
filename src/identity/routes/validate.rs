//! A token's own routes: validate (`GET`), check (`HEAD`) and revoke (`DELETE`), for
//! SA/SVC (SA alone for revoke) or the token itself.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::identity::domain::{PrivilegeLevel, TokenHash};
use crate::identity::login::Login;
use crate::identity::requests::belongs_to;
use crate::identity::views::{AccessView, EndpointsView};
use crate::identity::{Directory, Guarded, Policy};
use crate::platform::http::{HandlerResult, Reply};

pub struct ValidateToken;
pub struct RevokeToken;

fn path_token(request: &HttpRequest) -> Option<TokenHash> {
    request.match_info().get("tokenId").map(TokenHash::of)
}

impl Policy for ValidateToken {
    const ALLOWED: &'static [PrivilegeLevel] = &[PrivilegeLevel::Sa, PrivilegeLevel::Svc];

    fn own_token(request: &HttpRequest) -> Option<TokenHash> {
        path_token(request)
    }
}

impl Policy for RevokeToken {
    const ALLOWED: &'static [PrivilegeLevel] = &[PrivilegeLevel::Sa];

    fn own_token(request: &HttpRequest) -> Option<TokenHash> {
        path_token(request)
    }
}

async fn validated(
    directory: &Directory,
    request: &HttpRequest,
    token: String,
) -> HandlerResult<AccessView> {
    let belongs_to = belongs_to(request.query_string())?;
    Ok(directory.validate(token, belongs_to).await?.into())
}

/// `GET /v2.0/tokens/{tokenId}[?belongsTo=TENANT]`: the token and its user, no catalog.
pub async fn validate(
    directory: Guarded<ValidateToken, Directory>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<AccessView>> {
    let access = validated(&directory, &request, path.into_inner()).await?;
    Ok(Reply::ok(access))
}

/// `HEAD /v2.0/tokens/{tokenId}`: 204 when valid, no body either way.
pub async fn check(
    directory: Guarded<ValidateToken, Directory>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<HttpResponse> {
    validated(&directory, &request, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /v2.0/tokens/{tokenId}/endpoints`: the endpoints of that token's catalog.
pub async fn endpoints(
    directory: Guarded<ValidateToken, Directory>,
    login: web::Data<Login>,
    path: web::Path<String>,
) -> HandlerResult<Reply<EndpointsView>> {
    let access = directory.validate(path.into_inner(), None).await?;
    let catalog = login.catalog(access.tenant.map(|tenant| tenant.id)).await?;
    Ok(Reply::ok(EndpointsView(catalog)))
}

/// `DELETE /v2.0/tokens/{tokenId}` (Keystone): 204.
pub async fn revoke(
    directory: Guarded<RevokeToken, Directory>,
    path: web::Path<String>,
) -> HandlerResult<HttpResponse> {
    directory.revoke_token(path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /v2.0/HP-IDM/v1.0/tokens/{tokenId}` (HP): 200.
pub async fn revoke_hp(
    directory: Guarded<RevokeToken, Directory>,
    path: web::Path<String>,
) -> HandlerResult<HttpResponse> {
    directory.revoke_token(path.into_inner()).await?;
    Ok(HttpResponse::Ok().finish())
}
