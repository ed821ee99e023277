//! A token's own routes: validate (`GET`), check (`HEAD`), revoke (`DELETE`, HP and
//! Keystone), with who may call them, in JSON and XML.

use reqwest::{Method, StatusCode};

use crate::helpers::*;

async fn validate_as(
    app: &TestApp,
    token: &str,
    query: &str,
    format: Format,
    caller: &str,
) -> Reply {
    Reply::from(app.request_as(
        Method::GET,
        &format!("/v2.0/tokens/{token}{query}"),
        format,
        caller,
    ))
    .await
}

async fn validation_shows_the_token_and_its_user_without_a_catalog(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.tenant("acme", 7);
    app.user("alice", "DU", &["acme"], Some("acme"));
    app.user("bob", "DU", &[], None);
    let issued = access(
        &app.authenticate(
            &Credential::Password("alice", PASSWORD),
            &Scope::default(),
            Format::Json,
        )
        .await,
    );
    let bob = access(
        &app.authenticate(
            &Credential::Password("bob", PASSWORD),
            &Scope::default(),
            Format::Json,
        )
        .await,
    );
    let svc = app.principal_token("onboarder", &["SVC"]);
    for format in FORMATS {
        // The SA of the suite, an SVC principal, and the token itself may validate it.
        for caller in [app.token.as_str(), svc.as_str(), issued.token.as_str()] {
            let validated = access(&validate_as(&app, &issued.token, "", format, caller).await);
            assert_eq!(validated.token, issued.token);
            assert_eq!(validated.expires, issued.expires);
            assert_eq!(validated.tenant, Some(("7".into(), "acme".into())));
            assert_eq!(validated.user, issued.user);
            assert!(!validated.catalog, "validation shows no catalog");
        }
        // Another DU may not.
        validate_as(&app, &issued.token, "", format, &bob.token)
            .await
            .assert_fault(401, "unauthorized");
        // belongsTo: its own tenant passes, another is 401.
        access(&validate_as(&app, &issued.token, "?belongsTo=7", format, &app.token).await);
        // Anything but the token's tenant id is 401, as Keystone answers: another tenant,
        // an id that is no tenant's, the tenant's own name, junk.
        for other in ["8", "999", "acme", "%20x"] {
            validate_as(
                &app,
                &issued.token,
                &format!("?belongsTo={other}"),
                format,
                &app.token,
            )
            .await
            .assert_fault(401, "unauthorized");
        }
        let head = app
            .client
            .head(format!(
                "{}/v2.0/tokens/{}?belongsTo=acme",
                app.address, issued.token
            ))
            .header("X-Auth-Token", &app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), StatusCode::UNAUTHORIZED);
        validate_as(&app, &bob.token, "?belongsTo=7", format, &app.token)
            .await
            .assert_fault(401, "unauthorized");
        // Expired tokens are not found either.
        let expired = app.issue_token("bob", std::time::Duration::from_millis(1));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        validate_as(&app, &expired, "", format, &app.token)
            .await
            .assert_fault(404, "itemNotFound");
        // Unknown tokens are not found.
        validate_as(
            &app,
            &format!("HPAuth_{}", "0".repeat(64)),
            "",
            format,
            &app.token,
        )
        .await
        .assert_fault(404, "itemNotFound");
    }
    let head = |token: &str| {
        app.client
            .head(format!("{}/v2.0/tokens/{token}", app.address))
            .header("X-Auth-Token", &app.token)
            .send()
    };
    let checked = head(&issued.token).await.unwrap();
    assert_eq!(checked.status(), StatusCode::NO_CONTENT);
    assert_eq!(checked.content_length(), Some(0));
    let unknown = head("HPAuth_nothing").await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

async fn revoking_works_on_both_routes_for_sa_or_the_token_itself(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("alice", "DU", &[], None);
    let svc = app.principal_token("onboarder", &["SVC"]);
    let login = || async {
        access(
            &app.authenticate(
                &Credential::Password("alice", PASSWORD),
                &Scope::default(),
                Format::Json,
            )
            .await,
        )
        .token
    };
    for format in FORMATS {
        // Keystone's route: 204; the token revokes itself.
        let own = login().await;
        let reply = Reply::from(app.request_as(
            Method::DELETE,
            &format!("/v2.0/tokens/{own}"),
            format,
            &own,
        ))
        .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
        // Refused by this node at once, though it had just authenticated (and cached) it.
        app.list_services_as("", Format::Json, &own)
            .await
            .assert_fault(401, "unauthorized");
        // HP's route: 200; SA revokes; a second revoke is 404.
        let other = login().await;
        let path = format!("/v2.0/HP-IDM/v1.0/tokens/{other}");
        let reply = Reply::from(app.request_as(Method::DELETE, &path, format, &app.token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        Reply::from(app.request_as(Method::DELETE, &path, format, &app.token))
            .await
            .assert_fault(404, "itemNotFound");
        // SVC may validate but not revoke another's token.
        let third = login().await;
        Reply::from(app.request_as(
            Method::DELETE,
            &format!("/v2.0/tokens/{third}"),
            format,
            &svc,
        ))
        .await
        .assert_fault(401, "unauthorized");
        assert_eq!(
            app.list_services_as("", Format::Json, &third).await.status,
            StatusCode::OK
        );
    }
}

on_both_backends!(
    validation_shows_the_token_and_its_user_without_a_catalog,
    revoking_works_on_both_routes_for_sa_or_the_token_itself,
);

/// Tokens travel in these paths; the access log must not keep them.
#[tokio::test]
async fn tokens_in_paths_never_reach_the_log() {
    let database = TestDatabase::new(Backend::Sqlite);
    let logs = tempfile::tempdir().unwrap();
    let node = crate::helpers::node::Node::start(&database.url, logs.path().join("node.log"));
    let admin = node.bootstrap_token.clone().unwrap();
    for path in [
        format!("/v2.0/tokens/{admin}"),
        format!("/v2.0/tokens/{admin}/endpoints"),
        format!("/v2.0/tokens/{admin}?belongsTo=7"),
    ] {
        node.get(&path, &admin, Format::Json).await;
    }
    let reply = node
        .client
        .delete(format!("{}/v2.0/HP-IDM/v1.0/tokens/{admin}", node.address))
        .header("X-Auth-Token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let log = eventually(
        "the revocation in the log",
        std::time::Duration::from_secs(10),
        || async {
            let log = node.log_text();
            log.contains("/v2.0/HP-IDM/v1.0/tokens/HPAuth_[redacted]")
                .then_some(log)
        },
    )
    .await;
    assert!(
        log.contains("/v2.0/tokens/HPAuth_[redacted]/endpoints"),
        "{log}"
    );
    assert!(
        !log.contains(admin.trim_start_matches("HPAuth_")),
        "a token is in the log:\n{log}"
    );
}
