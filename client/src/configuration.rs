//! Configuration values: `/configuration`, namespaced ids (`/production/db/host`).

use futures_util::Stream;
use reqwest::Method;
use serde_json::json;

use crate::client::{encode, page, query, Client, Page};
use crate::error::Result;
use crate::types::ConfigurationValue;

#[derive(Clone)]
pub struct Configuration {
    client: Client,
}

impl Configuration {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    pub async fn get(&self, id: &str) -> Result<ConfigurationValue> {
        self.client
            .live_json(Method::GET, &format!("/configuration/{}", encode(id)), None)
            .await
    }

    /// Creates or updates a value.
    pub async fn set(&self, id: &str, value: &str) -> Result<()> {
        let body = json!({ "value": value });
        self.client
            .live(
                Method::PUT,
                &format!("/configuration/{}", encode(id)),
                Some(&body),
            )
            .await?;
        Ok(())
    }

    pub async fn remove(&self, id: &str) -> Result<()> {
        self.client
            .live(
                Method::DELETE,
                &format!("/configuration/{}", encode(id)),
                None,
            )
            .await?;
        Ok(())
    }

    /// One page of every value (or of the values inside `namespace`, like `/production/`).
    pub async fn list_page(
        &self,
        namespace: Option<&str>,
        marker: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<ConfigurationValue>> {
        let base = match namespace {
            Some(namespace) => format!("/configuration/{}", encode(&with_slashes(namespace))),
            None => "/configuration".to_owned(),
        };
        let query = query(&[
            ("marker", marker.map(str::to_owned)),
            ("limit", limit.map(|l| l.to_string())),
        ]);
        page(self.client.live_get(&base, &query).await?).await
    }

    /// Every value (of `namespace`, if given), page after page.
    pub fn list(&self, namespace: Option<&str>) -> impl Stream<Item = Result<ConfigurationValue>> {
        let (configuration, namespace) = (self.clone(), namespace.map(str::to_owned));
        crate::paging::all(move |marker| {
            let (configuration, namespace) = (configuration.clone(), namespace.clone());
            async move {
                configuration
                    .list_page(namespace.as_deref(), marker.as_deref(), Some(1000))
                    .await
            }
        })
    }
}

/// `/a/b` or `a/b/` as the namespace `/a/b/`.
fn with_slashes(namespace: &str) -> String {
    let trimmed = namespace.trim_matches('/');
    format!("/{trimmed}/")
}
