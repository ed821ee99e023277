//! `/v3/auth/tokens`: the password and token methods, scopes, the body Keystone returns,
//! validation, check and revocation, interchange with v2.0, and refusals as Keystone
//! answers them (401 for authentication, 403 for a caller the policy does not allow).

use reqwest::{Method, StatusCode};
use serde_json::json;
use service_registry::identity::PrincipalStatus;

use super::*;

async fn password_tokens_carry_what_keystone_returns(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let reply = app
        .v3_issue(
            &password_by_name("alice", PASSWORD, Some(project_by_name("acme"))),
            "",
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let subject = reply.header("x-subject-token").unwrap().to_owned();
    assert!(subject.starts_with("HPAuth_"));
    assert!(
        !reply.body.contains(&subject),
        "the token is in the header only"
    );
    let token = &reply.json()["token"];
    assert_eq!(token["methods"], json!(["password"]));
    assert_eq!(token["user"]["name"], "alice");
    assert_eq!(
        token["user"]["domain"],
        json!({"id": "default", "name": "Default"})
    );
    assert_eq!(token["project"]["id"], "7");
    assert_eq!(token["project"]["name"], "acme");
    assert_eq!(token["roles"], json!([{"id": "DU", "name": "DU"}]));
    assert!(token["expires_at"].as_str().unwrap() > token["issued_at"].as_str().unwrap());
    // The catalog in v3's shape: the tenant substituted, one endpoint per interface.
    let catalog = token["catalog"].as_array().unwrap();
    assert_eq!(catalog.len(), 2);
    assert_eq!(catalog[0]["id"], "100");
    assert_eq!(catalog[0]["type"], "compute");
    let endpoints = catalog[0]["endpoints"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = endpoints
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap(),
                e["interface"].as_str().unwrap(),
                e["url"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("1-public", "public", "https://nova.example/v1.1/7"),
            ("1-internal", "internal", "http://nova.internal/v1.1/7"),
            ("1-admin", "admin", "http://nova.admin/v1.1"),
        ]
    );
    assert_eq!(endpoints[0]["region_id"], "region-a");
    // ?nocatalog leaves it out; the user by id works as by name.
    let alice_id = token["user"]["id"].as_str().unwrap().to_owned();
    let by_id = json!({"auth": {
        "identity": {"methods": ["password"],
            "password": {"user": {"id": alice_id, "password": PASSWORD}}},
        "scope": project_by_id("7")}});
    let bare = app.v3_issue(&by_id, "?nocatalog").await;
    assert_eq!(bare.status, StatusCode::CREATED, "{}", bare.body);
    assert!(bare.json()["token"].get("catalog").is_none());
    assert_eq!(bare.json()["token"]["project"]["id"], "7");
}

async fn scopes_default_unscoped_and_token_rescoping(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    // No scope: the default project, as Keystone does.
    let (_, defaulted) = app
        .v3_token(&password_by_name("alice", PASSWORD, None))
        .await;
    assert_eq!(defaulted["token"]["project"]["id"], "7");
    // "unscoped": no project, no roles.
    let (unscoped, document) = app
        .v3_token(&password_by_name(
            "alice",
            PASSWORD,
            Some(json!("unscoped")),
        ))
        .await;
    assert!(document["token"].get("project").is_none());
    assert!(document["token"].get("roles").is_none());
    // The token method rescopes; the new token says how it was obtained.
    let (rescoped, document) = app
        .v3_token(&json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": unscoped}},
            "scope": project_by_name("acme")}}))
        .await;
    assert_ne!(rescoped, unscoped);
    assert_eq!(document["token"]["methods"], json!(["token"]));
    assert_eq!(document["token"]["project"]["id"], "7");
    // Bob is not in acme: 401, whether by name or by id.
    for scope in [project_by_name("acme"), project_by_id("7")] {
        let refused = app
            .v3_issue(&password_by_name("bob", PASSWORD, Some(scope)), "")
            .await;
        v3_fault(&refused, 401);
    }
    // Domain scope is not offered: no domain roles exist here.
    let domain = app
        .v3_issue(
            &password_by_name(
                "alice",
                PASSWORD,
                Some(json!({"domain": {"id": "default"}})),
            ),
            "",
        )
        .await;
    v3_fault(&domain, 401);
}

