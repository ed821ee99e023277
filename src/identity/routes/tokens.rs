use actix_web::{web, HttpRequest};

use crate::identity::guard::offered_token;
use crate::identity::login::{client_address, Login};
use crate::identity::requests::{self, DOCUMENT};
use crate::identity::views::AccessView;
use crate::platform::http::{read_document, HandlerResult, Reply};

/// `POST /v2.0/tokens`: no token needed; the credential is the proof.
pub async fn authenticate(
    request: HttpRequest,
    payload: web::Payload,
    login: web::Data<Login>,
) -> HandlerResult<Reply<AccessView>> {
    let document = read_document(&request, payload, DOCUMENT).await?;
    let auth = requests::decode(&document)?;
    let client = client_address(&request);
    let header_token = offered_token(&request)?.map(str::to_owned);
    let issued = login.authenticate(auth, client, header_token).await?;
    Ok(Reply::ok(AccessView::from(issued)))
}
