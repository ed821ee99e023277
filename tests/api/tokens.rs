//! `POST /v2.0/tokens` and `GET /v2.0/tenants`: every credential kind, scoping, refusals
//! and throttling, each in JSON and in XML.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime};

use reqwest::{header, Method, StatusCode};
use service_registry::identity::{PrincipalName, TenantRef};

use crate::helpers::*;

async fn every_credential_kind_issues_a_token_that_works_on_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.tenant("acme", 7);
    app.user("alice", "DU", &["acme"], None);
    let name = PrincipalName::parse("alice").unwrap();
    let api_key = app.directory().new_api_key(&name).unwrap();
    let (access_key, secret) = app.directory().new_access_key(&name).unwrap();
    let credentials = [
        Credential::Password("alice", PASSWORD),
        Credential::ApiKey("alice", api_key.expose().to_owned()),
        Credential::AccessKey(access_key, secret.expose().to_owned()),
    ];
    for format in FORMATS {
        for credential in &credentials {
            let granted = access(
                &app.authenticate(credential, &scoped_by_id("7"), format)
                    .await,
            );
            assert_eq!(granted.tenant, Some(("7".into(), "acme".into())));
            assert_eq!(granted.user.1, "alice");
            assert_eq!(granted.roles, [("DU".into(), Some("7".into()))]);
            assert!(granted.catalog, "an issued token comes with its catalog");
            let reply = app.list_services_as("", Format::Json, &granted.token).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        }
    }
}

/// Keystone's `userId` names the principal by its numeric id, in JSON and in XML.
async fn a_user_may_be_named_by_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("alice", "DU", &[], None);
    let id = access(
        &app.authenticate(
            &Credential::Password("alice", PASSWORD),
            &Scope::default(),
            Format::Json,
        )
        .await,
    )
    .user
    .0;
    let bodies = [
        (
            Format::Json,
            format!(
                r#"{{"auth":{{"passwordCredentials":{{"userId":"{id}","password":"{PASSWORD}"}}}}}}"#
            ),
        ),
        (
            Format::Xml,
            format!(
                r#"<auth xmlns="{IDENTITY_NS}"><passwordCredentials userId="{id}" password="{PASSWORD}"/></auth>"#
            ),
        ),
    ];
    for (format, body) in bodies {
        let reply = app
            .send_body(Method::POST, "/v2.0/tokens", format, body, "")
            .await;
        assert_eq!(access(&reply).user, (id.clone(), "alice".into()));
    }
}

async fn tokens_expire_in_twelve_hours_written_in_iso_8601_utc(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("alice", "DU", &[], None);
    for format in FORMATS {
        let before = SystemTime::now();
        let granted = access(
            &app.authenticate(
                &Credential::Password("alice", PASSWORD),
                &Scope::default(),
                format,
            )
            .await,
        );
        assert_eq!(granted.tenant, None, "no scope and no default: unscoped");
        assert_eq!(granted.expires.len(), "2026-11-23T21:42:59.455Z".len());
        assert!(granted.expires.ends_with('Z'));
        let expires = humantime::parse_rfc3339(&granted.expires).unwrap();
        let lifetime = expires.duration_since(before).unwrap();
        assert!(
            lifetime > Duration::from_secs(12 * 3600 - 60)
                && lifetime <= Duration::from_secs(12 * 3600 + 1),
            "{lifetime:?}"
        );
    }
}