async fn failures_are_answered_as_keystone_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let unknown = app
        .v3_issue(&password_by_name("nobody", PASSWORD, None), "")
        .await;
    let wrong = app
        .v3_issue(&password_by_name("bob", "not the password", None), "")
        .await;
    assert_eq!(
        v3_fault(&unknown, 401),
        v3_fault(&wrong, 401),
        "nothing is told apart"
    );
    assert!(unknown.header("www-authenticate").is_some());
    let elsewhere = json!({"auth": {"identity": {"methods": ["password"],
        "password": {"user": {"name": "alice", "domain": {"name": "Other"}, "password": PASSWORD}}}}});
    v3_fault(&app.v3_issue(&elsewhere, "").await, 401);
    let unsupported = json!({"auth": {"identity": {"methods": ["totp"], "totp": {}}}});
    v3_fault(&app.v3_issue(&unsupported, "").await, 401);
    for malformed in [
        json!([]),
        json!({"auth": {"identity": {"methods": "password"}}}),
        json!({"auth": {}}),
    ] {
        v3_fault(&app.v3_issue(&malformed, "").await, 400);
    }
    let xml = Reply::from(
        app.client
            .post(format!("{}/v3/auth/tokens", app.address))
            .header("Content-Type", "application/xml")
            .body("<auth/>"),
    )
    .await;
    v3_fault(&xml, 415);
    // A disabled principal and a disabled project refuse authentication: 401.
    app.set_status("bob", PrincipalStatus::Disabled);
    v3_fault(
        &app.v3_issue(&password_by_name("bob", PASSWORD, None), "")
            .await,
        401,
    );
    app.directory()
        .set_tenant_enabled(
            &service_registry::identity::TenantRef::parse("acme").unwrap(),
            false,
        )
        .unwrap();
    let disabled = app
        .v3_issue(
            &password_by_name("alice", PASSWORD, Some(project_by_id("7"))),
            "",
        )
        .await;
    v3_fault(&disabled, 401);
}

async fn failed_attempts_are_throttled_across_both_versions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    for _ in 0..5 {
        let wrong = app
            .v3_issue(&password_by_name("bob", "wrong password", None), "")
            .await;
        v3_fault(&wrong, 401);
    }
    // The sixth attempt, right password or not, waits: on v3 and on v2.0 alike.
    let throttled = app
        .v3_issue(&password_by_name("bob", PASSWORD, None), "")
        .await;
    v3_fault(&throttled, 429);
    assert!(throttled.header("retry-after").is_some());
    app.authenticate(
        &Credential::Password("bob", PASSWORD),
        &Scope::default(),
        Format::Json,
    )
    .await
    .assert_fault(429, "overLimit");
}

