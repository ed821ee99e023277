//! The client: one HTTP connection pool, the authenticator, and the requests every part of
//! the API is made of.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::admin::Admin;
use crate::auth::{Authenticator, Credentials, Session};
use crate::configuration::Configuration;
use crate::error::{fault_of, Error, Result};
use crate::events::Events;
use crate::services::Services;

/// A client of one registry. Cheap to clone; clones share connections and the token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    registry_url: String,
    auth: Authenticator,
}

/// How long one request may take unless [`ClientBuilder::timeout`] says otherwise: 90 s,
/// more than the longest long poll of the events feed (60 s) and its answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(90);

/// Builds a [`Client`]: the identity URL (`POST /v2.0/tokens`), credentials, and the
/// registry's URL when it is another server.
pub struct ClientBuilder {
    identity_url: String,
    registry_url: Option<String>,
    credentials: Option<Credentials>,
    tenant_id: Option<String>,
    timeout: Duration,
}

impl ClientBuilder {
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The tenant to scope tokens to (else the principal's default tenant).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// The live registry's and HP-IDM API's server, when not the identity server.
    pub fn registry_url(mut self, url: impl Into<String>) -> Self {
        self.registry_url = Some(url.into());
        self
    }

    /// How long one request may take (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn build(self) -> Result<Client> {
        let credentials = self
            .credentials
            .ok_or(Error::Usage("no credentials given"))?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(Error::Transport)?;
        let identity_url = self.identity_url.trim_end_matches('/').to_owned();
        let registry_url = self.registry_url.map_or_else(
            || identity_url.clone(),
            |url| url.trim_end_matches('/').to_owned(),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                registry_url,
                auth: Authenticator::new(identity_url, credentials, self.tenant_id),
            }),
        })
    }
}

/// A page of a live-registry list, and the marker of the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub values: Vec<T>,
    pub next_marker: Option<String>,
}

impl Client {
    pub fn builder(identity_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            identity_url: identity_url.into(),
            registry_url: None,
            credentials: None,
            tenant_id: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn services(&self) -> Services {
        Services::new(self.clone())
    }

    pub fn configuration(&self) -> Configuration {
        Configuration::new(self.clone())
    }

    pub fn events(&self) -> Events {
        Events::new(self.clone())
    }

    /// The HP-IDM admin API (registered services, endpoint templates).
    pub fn admin(&self) -> Admin {
        Admin::new(self.clone())
    }

    /// The tenant's limits and this window's usage.
    pub async fn limits(&self) -> Result<crate::Limits> {
        self.live_json(Method::GET, "/limits", None).await
    }

    /// The tenant this client acts in (authenticating if needed).
    pub async fn tenant_id(&self) -> Result<String> {
        Ok(self.session().await?.tenant_id)
    }

    async fn session(&self) -> Result<Session> {
        self.inner.auth.session(&self.inner.http).await
    }

    /// A request under `/v1.0/{tenant}`; a 401 is retried once with a new token.
    pub(crate) async fn live(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response> {
        self.send(method, |tenant| format!("/v1.0/{tenant}{path}"), &[], body)
            .await
    }

    /// A `GET` under `/v1.0/{tenant}` with a query string (encoded by reqwest).
    pub(crate) async fn live_get(&self, path: &str, query: &Query) -> Result<Response> {
        self.send(
            Method::GET,
            |tenant| format!("/v1.0/{tenant}{path}"),
            query,
            None,
        )
        .await
    }

    pub(crate) async fn live_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T> {
        decode(self.live(method, path, body).await?).await
    }

    /// A request to `path` (from the server's root).
    pub(crate) async fn root(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response> {
        let path = path.to_owned();
        self.send(method, move |_| path.clone(), &[], body).await
    }

    async fn send(
        &self,
        method: Method,
        path: impl Fn(&str) -> String,
        query: &Query,
        body: Option<&Value>,
    ) -> Result<Response> {
        let mut retried = false;
        loop {
            let session = self.session().await?;
            let url = format!("{}{}", self.inner.registry_url, path(&session.tenant_id));
            let mut request = self
                .inner
                .http
                .request(method.clone(), url)
                .header("X-Auth-Token", &session.token)
                .header("Accept", "application/json");
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(body) = body {
                request = request
                    .header("Content-Type", "application/json")
                    .body(body.to_string());
            }
            let response = request.send().await.map_err(Error::Transport)?;
            if response.status() == 401 && !retried && self.inner.auth.refused(&session.token).await
            {
                retried = true;
                continue;
            }
            if response.status().is_success() {
                return Ok(response);
            }
            return Err(Error::Api(fault_from(response).await));
        }
    }
}

async fn fault_from(response: Response) -> crate::error::Fault {
    let status = response.status().as_u16();
    let txn_id = response
        .headers()
        .get("x-response-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    fault_of(status, txn_id, &body)
}

pub(crate) async fn decode<T: DeserializeOwned>(response: Response) -> Result<T> {
    let bytes = response.bytes().await.map_err(Error::Transport)?;
    serde_json::from_slice(&bytes).map_err(Error::Decode)
}

/// `{"values": [...], "metadata": {"next_marker": ...}}` as a [`Page`].
pub(crate) async fn page<T: DeserializeOwned>(response: Response) -> Result<Page<T>> {
    #[derive(serde::Deserialize)]
    struct Wire<T> {
        values: Vec<T>,
        metadata: Metadata,
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        next_marker: Option<String>,
    }
    let wire: Wire<T> = decode(response).await?;
    Ok(Page {
        values: wire.values,
        next_marker: wire.metadata.next_marker,
    })
}

/// Query parameters of a request, those given only.
pub(crate) type Query = [(&'static str, String)];

/// The parameters that have a value.
pub(crate) fn query(pairs: &[(&'static str, Option<String>)]) -> Vec<(&'static str, String)> {
    pairs
        .iter()
        .filter_map(|(key, value)| value.clone().map(|value| (*key, value)))
        .collect()
}

/// Percent-encodes everything but unreserved characters and `/` (ids may hold slashes).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
