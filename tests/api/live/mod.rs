//! The live registry (`/v1.0/{tenantId}`): one `LiveClient` per tenant and token, sending
//! JSON without a Content-Type header, as RSR's clients do.

mod cadence;
mod configuration;
mod durability;
mod events;
mod limits;
mod multinode;
mod outage;
mod protocol;
mod services;

use diesel::sql_types::{BigInt, Text};
use diesel::{OptionalExtension, RunQueryDsl};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use service_registry::identity::{PrincipalName, TenantId, TenantName, TenantRef};
use service_registry::platform::db::DbError;

use crate::helpers::reply::Reply;
use crate::helpers::*;

impl TestApp {
    /// Creates tenant `id` (named `tenant-ID`).
    pub fn live_tenant(&self, id: i64) -> i64 {
        let name = TenantName::parse(&format!("tenant-{id}")).unwrap();
        let id = TenantId::parse(&id.to_string()).unwrap();
        self.directory()
            .create_tenant(&name, Some(id), None)
            .unwrap()
            .get()
    }

    /// A client of tenant `tenant` with the SA token.
    pub fn live(&self, tenant: i64) -> LiveClient<'_> {
        self.live_as(tenant, &self.token)
    }

    pub fn live_as(&self, tenant: i64, token: &str) -> LiveClient<'_> {
        LiveClient {
            app: self,
            tenant,
            token: token.to_owned(),
        }
    }

    /// A DU principal that belongs to `tenant`, and its token.
    pub fn member_token(&self, name: &str, tenant: i64) -> String {
        let token = self.principal_token(name, &["DU"]);
        let tenant = TenantRef::Id(TenantId::parse(&tenant.to_string()).unwrap());
        self.directory()
            .grant_tenant(&PrincipalName::parse(name).unwrap(), &tenant)
            .unwrap();
        token
    }
}

pub struct LiveClient<'a> {
    pub app: &'a TestApp,
    pub tenant: i64,
    pub token: String,
}

impl LiveClient<'_> {
    pub fn url(&self, path: &str) -> String {
        format!("{}/v1.0/{}{path}", self.app.address, self.tenant)
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.url(path))
            .header("X-Auth-Token", &self.token)
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        Reply::from(request).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn create(&self, id: &str, timeout: u32) -> Reply {
        self.create_with(&json!({"id": id, "heartbeat_timeout": timeout}))
            .await
    }

    pub async fn create_with(&self, body: &Value) -> Reply {
        self.send(Method::POST, "/services", Some(body)).await
    }

    /// Sends until a node serves it, as RSR's clients do: an answer of 503 or 408 (a node
    /// past its database deadline on a loaded machine) is sent again. Also whether one was
    /// refused so: such a write may have committed after all.
    pub async fn send_until_served(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (Reply, bool) {
        let mut refused = false;
        for _ in 0..100 {
            let reply = self.send(method.clone(), path, body).await;
            if !matches!(
                reply.status,
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT
            ) {
                return (reply, refused);
            }
            refused = true;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{method} {path}: refused 100 times in a row");
    }

    /// Creates a service and returns its first heartbeat token.
    pub async fn created(&self, id: &str, timeout: u32) -> String {
        let reply = self.create(id, timeout).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.json()["token"].as_str().unwrap().to_owned()
    }

    /// The deadline the registry holds for service `id` (its database row), while it has
    /// one: what its `service.timeout` will be stamped with.
    pub fn deadline(&self, id: &str) -> Option<i64> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            deadline: i64,
        }
        self.app
            .database
            .with_connection(|conn| {
                diesel::sql_query(
                    "SELECT deadline FROM live_services WHERE tenant_id = $1 AND id = $2",
                )
                .bind::<BigInt, _>(self.tenant)
                .bind::<Text, _>(id)
                .get_result::<Row>(conn)
                .optional()
                .map_err(DbError::from)
            })
            .unwrap()
            .map(|row| row.deadline)
    }

    pub async fn heartbeat(&self, id: &str, token: &str) -> Reply {
        self.send(
            Method::POST,
            &format!("/services/{id}/heartbeat"),
            Some(&json!({ "token": token })),
        )
        .await
    }

    pub async fn set_value(&self, id: &str, value: &str) -> Reply {
        self.send(
            Method::PUT,
            &format!("/configuration/{id}"),
            Some(&json!({ "value": value })),
        )
        .await
    }

    /// Every event of the feed (the default window), in order.
    pub async fn events(&self, query: &str) -> Vec<Value> {
        let reply = self.get(&format!("/events{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()["values"].as_array().unwrap().clone()
    }

    /// The ids listed by `path` (a list route), following `next_marker` to the end.
    pub async fn all_ids(&self, path: &str, page: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let separator = if path.contains('?') { '&' } else { '?' };
            let query = match &marker {
                Some(marker) => format!("{path}{separator}limit={page}&marker={marker}"),
                None => format!("{path}{separator}limit={page}"),
            };
            let reply = self.get(&query).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let document = reply.json();
            for value in document["values"].as_array().unwrap() {
                ids.push(value["id"].as_str().unwrap().to_owned());
            }
            match document["metadata"]["next_marker"].as_str() {
                Some(next) => marker = Some(next.to_owned()),
                None => return ids,
            }
        }
    }
}

impl Reply {
    /// RSR's fault: (type, message, details), after checking code and txnId.
    pub fn rsr_fault(&self) -> (String, String, String) {
        let fault = self.json();
        assert_eq!(fault["code"], self.status.as_u16(), "{}", self.body);
        assert_eq!(
            fault["txnId"].as_str(),
            self.header("x-response-id"),
            "txnId is the X-Response-Id"
        );
        let text = |key: &str| fault[key].as_str().unwrap().to_owned();
        (text("type"), text("message"), text("details"))
    }
}
