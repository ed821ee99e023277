//! The client crate (`client/`, service-registry-client) against the real server: every
//! method, the HeartBeater, the events stream across a restart, re-authentication, and
//! `srctl`'s output.

mod heartbeater;
mod methods;
mod restart;
mod srctl;

use service_registry_client::{Client, Credentials};

use crate::helpers::*;

/// Tenant 7 (`acme`) with a DU member `alice` (default tenant acme, a password).
pub fn acme(app: &TestApp) {
    app.tenant("acme", 7);
    app.user("alice", "DU", &["acme"], Some("acme"));
}

/// A client authenticating as alice with her password.
pub fn alice(app: &TestApp) -> Client {
    Client::builder(&app.address)
        .credentials(Credentials::Password {
            username: "alice".into(),
            password: PASSWORD.into(),
        })
        .build()
        .unwrap()
}

/// A client with the app's SA token, acting in tenant 7.
pub fn admin(app: &TestApp) -> Client {
    Client::builder(&app.address)
        .credentials(Credentials::Token {
            token: app.token.clone(),
            tenant_id: "7".into(),
        })
        .build()
        .unwrap()
}
