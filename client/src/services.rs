//! Live services: create, read, list, update, delete, heartbeat, and `register`, which
//! hands back a [`HeartBeater`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::Stream;
use reqwest::Method;
use serde_json::{json, Value};

use crate::client::{decode, encode, page, query, Client, Page};
use crate::error::Result;
use crate::heartbeater::HeartBeater;
use crate::retry;
use crate::types::{NewService, Service, ServiceUpdate};

#[derive(Clone)]
pub struct Services {
    client: Client,
}

impl Services {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Creates a service; returns its first heartbeat token.
    pub async fn create(&self, service: &NewService) -> Result<String> {
        let body = serde_json::to_value(service).unwrap_or(Value::Null);
        let created: Value = decode(
            self.client
                .live(Method::POST, "/services", Some(&body))
                .await?,
        )
        .await?;
        token_of(&created)
    }

    pub async fn get(&self, id: &str) -> Result<Service> {
        self.client
            .live_json(Method::GET, &format!("/services/{}", encode(id)), None)
            .await
    }

    /// One page, from `marker` (inclusive), with tag `tag` if given.
    pub async fn list_page(
        &self,
        tag: Option<&str>,
        marker: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Service>> {
        let query = query(&[
            ("tag", tag.map(str::to_owned)),
            ("marker", marker.map(str::to_owned)),
            ("limit", limit.map(|l| l.to_string())),
        ]);
        page(self.client.live_get("/services", &query).await?).await
    }

    /// Every live service, page after page.
    pub fn list(&self) -> impl Stream<Item = Result<Service>> {
        let services = self.clone();
        crate::paging::all(move |marker| {
            let services = services.clone();
            async move {
                services
                    .list_page(None, marker.as_deref(), Some(1000))
                    .await
            }
        })
    }

    /// Every live service with `tag`.
    pub fn list_by_tag(&self, tag: &str) -> impl Stream<Item = Result<Service>> {
        let (services, tag) = (self.clone(), tag.to_owned());
        crate::paging::all(move |marker| {
            let (services, tag) = (services.clone(), tag.clone());
            async move {
                services
                    .list_page(Some(&tag), marker.as_deref(), Some(1000))
                    .await
            }
        })
    }

    pub async fn update(&self, id: &str, update: &ServiceUpdate) -> Result<()> {
        let body = serde_json::to_value(update).unwrap_or(Value::Null);
        self.client
            .live(
                Method::PUT,
                &format!("/services/{}", encode(id)),
                Some(&body),
            )
            .await?;
        Ok(())
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        self.client
            .live(Method::DELETE, &format!("/services/{}", encode(id)), None)
            .await?;
        Ok(())
    }

    /// Spends `token`; returns the next one.
    pub async fn heartbeat(&self, id: &str, token: &str) -> Result<String> {
        let body = json!({ "token": token });
        let next: Value = self
            .client
            .live_json(
                Method::POST,
                &format!("/services/{}/heartbeat", encode(id)),
                Some(&body),
            )
            .await?;
        token_of(&next)
    }

    /// Creates the service and returns it with a [`HeartBeater`] (not started). While the
    /// id still belongs to a previous instance that has not timed out (a restart faster
    /// than the timeout), it retries until that one is gone, as the seed's clients do.
    pub async fn register(
        &self,
        id: &str,
        heartbeat_timeout: u32,
        tags: Vec<String>,
        metadata: BTreeMap<String, String>,
    ) -> Result<(Service, HeartBeater)> {
        let new = NewService {
            id: id.to_owned(),
            heartbeat_timeout,
            tags,
            metadata,
        };
        let give_up = Instant::now() + Duration::from_secs(u64::from(heartbeat_timeout) + 5);
        let mut delays = retry::delays();
        let token = loop {
            match self.create(&new).await {
                Err(error)
                    if error
                        .fault()
                        .is_some_and(|f| f.kind == "serviceWithThisIdExists")
                        && Instant::now() < give_up =>
                {
                    tokio::time::sleep(retry::next(&mut delays)).await;
                }
                outcome => break outcome?,
            }
        };
        let service = Service {
            id: new.id,
            heartbeat_timeout,
            tags: new.tags,
            metadata: new.metadata,
            last_seen: None,
        };
        let heartbeater = HeartBeater::new(
            self.client.clone(),
            service.id.clone(),
            heartbeat_timeout,
            token,
        );
        Ok((service, heartbeater))
    }
}

fn token_of(body: &Value) -> Result<String> {
    body["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or(crate::Error::Missing("heartbeat token"))
}
