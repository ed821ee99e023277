//! Credentials and the token they buy: obtained from `POST /v2.0/tokens`, renewed shortly
//! before it expires and once after a 401, never written to a log (`Debug` masks secrets).

use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::error::{Error, Result};

/// How to authenticate.
#[derive(Clone)]
pub enum Credentials {
    Password {
        username: String,
        password: String,
    },
    /// Rackspace's API key (what RSR's clients send).
    ApiKey {
        username: String,
        api_key: String,
    },
    /// HP's access key pair.
    AccessKey {
        access_key: String,
        secret_key: String,
    },
    /// A token obtained elsewhere, used as is (it cannot be renewed), with its tenant.
    Token {
        token: String,
        tenant_id: String,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"***")
                .finish(),
            Self::ApiKey { username, .. } => f
                .debug_struct("ApiKey")
                .field("username", username)
                .field("api_key", &"***")
                .finish(),
            Self::AccessKey { access_key, .. } => f
                .debug_struct("AccessKey")
                .field("access_key", access_key)
                .field("secret_key", &"***")
                .finish(),
            Self::Token { tenant_id, .. } => f
                .debug_struct("Token")
                .field("token", &"***")
                .field("tenant_id", tenant_id)
                .finish(),
        }
    }
}

impl Credentials {
    fn body(&self, tenant_id: Option<&str>) -> Value {
        let mut auth = match self {
            Self::Password { username, password } => {
                json!({"passwordCredentials": {"username": username, "password": password}})
            }
            Self::ApiKey { username, api_key } => {
                json!({"RAX-KSKEY:apiKeyCredentials": {"username": username, "apiKey": api_key}})
            }
            Self::AccessKey {
                access_key,
                secret_key,
            } => {
                json!({"apiAccessKeyCredentials": {"accessKey": access_key, "secretKey": secret_key}})
            }
            Self::Token { token, .. } => json!({"token": {"id": token}}),
        };
        if let Some(tenant) = tenant_id {
            auth["tenantId"] = json!(tenant);
        }
        json!({ "auth": auth })
    }
}

/// A token and the tenant it acts in.
#[derive(Clone)]
pub(crate) struct Session {
    pub token: String,
    pub tenant_id: String,
    expires: Option<SystemTime>,
}

impl Session {
    /// Renewed once less than a tenth of its life (at most a minute) remains.
    fn fresh(&self, lifetime: Duration) -> bool {
        let margin = (lifetime / 10).min(Duration::from_secs(60));
        self.expires
            .is_none_or(|expires| SystemTime::now() + margin < expires)
    }
}

pub(crate) struct Authenticator {
    identity_url: String,
    credentials: Credentials,
    tenant_id: Option<String>,
    current: Mutex<Option<(Session, Duration)>>,
}

impl Authenticator {
    pub fn new(identity_url: String, credentials: Credentials, tenant_id: Option<String>) -> Self {
        Self {
            identity_url,
            credentials,
            tenant_id,
            current: Mutex::new(None),
        }
    }

    /// The current session, authenticating first if there is none or it is about to end.
    pub async fn session(&self, http: &reqwest::Client) -> Result<Session> {
        let mut current = self.current.lock().await;
        if let Some((session, lifetime)) = current.as_ref() {
            if session.fresh(*lifetime) {
                return Ok(session.clone());
            }
        }
        let session = self
            .authenticate(http)
            .await
            .map_err(|e| Error::Auth(Box::new(e)))?;
        let lifetime = session
            .expires
            .and_then(|expires| expires.duration_since(SystemTime::now()).ok())
            .unwrap_or(Duration::MAX);
        *current = Some((session.clone(), lifetime));
        Ok(session)
    }

    /// The server refused `token` (401): forget it, so the next call authenticates again.
    /// Whether that can help (a given token cannot be renewed).
    pub async fn refused(&self, token: &str) -> bool {
        if let Credentials::Token { .. } = self.credentials {
            return false;
        }
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|(s, _)| s.token == token) {
            *current = None;
        }
        true
    }

    async fn authenticate(&self, http: &reqwest::Client) -> Result<Session> {
        if let Credentials::Token { token, tenant_id } = &self.credentials {
            return Ok(Session {
                token: token.clone(),
                tenant_id: tenant_id.clone(),
                expires: None,
            });
        }
        let response = http
            .post(format!("{}/v2.0/tokens", self.identity_url))
            .header("Accept", "application/json")
            .json(&self.credentials.body(self.tenant_id.as_deref()))
            .send()
            .await
            .map_err(Error::Transport)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(Error::Transport)?;
        if status != 200 {
            return Err(Error::Api(crate::error::fault_of(status, None, &body)));
        }
        let access: Value = serde_json::from_str(&body).map_err(Error::Decode)?;
        let token = &access["access"]["token"];
        let id = token["id"].as_str().ok_or(Error::Missing("token id"))?;
        let tenant_id = token["tenant"]["id"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| self.tenant_id.clone())
            .ok_or(Error::Usage(
                "the token is not scoped to a tenant; give a tenant id",
            ))?;
        let expires = token["expires"]
            .as_str()
            .and_then(|text| humantime::parse_rfc3339_weak(text).ok());
        Ok(Session {
            token: id.to_owned(),
            tenant_id,
            expires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_read_as_utc_with_milliseconds() {
        let parsed = humantime::parse_rfc3339_weak("2026-11-23T21:42:59.455Z").unwrap();
        let millis = parsed
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        assert_eq!(millis, 1_795_470_179_455);
    }

    #[test]
    fn a_session_is_renewed_before_it_ends() {
        let session = |left: Duration| Session {
            token: "t".into(),
            tenant_id: "7".into(),
            expires: Some(SystemTime::now() + left),
        };
        let hour = Duration::from_secs(3600);
        assert!(session(Duration::from_secs(120)).fresh(hour));
        assert!(
            !session(Duration::from_secs(30)).fresh(hour),
            "within the last minute"
        );
        assert!(
            !session(Duration::from_millis(200)).fresh(Duration::from_secs(3)),
            "within the last tenth"
        );
    }
}
