use std::time::Duration;

use reqwest::StatusCode;
use service_registry::identity::PrincipalStatus;

use crate::helpers::*;

async fn get_returns_the_service_or_item_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(
        &ServiceBody::new(18, "HP-Swift USWest Zone2")
            .kind("object-store")
            .state("preview"),
    )
    .await;
    for format in FORMATS {
        let reply = app.get_service("18", format).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-type"), Some(format.media_type()));
        assert_eq!(reply.service().name, "HP-Swift USWest Zone2");
        let fault = app
            .get_service("19", format)
            .await
            .assert_fault(404, "itemNotFound");
        assert!(fault.details.contains("19"));
    }
}

async fn malformed_path_ids_are_bad_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        for bad in [
            "abc",
            "0",
            "-1",
            "1.0",
            "%2B1",
            "99999999999999999999",
            "%C3%A9",
        ] {
            let fault = app
                .get_service(bad, format)
                .await
                .assert_fault(400, "badRequest");
            assert!(
                fault.details.contains("serviceId"),
                "{bad}: {}",
                fault.details
            );
        }
    }
}

async fn get_requires_a_valid_token_of_level_sa_or_svc(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a")).await;
    let svc = app.principal_token("svc", &["SVC"]);
    let du = app.principal_token("du", &["DU"]);
    let da = app.principal_token("da", &["DA", "DU"]);
    let expired = app.issue_token("svc", Duration::from_millis(1));
    std::thread::sleep(Duration::from_millis(20));
    for format in FORMATS {
        assert_eq!(
            app.get_service_as("1", format, &svc).await.status,
            StatusCode::OK
        );
        for token in [
            &du,
            &da,
            &expired,
            &"HPAuth_unknown".to_owned(),
            &String::new(),
        ] {
            let reply = app.get_service_as("1", format, token).await;
            let fault = reply.assert_fault(401, "unauthorized");
            assert_eq!(fault.message, "UNAUTHORIZED");
            assert!(reply.header("www-authenticate").is_some());
        }
    }
}

async fn disabled_and_suspended_principals_are_forbidden_until_enabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a")).await;
    let token = app.principal_token("ops", &["SA"]);
    for status in [PrincipalStatus::Disabled, PrincipalStatus::Suspended] {
        app.set_status("ops", status);
        // Effective within the authentication cache's bound, then for every request.
        until_status(403, || app.get_service_as("1", Format::Json, &token)).await;
        for format in FORMATS {
            let fault = app
                .get_service_as("1", format, &token)
                .await
                .assert_fault(403, "userDisabled");
            assert_eq!(fault.message, "FORBIDDEN");
            app.list_services_as("", format, &token)
                .await
                .assert_fault(403, "userDisabled");
            app.register_as(&ServiceBody::new(2, "b"), format, &token)
                .await
                .assert_fault(403, "userDisabled");
        }
        app.set_status("ops", PrincipalStatus::Enabled);
        until_status(200, || app.get_service_as("1", Format::Json, &token)).await;
    }
}

async fn revoked_tokens_stop_working_within_the_cache_bound(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.principal_token("temp", &["SA"]);
    assert_eq!(
        app.list_services_as("", Format::Json, &token).await.status,
        StatusCode::OK
    );
    app.directory().revoke_token(&token).unwrap();
    until_status(401, || app.list_services_as("", Format::Json, &token)).await;
    for format in FORMATS {
        app.list_services_as("", format, &token)
            .await
            .assert_fault(401, "unauthorized");
    }
}

async fn two_token_headers_are_refused_whatever_their_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let du = app.principal_token("du", &["DU"]);
    for format in FORMATS {
        for (first, second) in [
            (&app.token, &du),
            (&du, &app.token),
            (&app.token, &app.token),
        ] {
            let request = app
                .request_as(
                    reqwest::Method::GET,
                    &format!("{BASE}/services"),
                    format,
                    first,
                )
                .header("X-Auth-Token", second.as_str());
            let fault = Reply::from(request).await.assert_fault(401, "unauthorized");
            assert!(fault.details.contains("exactly one"), "{}", fault.details);
        }
    }
}

async fn a_cached_authentication_never_outlives_its_token(backend: Backend) {
    // A cache far longer than any token here: only the token's own expiry can refuse it.
    let cache_ttl = Duration::from_secs(60);
    let app = TestApp::spawn_with(backend, |settings| settings.auth.cache_ttl = cache_ttl).await;
    app.principal_token("brief", &["SA"]);
    // A token short enough to expire while cached, long enough to be used once before it
    // does on a slow machine: doubled until its first use comes in time.
    let mut lifetime = Duration::from_millis(400);
    let (token, issued) = loop {
        let issued = std::time::Instant::now();
        let token = app.issue_token("brief", lifetime);
        let status = app.list_services_as("", Format::Json, &token).await.status;
        if status == StatusCode::OK {
            break (token, issued);
        }
        assert!(
            issued.elapsed() >= lifetime,
            "refused while valid: {status}"
        );
        lifetime *= 2;
        assert!(
            lifetime < cache_ttl / 4,
            "the machine is too slow for this test"
        );
    };
    // Authenticated once, so cached; yet refused as soon as the token expires, long before
    // the cache would let it go.
    let expired = issued + lifetime;
    let bound = expired.saturating_duration_since(std::time::Instant::now()) + auth_change_bound();
    eventually(
        "a cached authentication to end with its token",
        bound,
        || async {
            let status = app.list_services_as("", Format::Json, &token).await.status;
            (status != StatusCode::OK).then_some(())
        },
    )
    .await;
    assert!(
        std::time::Instant::now() >= expired,
        "refused before it expired"
    );
    for format in FORMATS {
        app.list_services_as("", format, &token)
            .await
            .assert_fault(401, "unauthorized");
    }
}

on_both_backends!(
    get_returns_the_service_or_item_not_found,
    malformed_path_ids_are_bad_requests,
    get_requires_a_valid_token_of_level_sa_or_svc,
    disabled_and_suspended_principals_are_forbidden_until_enabled,
    revoked_tokens_stop_working_within_the_cache_bound,
    a_cached_authentication_never_outlives_its_token,
    two_token_headers_are_refused_whatever_their_order,
);
