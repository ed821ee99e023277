//! `/configuration`, `/configuration/{id}` and namespace listings
//! (`/configuration/{namespace}/`, so ids with namespaces make double slashes).

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest};

use super::{HandlerResult, Query, Store};
use crate::live::domain::{ConfigurationId, Namespace};
use crate::live::error::LiveError;
use crate::live::requests::{parse_body, Paging, SetValueRequest};
use crate::live::views::{ListView, ValueView};
use crate::platform::http::{absolute_url, Json, Reply};

fn configuration_id(path: &web::Path<(String, String)>) -> Result<ConfigurationId, LiveError> {
    ConfigurationId::parse(&path.1)
        .ok_or_else(|| LiveError::invalid_parameter("configurationId", ConfigurationId::RULE))
}

pub async fn list_all(
    store: Store,
    request: HttpRequest,
    query: Query,
) -> HandlerResult<Reply<Json>> {
    list(store, request, query, None).await
}

async fn list(
    store: Store,
    request: HttpRequest,
    query: Query,
    namespace: Option<Namespace>,
) -> HandlerResult<Reply<Json>> {
    let paging = Paging::from_query(&query)?.marker_checked(
        |marker| ConfigurationId::parse(marker).is_some(),
        ConfigurationId::RULE,
    )?;
    let page = store
        .values(namespace, paging.marker.clone(), paging.size)
        .await?;
    Ok(ListView::reply(&request, &paging, &page, |(id, value)| {
        ValueView { id, value }
    }))
}

/// A value, or with a trailing slash the values inside that namespace.
pub async fn get(
    store: Store,
    request: HttpRequest,
    query: Query,
    path: web::Path<(String, String)>,
) -> HandlerResult<Reply<Json>> {
    if path.1.is_empty() {
        return list(store, request, query, None).await;
    }
    if path.1.ends_with('/') {
        // RSR's clients send the namespace without its leading slash
        // (`configuration/rsr/python/`); no id is namespaced without one, so both read alike.
        let rooted = if path.1.starts_with('/') {
            path.1.clone()
        } else {
            format!("/{}", path.1)
        };
        let namespace = Namespace::parse(&rooted).ok_or_else(|| {
            LiveError::invalid_parameter("configurationId", ConfigurationId::RULE)
        })?;
        return list(store, request, query, Some(namespace)).await;
    }
    let id = configuration_id(&path)?;
    let value = store.value(id.clone()).await?;
    Ok(Reply::ok(Json::of(&ValueView {
        id: id.as_str(),
        value: &value,
    })))
}

pub async fn set(
    store: Store,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HandlerResult<Reply<()>> {
    let id = configuration_id(&path)?;
    let value = parse_body::<SetValueRequest>(request.headers(), &body)?.into_value()?;
    store.set_value(id.clone(), value).await?;
    let location = format!("/v1.0/{}/configuration/{id}", store.tenant_id().get());
    Ok(Reply::no_content().header(LOCATION, Some(absolute_url(&request, &location))))
}

pub async fn remove(store: Store, path: web::Path<(String, String)>) -> HandlerResult<Reply<()>> {
    store.remove_value(configuration_id(&path)?).await?;
    Ok(Reply::no_content())
}