async fn validation_check_and_revocation_with_the_subject_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let alice = app.alice_v3().await;
    let (bob, _) = app.v3_token(&password_by_name("bob", PASSWORD, None)).await;
    let svc = app.principal_token("onboarder", &["SVC"]);
    // SA, SVC and the token itself validate it, with its catalog unless ?nocatalog.
    for caller in [app.token.as_str(), svc.as_str(), alice.as_str()] {
        let reply = app
            .v3(Method::GET, "/v3/auth/tokens", caller, Some(&alice))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.header("x-subject-token"), Some(alice.as_str()));
        let token = &reply.json()["token"];
        assert_eq!(token["project"]["id"], "7");
        assert!(token["catalog"].is_array());
    }
    let bare = app
        .v3(
            Method::GET,
            "/v3/auth/tokens?nocatalog",
            &app.token,
            Some(&alice),
        )
        .await;
    assert!(bare.json()["token"].get("catalog").is_none());
    // Another token of the same principal may (Keystone's admin_or_token_subject): the
    // `openstack token revoke` case, a fresh token acting on an older one.
    let (second, _) = app
        .v3_token(&password_by_name(
            "alice",
            PASSWORD,
            Some(project_by_name("acme")),
        ))
        .await;
    let by_sibling = app
        .v3(Method::GET, "/v3/auth/tokens", &second, Some(&alice))
        .await;
    assert_eq!(by_sibling.status, StatusCode::OK, "{}", by_sibling.body);
    // Another DU may not: 403, the caller is known but not allowed.
    v3_fault(
        &app.v3(Method::GET, "/v3/auth/tokens", &bob, Some(&alice))
            .await,
        403,
    );
    v3_fault(
        &app.v3(Method::DELETE, "/v3/auth/tokens", &bob, Some(&alice))
            .await,
        403,
    );
    // No X-Subject-Token: 400; an unknown one: 404; no caller token: 401.
    v3_fault(
        &app.v3(Method::GET, "/v3/auth/tokens", &app.token, None)
            .await,
        400,
    );
    let unknown = format!("HPAuth_{}", "0".repeat(64));
    v3_fault(
        &app.v3(Method::GET, "/v3/auth/tokens", &app.token, Some(&unknown))
            .await,
        404,
    );
    let anonymous = Reply::from(
        app.client
            .get(format!("{}/v3/auth/tokens", app.address))
            .header("X-Subject-Token", &alice),
    )
    .await;
    v3_fault(&anonymous, 401);
    // HEAD: 200 with no body, 404 for the unknown.
    let checked = app
        .v3(Method::HEAD, "/v3/auth/tokens", &app.token, Some(&alice))
        .await;
    assert_eq!(checked.status, StatusCode::OK);
    assert!(checked.body.is_empty());
    let missing = app
        .v3(Method::HEAD, "/v3/auth/tokens", &app.token, Some(&unknown))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // SVC may revoke another's token on v3 (Keystone's service_admin_or_token_subject).
    let (third, _) = app
        .v3_token(&password_by_name("alice", PASSWORD, None))
        .await;
    let by_service = app
        .v3(Method::DELETE, "/v3/auth/tokens", &svc, Some(&third))
        .await;
    assert_eq!(
        by_service.status,
        StatusCode::NO_CONTENT,
        "{}",
        by_service.body
    );
    // The token revokes itself; this node refuses it at once (no cache delay), on v3 and
    // on v2.0, and a second revocation finds nothing.
    let used = app.v3_get("/v3/auth/catalog", &alice).await;
    assert!(
        used["catalog"].is_array(),
        "the token is cached as valid first"
    );
    let revoked = app
        .v3(Method::DELETE, "/v3/auth/tokens", &alice, Some(&alice))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
    v3_fault(
        &app.v3(Method::GET, "/v3/auth/catalog", &alice, None).await,
        401,
    );
    app.list_services_as("", Format::Json, &alice)
        .await
        .assert_fault(401, "unauthorized");
    v3_fault(
        &app.v3(Method::DELETE, "/v3/auth/tokens", &app.token, Some(&alice))
            .await,
        404,
    );
    // Authenticating with it (the token method) finds no token: Keystone's 404.
    let by_token = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": alice}}}});
    v3_fault(&app.v3_issue(&by_token, "").await, 404);
}

async fn tokens_of_either_version_validate_and_revoke_on_the_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    // v2.0 → v3: the same principal, project and expiry.
    let v2 = access(
        &app.authenticate(
            &Credential::Password("alice", PASSWORD),
            &Scope::default(),
            Format::Json,
        )
        .await,
    );
    let reply = app
        .v3(Method::GET, "/v3/auth/tokens", &app.token, Some(&v2.token))
        .await;
    let token = &reply.json()["token"];
    assert_eq!(token["methods"], json!(["password"]));
    assert_eq!(token["user"]["id"], v2.user.0);
    assert_eq!(token["project"]["id"], "7");
    assert_eq!(token["expires_at"], v2.expires);
    // v3 → v2.0.
    let v3 = app.alice_v3().await;
    let validated = access(
        &Reply::from(app.request(Method::GET, &format!("/v2.0/tokens/{v3}"), Format::Xml)).await,
    );
    assert_eq!(validated.tenant, Some(("7".into(), "acme".into())));
    assert_eq!(validated.user.1, "alice");
    // A v3 token works on the HP-IDM API and rescopes on v2.0.
    assert_eq!(
        app.list_services_as("", Format::Json, &v3).await.status,
        StatusCode::OK
    );
    // Revoked on v2.0, gone on v3; revoked on v3, gone on v2.0.
    let deleted =
        Reply::from(app.request(Method::DELETE, &format!("/v2.0/tokens/{v3}"), Format::Json)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    v3_fault(
        &app.v3(Method::GET, "/v3/auth/tokens", &app.token, Some(&v3))
            .await,
        404,
    );
    let revoked = app
        .v3(
            Method::DELETE,
            "/v3/auth/tokens",
            &app.token,
            Some(&v2.token),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    Reply::from(app.request(
        Method::GET,
        &format!("/v2.0/tokens/{}", v2.token),
        Format::Json,
    ))
    .await
    .assert_fault(404, "itemNotFound");
}

on_both_backends!(
    password_tokens_carry_what_keystone_returns,
    scopes_default_unscoped_and_token_rescoping,
    failures_are_answered_as_keystone_does,
    failed_attempts_are_throttled_across_both_versions,
    validation_check_and_revocation_with_the_subject_token,
    tokens_of_either_version_validate_and_revoke_on_the_other,
);