async fn the_scope_is_the_named_tenant_else_the_default_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.tenant("Acme", 7);
    app.tenant("Globex", 8);
    app.tenant("Initech", 9);
    app.user("alice", "DA", &["7"], Some("globex"));
    app.user("root", "SA", &[], None);
    let alice = Credential::Password("alice", PASSWORD);
    for format in FORMATS {
        let by_name = access(
            &app.authenticate(&alice, &scoped_by_name("ACME"), format)
                .await,
        );
        assert_eq!(by_name.tenant, Some(("7".into(), "Acme".into())));
        let default = access(&app.authenticate(&alice, &Scope::default(), format).await);
        assert_eq!(default.tenant, Some(("8".into(), "Globex".into())));
        app.authenticate(&alice, &scoped_by_id("9"), format)
            .await
            .assert_fault(401, "unauthorized");
        app.authenticate(&alice, &scoped_by_name("nosuch"), format)
            .await
            .assert_fault(401, "unauthorized");
        let both = Scope {
            tenant_id: Some("7".into()),
            tenant_name: Some("Acme".into()),
        };
        app.authenticate(&alice, &both, format)
            .await
            .assert_fault(400, "badRequest");
        // SA acts in any tenant.
        let root = access(
            &app.authenticate(
                &Credential::Password("root", PASSWORD),
                &scoped_by_id("9"),
                format,
            )
            .await,
        );
        assert_eq!(root.tenant, Some(("9".into(), "Initech".into())));
        assert_eq!(root.roles, [("SA".into(), None)]);
    }
    app.directory()
        .set_tenant_enabled(&TenantRef::parse("acme").unwrap(), false)
        .unwrap();
    for format in FORMATS {
        app.authenticate(&alice, &scoped_by_id("7"), format)
            .await
            .assert_fault(403, "userDisabled");
    }
}

async fn wrong_unknown_or_inactive_credentials_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("alice", "DU", &[], None);
    app.user("bob", "DU", &[], None);
    let name = PrincipalName::parse("alice").unwrap();
    let (access_key, secret) = app.directory().new_access_key(&name).unwrap();
    app.directory().disable_access_key(&access_key).unwrap();
    let old_key = app.directory().new_api_key(&name).unwrap();
    app.directory().new_api_key(&name).unwrap();
    let refused = [
        Credential::Password("alice", "not the password"),
        Credential::Password("nobody", PASSWORD),
        Credential::AccessKey(access_key, secret.expose().to_owned()),
        Credential::AccessKey("NOSUCHKEY".into(), "x".into()),
        Credential::ApiKey("alice", old_key.expose().to_owned()),
        Credential::ApiKey("bob", "never set".into()),
        Credential::Token(format!("HPAuth_{}", "0".repeat(64))),
    ];
    for format in FORMATS {
        for credential in &refused {
            app.authenticate(credential, &Scope::default(), format)
                .await
                .assert_fault(401, "unauthorized");
        }
    }
    app.set_status("bob", service_registry::identity::PrincipalStatus::Disabled);
    for format in FORMATS {
        app.authenticate(
            &Credential::Password("bob", PASSWORD),
            &Scope::default(),
            format,
        )
        .await
        .assert_fault(403, "userDisabled");
        app.authenticate(
            &Credential::Password("bob", "wrong password"),
            &Scope::default(),
            format,
        )
        .await
        .assert_fault(401, "unauthorized");
    }
}

async fn malformed_authentication_requests_are_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = |body: &'static str, format: Format| {
        app.send_body(Method::POST, "/v2.0/tokens", format, body.to_owned(), "")
    };
    for body in [
        r#"{"auth":{}}"#,
        r#"{"auth":{"passwordCredentials":{"username":"a"}}}"#,
        r#"{"notauth":{}}"#,
        r#"{"auth":"#,
    ] {
        post(body, Format::Json)
            .await
            .assert_fault(400, "badRequest");
    }
    for body in [
        r#"<auth xmlns="http://docs.openstack.org/identity/api/v2.0"/>"#,
        r#"<auth><passwordCredentials username="a" password="b"/></auth>"#,
        r#"<!DOCTYPE auth [<!ENTITY x "y">]><auth xmlns="http://docs.openstack.org/identity/api/v2.0"/>"#,
    ] {
        post(body, Format::Xml)
            .await
            .assert_fault(400, "badRequest");
    }
}

