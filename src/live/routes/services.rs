//! `/services`, `/services/{id}`, `/services/{id}/heartbeat`.

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{HandlerResult, Query, Store, UnmeteredStore};
use crate::live::domain::ServiceId;
use crate::live::error::LiveError;
use crate::live::requests::{
    parse_body, tag_filter, CreateServiceRequest, HeartbeatRequest, Paging, UpdateServiceRequest,
};
use crate::live::views::{json, located, ListView, ServiceView, TokenView};
use crate::platform::http::absolute_url;

const ID_RULE: &str = "Must match ^[a-zA-Z0-9_.-]{3,65}$";

fn service_id(path: &web::Path<(String, String)>) -> HandlerResult<ServiceId> {
    ServiceId::parse(&path.1).ok_or_else(|| LiveError::invalid_parameter("serviceId", ID_RULE))
}

fn service_path(store: &Store, id: &ServiceId) -> String {
    format!("/v1.0/{}/services/{id}", store.tenant_id().get())
}

pub async fn create(
    store: Store,
    request: HttpRequest,
    body: web::Bytes,
) -> HandlerResult<HttpResponse> {
    let new = parse_body::<CreateServiceRequest>(request.headers(), &body)?.into_new()?;
    let location = absolute_url(&request, &service_path(&store, &new.id));
    let token = store.create_service(new).await?;
    let mut response = json(StatusCode::CREATED, &TokenView::from(token));
    response.headers_mut().insert(
        LOCATION,
        location
            .parse()
            .map_err(|_| LiveError::corrupt("location", "not a header"))?,
    );
    Ok(response)
}

pub async fn list(store: Store, request: HttpRequest, query: Query) -> HandlerResult<HttpResponse> {
    let paging = Paging::from_query(&query)?
        .marker_checked(|marker| ServiceId::parse(marker).is_some(), ID_RULE)?;
    let tag = tag_filter(&query)?;
    let page = store.services(tag, paging.marker, paging.size).await?;
    let views: Vec<ServiceView> = page.items.iter().map(ServiceView::from).collect();
    Ok(json(
        StatusCode::OK,
        &ListView::new(&request, views, paging.size, page.next),
    ))
}

pub async fn get(store: Store, path: web::Path<(String, String)>) -> HandlerResult<HttpResponse> {
    let service = store.service(service_id(&path)?).await?;
    Ok(json(StatusCode::OK, &ServiceView::from(&service)))
}

pub async fn update(
    store: Store,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HandlerResult<HttpResponse> {
    let id = service_id(&path)?;
    let changes =
        parse_body::<UpdateServiceRequest>(request.headers(), &body)?.into_changes(&id)?;
    store.update_service(id.clone(), changes).await?;
    Ok(located(
        StatusCode::NO_CONTENT,
        &request,
        &service_path(&store, &id),
    ))
}

pub async fn remove(
    store: Store,
    path: web::Path<(String, String)>,
) -> HandlerResult<HttpResponse> {
    store.remove_service(service_id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Not counted against the rate limit: see `crate::live::rate`.
pub async fn heartbeat(
    store: UnmeteredStore,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HandlerResult<HttpResponse> {
    let id = service_id(&path)?;
    let token = parse_body::<HeartbeatRequest>(request.headers(), &body)?.into_token()?;
    let next = store.heartbeat(id, token).await?;
    Ok(json(StatusCode::OK, &TokenView::from(next)))
}
