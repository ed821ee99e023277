//! The HP-IDM admin API in JSON: registered services and endpoint templates.

use futures_util::Stream;
use reqwest::{Method, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::{decode, Client, Page};
use crate::error::{Error, Result};

const BASE: &str = "/v2.0/HP-IDM/v1.0";

/// A registered service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredService {
    pub id: String,
    #[serde(rename = "serviceName")]
    pub name: String,
    #[serde(rename = "serviceType")]
    pub service_type: String,
    #[serde(rename = "releaseState", skip_serializing_if = "Option::is_none")]
    pub release_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An endpoint template, as the server shows it (`{"endpointTemplate": {...}}`'s body).
pub type EndpointTemplate = Value;

#[derive(Clone)]
pub struct Admin {
    client: Client,
}

impl Admin {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    pub async fn service(&self, id: &str) -> Result<RegisteredService> {
        let body: Value = decode(
            self.client
                .root(Method::GET, &format!("{BASE}/services/{id}"), None)
                .await?,
        )
        .await?;
        unwrap(body, "registerService")
    }

    pub async fn register_service(&self, service: &RegisteredService) -> Result<RegisteredService> {
        let body = json!({ "registerService": service });
        let stored: Value = decode(
            self.client
                .root(Method::POST, &format!("{BASE}/services"), Some(&body))
                .await?,
        )
        .await?;
        unwrap(stored, "registerService")
    }

    pub async fn update_service(&self, service: &RegisteredService) -> Result<RegisteredService> {
        let body = json!({ "registerService": service });
        let path = format!("{BASE}/services/{}", service.id);
        let stored: Value =
            decode(self.client.root(Method::PUT, &path, Some(&body)).await?).await?;
        unwrap(stored, "registerService")
    }

    /// Every registered service, following the `Link: rel="next"` pages.
    pub fn services(&self) -> impl Stream<Item = Result<RegisteredService>> {
        let admin = self.clone();
        crate::paging::all(move |next| {
            let admin = admin.clone();
            async move {
                let path = next.unwrap_or_else(|| format!("{BASE}/services?limit=1000"));
                let response = admin.client.root(Method::GET, &path, None).await?;
                let next = next_link(&response);
                let body: Value = decode(response).await?;
                let values = body["registerServices"]["registerService"].clone();
                let values: Vec<RegisteredService> =
                    serde_json::from_value(values).map_err(Error::Decode)?;
                Ok(Page {
                    values,
                    next_marker: next,
                })
            }
        })
    }

    pub async fn template(&self, id: &str) -> Result<EndpointTemplate> {
        let body: Value = decode(
            self.client
                .root(Method::GET, &format!("{BASE}/endpointTemplates/{id}"), None)
                .await?,
        )
        .await?;
        unwrap(body, "endpointTemplate")
    }

    /// Adds a template (`id`, `name` of a registered service, `type`, `publicURL`, ...).
    pub async fn add_template(&self, template: &EndpointTemplate) -> Result<EndpointTemplate> {
        let body = json!({ "endpointTemplate": template });
        let stored: Value = decode(
            self.client
                .root(
                    Method::POST,
                    &format!("{BASE}/endpointTemplates"),
                    Some(&body),
                )
                .await?,
        )
        .await?;
        unwrap(stored, "endpointTemplate")
    }

    pub async fn update_template(
        &self,
        id: &str,
        template: &EndpointTemplate,
    ) -> Result<EndpointTemplate> {
        let body = json!({ "endpointTemplate": template });
        let path = format!("{BASE}/endpointTemplates/{id}");
        let stored: Value =
            decode(self.client.root(Method::PUT, &path, Some(&body)).await?).await?;
        unwrap(stored, "endpointTemplate")
    }

    pub async fn delete_template(&self, id: &str) -> Result<()> {
        self.client
            .root(
                Method::DELETE,
                &format!("{BASE}/endpointTemplates/{id}"),
                None,
            )
            .await?;
        Ok(())
    }

    /// Every endpoint template, following the `Link: rel="next"` pages.
    pub fn templates(&self) -> impl Stream<Item = Result<EndpointTemplate>> {
        let admin = self.clone();
        crate::paging::all(move |next| {
            let admin = admin.clone();
            async move {
                let path = next.unwrap_or_else(|| format!("{BASE}/endpointTemplates?limit=1000"));
                let response = admin.client.root(Method::GET, &path, None).await?;
                let next = next_link(&response);
                let body: Value = decode(response).await?;
                let values = body["endpointTemplates"]["endpointTemplate"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                Ok(Page {
                    values,
                    next_marker: next,
                })
            }
        })
    }
}

fn unwrap<T: serde::de::DeserializeOwned>(mut body: Value, key: &str) -> Result<T> {
    serde_json::from_value(body[key].take()).map_err(Error::Decode)
}

/// The path and query of `Link: <URL>; rel="next"`, if the answer has one.
fn next_link(response: &Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let url = link
        .split(';')
        .next()?
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map(|slash| after_scheme[slash..].to_owned())
}