async fn a_token_is_rescoped_by_presenting_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.tenant("acme", 7);
    app.user("alice", "DU", &["acme"], None);
    for format in FORMATS {
        let unscoped = access(
            &app.authenticate(
                &Credential::Password("alice", PASSWORD),
                &Scope::default(),
                format,
            )
            .await,
        );
        assert_eq!(unscoped.tenant, None);
        let rescoped = access(
            &app.authenticate(
                &Credential::Token(unscoped.token.clone()),
                &scoped_by_id("7"),
                format,
            )
            .await,
        );
        assert_eq!(rescoped.tenant, Some(("7".into(), "acme".into())));
        assert_ne!(rescoped.token, unscoped.token);
        // The X-Auth-Token header, when sent, must be the token being rescoped: another
        // token, or a blank one, is refused.
        for header_token in [rescoped.token.as_str(), "", "  "] {
            let mismatched = app
                .client
                .post(format!("{}/v2.0/tokens", app.address))
                .header(header::ACCEPT, format.media_type())
                .header(header::CONTENT_TYPE, format.media_type())
                .header("X-Auth-Token", header_token)
                .body(auth_body(
                    &Credential::Token(unscoped.token.clone()),
                    &Scope::default(),
                    format,
                ));
            Reply::from(mismatched)
                .await
                .assert_fault(401, "unauthorized");
        }
    }
}

async fn failed_attempts_are_throttled_per_principal_and_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("alice", "DU", &[], None);
    let wrong = Credential::Password("alice", "wrong password");
    let right = Credential::Password("alice", PASSWORD);
    for attempt in 0..5 {
        let format = FORMATS[attempt % 2];
        app.authenticate(&wrong, &Scope::default(), format)
            .await
            .assert_fault(401, "unauthorized");
    }
    for format in FORMATS {
        let reply = app.authenticate(&right, &Scope::default(), format).await;
        reply.assert_fault(429, "overLimit");
        assert!(reply
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok()));
    }
    // A stranger elsewhere does not lock alice out: another address still gets in.
    let elsewhere = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .unwrap();
    access(
        &app.authenticate_from(&elsewhere, &right, &Scope::default(), Format::Json)
            .await,
    );
    // After the wait (1 s after five failures), the right password works and forgives
    // the failures; an early try is refused (429) without lengthening the wait.
    let lifted = eventually("the throttle to lift", auth_change_bound() * 2, || async {
        let reply = app
            .authenticate(&right, &Scope::default(), Format::Xml)
            .await;
        (reply.status != StatusCode::TOO_MANY_REQUESTS).then_some(reply)
    })
    .await;
    access(&lifted);
    app.authenticate(&wrong, &Scope::default(), Format::Json)
        .await
        .assert_fault(401, "unauthorized");
}

async fn tenants_lists_the_callers_memberships(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.tenant("acme", 7);
    app.tenant("globex", 8);
    app.tenant("initech", 9);
    app.user("alice", "DU", &["7", "8"], None);
    let token = access(
        &app.authenticate(
            &Credential::Password("alice", PASSWORD),
            &Scope::default(),
            Format::Json,
        )
        .await,
    )
    .token;
    for format in FORMATS {
        let reply = Reply::from(app.request_as(Method::GET, "/v2.0/tenants", format, &token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let ids: Vec<String> = match format {
            Format::Json => reply.json()["tenants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect(),
            Format::Xml => reply
                .xml()
                .children
                .iter()
                .map(|t| t.attributes["id"].clone())
                .collect(),
        };
        assert_eq!(ids, ["7", "8"]);
        Reply::from(app.request_as(Method::GET, "/v2.0/tenants", format, "nonsense"))
            .await
            .assert_fault(401, "unauthorized");
    }
}

on_both_backends!(
    a_user_may_be_named_by_id,
    every_credential_kind_issues_a_token_that_works_on_the_api,
    tokens_expire_in_twelve_hours_written_in_iso_8601_utc,
    the_scope_is_the_named_tenant_else_the_default_one,
    wrong_unknown_or_inactive_credentials_are_refused,
    malformed_authentication_requests_are_400,
    a_token_is_rescoped_by_presenting_it,
    failed_attempts_are_throttled_per_principal_and_address,
    tenants_lists_the_callers_memberships,
);
