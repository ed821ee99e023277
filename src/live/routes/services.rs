//! `/services`, `/services/{id}`, `/services/{id}/heartbeat`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest};

use super::{HandlerResult, Query, Store, UnmeteredStore};
use crate::live::domain::ServiceId;
use crate::live::error::LiveError;
use crate::live::requests::{
    parse_body, tag_filter, CreateServiceRequest, HeartbeatRequest, Paging, UpdateServiceRequest,
};
use crate::live::views::{ListView, ServiceView, TokenView};
use crate::platform::http::{absolute_url, arrival, Json, Reply};

fn service_id(path: &web::Path<(String, String)>) -> Result<ServiceId, LiveError> {
    ServiceId::parse(&path.1)
        .ok_or_else(|| LiveError::invalid_parameter("serviceId", ServiceId::RULE))
}

/// The service's full URL, as the client reached us.
fn service_url(request: &HttpRequest, store: &Store, id: &ServiceId) -> Option<String> {
    let path = format!("/v1.0/{}/services/{id}", store.tenant_id().get());
    Some(absolute_url(request, &path))
}

pub async fn create(
    store: Store,
    request: HttpRequest,
    body: web::Bytes,
) -> HandlerResult<Reply<Json>> {
    let new = parse_body::<CreateServiceRequest>(request.headers(), &body)?.into_new()?;
    let location = service_url(&request, &store, &new.id);
    let token = store.create_service(new).await?;
    Ok(Reply::created(Json::of(&TokenView::from(token))).header(LOCATION, location))
}

pub async fn list(store: Store, request: HttpRequest, query: Query) -> HandlerResult<Reply<Json>> {
    let paging = Paging::from_query(&query)?
        .marker_checked(|marker| ServiceId::parse(marker).is_some(), ServiceId::RULE)?;
    let tag = tag_filter(&query)?;
    let page = store
        .services(tag, paging.marker.clone(), paging.size)
        .await?;
    Ok(ListView::reply(&request, &paging, &page, ServiceView::from))
}

pub async fn get(store: Store, path: web::Path<(String, String)>) -> HandlerResult<Reply<Json>> {
    let service = store.service(service_id(&path)?).await?;
    Ok(Reply::ok(Json::of(&ServiceView::from(&service))))
}

pub async fn update(
    store: Store,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HandlerResult<Reply<()>> {
    let id = service_id(&path)?;
    let changes =
        parse_body::<UpdateServiceRequest>(request.headers(), &body)?.into_changes(&id)?;
    store.update_service(id.clone(), changes).await?;
    Ok(Reply::no_content().header(LOCATION, service_url(&request, &store, &id)))
}

pub async fn remove(store: Store, path: web::Path<(String, String)>) -> HandlerResult<Reply<()>> {
    store.remove_service(service_id(&path)?).await?;
    Ok(Reply::no_content())
}

/// Not counted against the rate limit: see `crate::live::rate`.
pub async fn heartbeat(
    store: UnmeteredStore,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HandlerResult<Reply<Json>> {
    let id = service_id(&path)?;
    let token = parse_body::<HeartbeatRequest>(request.headers(), &body)?.into_token()?;
    let next = store.heartbeat(id, token, arrival(&request)).await?;
    Ok(Reply::ok(Json::of(&TokenView::from(next))))
}
