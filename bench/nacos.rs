//! rnacos (a Nacos server in Rust) as a fleet's peer, over Nacos's HTTP open API as its
//! v1 clients speak it: an ephemeral instance registered with `POST /nacos/v1/ns/instance`
//! and kept with a light beat, `PUT /nacos/v1/ns/instance/beat`, every 5 s.
//!
//! A fleet's instance `{prefix}-{n}` is instance n of service `{prefix}.{n / 100}` (a
//! hundred instances a service, as a fleet of replicas), at 10.x.y.z:8080 from n. Whether
//! an instance timed out is read from the catalog (`GET /nacos/v1/ns/catalog/services`:
//! each service's instances and healthy instances): a beat never says so, since a beat
//! of a removed instance registers it again.

use std::time::Duration;

use serde_json::Value;

/// Instances per service.
const PER_SERVICE: usize = 100;

#[derive(Clone)]
pub struct Nacos {
    pub client: reqwest::Client,
    /// `http://HOST:PORT/nacos/v1/ns`.
    pub base: String,
}

/// The query naming one instance of a fleet.
fn instance(id: &str) -> [(&'static str, String); 4] {
    let (prefix, n) = id.rsplit_once('-').expect("a fleet's id is PREFIX-N");
    let n: usize = n.parse().expect("a fleet's id ends in its number");
    [
        ("serviceName", format!("{prefix}.{}", n / PER_SERVICE)),
        (
            "ip",
            format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
        ),
        ("port", "8080".to_owned()),
        ("ephemeral", "true".to_owned()),
    ]
}

impl Nacos {
    /// Registers `id`, trying again for up to a minute while rnacos cannot answer.
    pub async fn register(&self, id: &str) {
        let mut last = String::new();
        for _ in 0..240 {
            let sent = self
                .client
                .post(format!("{}/instance", self.base))
                .query(&instance(id))
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => return,
                Ok(response) => last = format!("{}", response.status()),
                Err(error) => last = format!("{error:?}"),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("could not register {id} with rnacos: {last}");
    }

    /// A light beat, as Nacos's v1 clients send when the server allows it; the status that
    /// refused it otherwise (0: no answer).
    pub async fn beat(&self, id: &str) -> Result<(), u16> {
        let sent = self
            .client
            .put(format!("{}/instance/beat", self.base))
            .query(&instance(id))
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                let body: Value = response.json().await.unwrap_or(Value::Null);
                match body["code"].as_i64() {
                    Some(10200) => Ok(()),
                    _ => {
                        eprintln!("beat of {id} answered {body}");
                        Err(200)
                    }
                }
            }
            Ok(response) => Err(response.status().as_u16()),
            Err(error) => {
                eprintln!("beat of {id} failed: {error}");
                Err(0)
            }
        }
    }

    /// Deregisters `id`; the status, 0 without an answer.
    pub async fn remove(&self, id: &str) -> u16 {
        self.client
            .delete(format!("{}/instance", self.base))
            .query(&instance(id))
            .send()
            .await
            .map_or(0, |response| response.status().as_u16())
    }

    /// How many of the fleet's `count` instances are unhealthy or gone right now, from the
    /// catalog's counts per service; `None` when rnacos did not answer.
    pub async fn unhealthy(&self, prefix: &str, count: usize) -> Option<usize> {
        let page: Value = self
            .client
            .get(format!("{}/catalog/services", self.base))
            .query(&[("serviceNameParam", format!("{prefix}."))])
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let healthy: u64 = page["serviceList"]
            .as_array()?
            .iter()
            .filter_map(|service| service["healthyInstanceCount"].as_u64())
            .sum();
        Some(count.saturating_sub(healthy as usize))
    }
}
