use actix_web::{web, HttpRequest};

use crate::identity::credentials::{self, DOCUMENT};
use crate::identity::login::{client_address, Login};
use crate::identity::views::AccessView;
use crate::identity::IdentityError;
use crate::platform::http::{read_document, HandlerResult, Reply};

/// `POST /v2.0/tokens`: no token needed; the credential is the proof.
pub async fn authenticate(
    request: HttpRequest,
    payload: web::Payload,
    login: web::Data<Login>,
) -> HandlerResult<Reply<AccessView>> {
    let document = read_document(&request, payload, DOCUMENT).await?;
    let auth = credentials::decode(&document)?;
    let client = client_address(&request);
    let header_token = match request.headers().get_all("X-Auth-Token").count() {
        0 => None,
        1 => request
            .headers()
            .get("X-Auth-Token")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        _ => return Err(IdentityError::DuplicateToken.into()),
    };
    let issued = login.authenticate(auth, client, header_token).await?;
    Ok(Reply::ok(AccessView::from(issued)))
}
