//! Every method of the client, and its authentication.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use service_registry::identity::PrincipalName;
use service_registry_client::{Client, Credentials, NewService, RegisteredService, ServiceUpdate};

use super::{acme, admin, alice};
use crate::helpers::*;

on_both_backends!(
    every_live_registry_method_works,
    the_admin_api_works_in_json,
    every_credential_kind_authenticates_and_secrets_are_masked,
    tokens_are_renewed_before_expiry_and_after_a_401,
);

async fn every_live_registry_method_works(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    acme(&app);
    let client = alice(&app);
    assert_eq!(client.tenant_id().await.unwrap(), "7", "the default tenant");
    let services = client.services();
    for n in 0..3 {
        let token = services
            .create(&NewService {
                id: format!("svc-{n}"),
                heartbeat_timeout: 30,
                tags: if n == 1 {
                    vec!["db".into()]
                } else {
                    vec!["api".into()]
                },
                metadata: BTreeMap::from([("n".into(), n.to_string())]),
            })
            .await
            .unwrap();
        if n == 0 {
            let next = services.heartbeat("svc-0", &token).await.unwrap();
            assert_ne!(next, token);
            let refused = services.heartbeat("svc-0", &token).await.unwrap_err();
            let fault = refused.fault().unwrap();
            assert_eq!((fault.status, fault.kind.as_str()), (404, "notFoundError"));
            assert!(fault.txn_id.is_some());
        }
    }
    let duplicate = services
        .create(&NewService {
            id: "svc-0".into(),
            heartbeat_timeout: 30,
            ..NewService::default()
        })
        .await
        .unwrap_err();
    assert_eq!(duplicate.fault().unwrap().kind, "serviceWithThisIdExists");

    let service = services.get("svc-0").await.unwrap();
    assert_eq!(service.tags, ["api"]);
    assert!(service.last_seen.is_some());
    let all: Vec<String> = services.list().map(|s| s.unwrap().id).collect().await;
    assert_eq!(all, ["svc-0", "svc-1", "svc-2"]);
    let page = services.list_page(None, None, Some(2)).await.unwrap();
    assert_eq!(page.values.len(), 2);
    assert_eq!(page.next_marker.as_deref(), Some("svc-2"));
    let tagged: Vec<String> = services
        .list_by_tag("api")
        .map(|s| s.unwrap().id)
        .collect()
        .await;
    assert_eq!(tagged, ["svc-0", "svc-2"]);
    services
        .update(
            "svc-2",
            &ServiceUpdate {
                tags: Some(vec![]),
                ..ServiceUpdate::default()
            },
        )
        .await
        .unwrap();
    assert!(services.get("svc-2").await.unwrap().tags.is_empty());
    services.delete("svc-2").await.unwrap();
    assert!(services.get("svc-2").await.unwrap_err().is_not_found());

    let configuration = client.configuration();
    configuration
        .set("/prod/dbs/host", "10.0.0.1")
        .await
        .unwrap();
    configuration
        .set("/prod/dbsx/host", "10.0.0.2")
        .await
        .unwrap();
    configuration.set("plain", "x").await.unwrap();
    assert_eq!(
        configuration.get("/prod/dbs/host").await.unwrap().value,
        "10.0.0.1"
    );
    let inside: Vec<String> = configuration
        .list(Some("/prod/dbs/"))
        .map(|v| v.unwrap().id)
        .collect()
        .await;
    assert_eq!(inside, ["/prod/dbs/host"]);
    assert_eq!(configuration.list(None).collect::<Vec<_>>().await.len(), 3);
    configuration.remove("plain").await.unwrap();
    assert!(configuration.get("plain").await.unwrap_err().is_not_found());

    let limits = client.limits().await.unwrap();
    assert_eq!(limits.resource.service, 200);
    assert!(limits.rate["/.*"].used > 10);

    let events = client.events().list_page(None, None, None).await.unwrap();
    let kinds: Vec<&str> = events.values.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "service.join",
            "service.join",
            "service.join",
            "service.remove",
            "configuration_value.update",
            "configuration_value.update",
            "configuration_value.update",
            "configuration_value.remove"
        ]
    );
    let joins = client
        .events()
        .list_page(None, Some("service.join"), Some(2))
        .await
        .unwrap();
    assert_eq!(joins.values.len(), 2);
    assert_eq!(
        joins.next_marker.as_deref(),
        Some(events.values[2].id.as_str())
    );
}

async fn the_admin_api_works_in_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    acme(&app);
    let admin = admin(&app).admin();
    for (id, name) in [("100", "Nova"), ("200", "Swift"), ("300", "Glance")] {
        let stored = admin
            .register_service(&RegisteredService {
                id: id.into(),
                name: name.into(),
                service_type: "compute".into(),
                release_state: Some("public".into()),
                description: None,
            })
            .await
            .unwrap();
        assert_eq!(stored.name, name);
    }
    assert_eq!(admin.service("200").await.unwrap().name, "Swift");
    let ids: Vec<String> = admin.services().map(|s| s.unwrap().id).collect().await;
    assert_eq!(ids, ["100", "200", "300"]);
    let mut glance = admin.service("300").await.unwrap();
    glance.description = Some("images".into());
    glance.service_type = "image".into();
    assert_eq!(
        admin
            .update_service(&glance)
            .await
            .unwrap()
            .description
            .as_deref(),
        Some("images")
    );
    let missing = admin.service("999").await.unwrap_err();
    assert_eq!(missing.fault().unwrap().kind, "itemNotFound");

    let template = json!({"id": "1", "name": "nova", "type": "compute",
        "publicURL": "https://nova.example.com/v1.1/%tenant_id%"});
    let stored = admin.add_template(&template).await.unwrap();
    assert_eq!(stored["name"], "Nova");
    assert_eq!(
        admin.template("1").await.unwrap()["publicURL"],
        template["publicURL"]
    );
    let updated = admin
        .update_template(
            "1",
            &json!({"id": "1", "name": "nova", "type": "compute", "region": "az-1",
                "publicURL": "https://nova.example.com/v2/%tenant_id%"}),
        )
        .await
        .unwrap();
    assert_eq!(updated["region"], "az-1");
    assert_eq!(admin.templates().collect::<Vec<_>>().await.len(), 1);
    admin.delete_template("1").await.unwrap();
    assert!(admin.template("1").await.unwrap_err().is_not_found());
}

async fn every_credential_kind_authenticates_and_secrets_are_masked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    acme(&app);
    let name = PrincipalName::parse("alice").unwrap();
    let api_key = app.directory().new_api_key(&name).unwrap();
    let (access_key, secret) = app.directory().new_access_key(&name).unwrap();
    let kinds = [
        Credentials::ApiKey {
            username: "alice".into(),
            api_key: api_key.expose().into(),
        },
        Credentials::AccessKey {
            access_key,
            secret_key: secret.expose().into(),
        },
        Credentials::Token {
            token: app.token.clone(),
            tenant_id: "7".into(),
        },
    ];
    for credentials in kinds {
        let shown = format!("{credentials:?}");
        assert!(!shown.contains(api_key.expose()) && !shown.contains(secret.expose()));
        assert!(!shown.contains(&app.token), "{shown}");
        let client = Client::builder(&app.address)
            .credentials(credentials)
            .build()
            .unwrap();
        assert_eq!(client.limits().await.unwrap().resource.service, 200);
    }
    let wrong = Client::builder(&app.address)
        .credentials(Credentials::Password {
            username: "alice".into(),
            password: "wrong".into(),
        })
        .build()
        .unwrap();
    let error = wrong.limits().await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert!(matches!(error, service_registry_client::Error::Auth(_)));
}

async fn tokens_are_renewed_before_expiry_and_after_a_401(backend: Backend) {
    let ttl = Duration::from_secs(3);
    let app = TestApp::spawn_with(backend, |settings| {
        settings.auth.token_ttl = ttl;
        settings.admin_bind = Some("127.0.0.1:0".into());
    })
    .await;
    acme(&app);
    let client = alice(&app);
    client.limits().await.unwrap();
    // Past the first token's lifetime, the client is still admitted, and without being
    // refused first: it renewed before sending (a client that only re-authenticates after
    // a 401 fails here).
    tokio::time::sleep(ttl + Duration::from_millis(500)).await;
    client.limits().await.unwrap();
    let counted = |text: &str, route: &str, method: &str, status: &str| {
        crate::helpers::sample(
            text,
            "http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
        .unwrap_or(0.0)
    };
    let limits = "/v1.0/{tenant_id}/limits";
    let text = app.scrape().await;
    assert_eq!(counted(&text, limits, "GET", "401"), 0.0, "{text}");
    assert_eq!(counted(&text, limits, "GET", "200"), 2.0, "{text}");
    assert_eq!(
        counted(&text, "/v2.0/tokens", "POST", "200"),
        2.0,
        "signed in, then renewed: {text}"
    );
    // Tokens removed behind its back: one 401, a new token, and the call succeeds.
    use diesel::RunQueryDsl;
    app.database
        .with_connection(|conn| {
            diesel::sql_query("DELETE FROM tokens").execute(conn)?;
            Ok::<_, service_registry::platform::db::DbError>(())
        })
        .unwrap();
    tokio::time::sleep(auth_change_bound()).await;
    client.limits().await.unwrap();
    let text = app.scrape().await;
    assert_eq!(
        counted(&text, limits, "GET", "401"),
        1.0,
        "refused once: {text}"
    );
    assert_eq!(counted(&text, "/v2.0/tokens", "POST", "200"), 3.0);
}
