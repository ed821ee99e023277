use reqwest::{Method, StatusCode};

use crate::helpers::*;

async fn update_replaces_the_whole_service(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (format, id) in [(Format::Json, "150"), (Format::Xml, "151")] {
        app.registered(
            &ServiceBody::new(id, &format!("CDN {id}"))
                .kind("hpext:cdn")
                .describe("old"),
        )
        .await;
        let body = ServiceBody::new(id, &format!(" Content Delivery {id} "))
            .kind("cdn")
            .state("public")
            .describe("HP Content Delivery Network Service");
        let reply = app.update(id, &body, format).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.format(), format);
        let expected = ServiceView {
            id: id.into(),
            name: format!("Content Delivery {id}"),
            service_type: "cdn".into(),
            release_state: "public".into(),
            description: Some("HP Content Delivery Network Service".into()),
        };
        assert_eq!(reply.service(), expected);
        assert_eq!(app.get_service(id, format).await.service(), expected);
        // Full replacement: leaving the description out removes it.
        let without_description =
            ServiceBody::new(id, &format!("Content Delivery {id}")).kind("cdn");
        let reply = app.update(id, &without_description, format).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.service().description, None);
    }
}

async fn an_absent_release_state_keeps_the_current_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a").state("beta"))
        .await;
    for format in FORMATS {
        let reply = app
            .update("1", &ServiceBody::new(1, "a").describe("edited"), format)
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.service().release_state, "beta");
    }
}

async fn the_body_id_must_match_the_path_or_be_absent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(5, "five")).await;
    app.registered(&ServiceBody::new(6, "six")).await;
    for format in FORMATS {
        let fault = app
            .update("5", &ServiceBody::new(6, "five"), format)
            .await
            .assert_fault(400, "badRequest");
        assert!(
            fault.details.contains("does not match"),
            "{}",
            fault.details
        );
        app.update("5", &ServiceBody::new("abc", "five"), format)
            .await
            .assert_fault(400, "badRequest");
        let no_id = ServiceBody {
            id: None,
            ..ServiceBody::new(0, "five")
        };
        assert_eq!(app.update("5", &no_id, format).await.status, StatusCode::OK);
        let same_id_other_spelling = ServiceBody::new("05", "five");
        assert_eq!(
            app.update("5", &same_id_other_spelling, format)
                .await
                .status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get_service("6", Format::Json).await.service().name,
        "six"
    );
}

async fn unknown_or_invalid_path_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        let fault = app
            .update("404", &ServiceBody::new(404, "x"), format)
            .await
            .assert_fault(404, "itemNotFound");
        assert_eq!(fault.message, "NOT_FOUND");
        for bad in ["abc", "0", "-1", "99999999999999999999"] {
            app.update(
                bad,
                &ServiceBody {
                    id: None,
                    ..ServiceBody::new(1, "x")
                },
                format,
            )
            .await
            .assert_fault(400, "badRequest");
        }
    }
}

async fn name_and_type_are_required_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a")).await;
    for format in FORMATS {
        let no_name = ServiceBody {
            name: None,
            ..ServiceBody::new(1, "")
        };
        app.update("1", &no_name, format)
            .await
            .assert_fault(400, "badRequest");
        let blank_type = ServiceBody::new(1, "a").kind(" ");
        app.update("1", &blank_type, format)
            .await
            .assert_fault(400, "badRequest");
        let bad_state = ServiceBody::new(1, "a").state("gone");
        app.update("1", &bad_state, format)
            .await
            .assert_fault(400, "badRequest");
    }
    assert_eq!(
        app.get_service("1", Format::Json)
            .await
            .service()
            .release_state,
        "restricted"
    );
}

async fn renaming_onto_another_services_name_in_any_case_is_a_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "Object Storage")).await;
    app.registered(&ServiceBody::new(2, "Compute")).await;
    for format in FORMATS {
        for name in ["Object Storage", "OBJECT storage", "object storage "] {
            let fault = app
                .update("2", &ServiceBody::new(2, name), format)
                .await
                .assert_fault(409, "identityFault");
            assert!(fault.details.contains("already exists"));
        }
        // A service may change the case of its own name.
        let reply = app
            .update("2", &ServiceBody::new(2, "COMPUTE"), format)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    assert_eq!(
        app.get_service("2", Format::Json).await.service().name,
        "COMPUTE"
    );
}

async fn decommissioned_is_final(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "old").state("public"))
        .await;
    let reply = app
        .update(
            "1",
            &ServiceBody::new(1, "old").state("decommissioned"),
            Format::Json,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.service().release_state, "decommissioned");
    for format in FORMATS {
        for state in ["restricted", "preview", "beta", "public"] {
            let reply = app
                .update("1", &ServiceBody::new(1, "old").state(state), format)
                .await;
            let fault = reply.assert_fault(400, "badRequest");
            assert!(
                fault.details.contains("decommissioned"),
                "{}",
                fault.details
            );
        }
        // Other fields may still change while the state stays decommissioned.
        let edit = ServiceBody::new(1, &format!("old {format:?}"))
            .state("decommissioned")
            .describe("retired");
        assert_eq!(app.update("1", &edit, format).await.status, StatusCode::OK);
        let keep = ServiceBody::new(1, "old").describe("state left out");
        let reply = app.update("1", &keep, format).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.service().release_state, "decommissioned");
    }
    let stored = app.get_service("1", Format::Xml).await.service();
    assert_eq!(
        (stored.name.as_str(), stored.release_state.as_str()),
        ("old", "decommissioned")
    );
}

async fn concurrent_updates_can_never_move_a_service_out_of_decommissioned(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "racer").state("public"))
        .await;
    let app = &app;
    let requests = (0..24).map(|i| async move {
        let state = if i % 3 == 0 {
            "decommissioned"
        } else {
            "public"
        };
        app.update(
            "1",
            &ServiceBody::new(1, "racer").state(state),
            FORMATS[i % 2],
        )
        .await
    });
    let replies = futures_util::future::join_all(requests).await;
    let mut seen_decommissioned = false;
    for reply in &replies {
        assert!(matches!(reply.status.as_u16(), 200 | 400), "{}", reply.body);
    }
    // Whatever the interleaving, once the final state is decommissioned no later public
    // write has succeeded after it: the stored state is decommissioned.
    for reply in &replies {
        if reply.status == StatusCode::OK && reply.service().release_state == "decommissioned" {
            seen_decommissioned = true;
        }
    }
    assert!(seen_decommissioned);
    assert_eq!(
        app.get_service("1", Format::Json)
            .await
            .service()
            .release_state,
        "decommissioned"
    );
}

async fn update_requires_level_sa_or_svc(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a")).await;
    let svc = app.principal_token("svc", &["SVC"]);
    let du = app.principal_token("du", &["DU"]);
    let da = app.principal_token("da", &["DA"]);
    for format in FORMATS {
        assert_eq!(
            app.update_as("1", &ServiceBody::new(1, "b"), format, &svc)
                .await
                .status,
            StatusCode::OK
        );
        for token in [&du, &da] {
            app.update_as("1", &ServiceBody::new(1, "c"), format, token)
                .await
                .assert_fault(401, "unauthorized");
        }
        let no_token = app
            .client
            .request(Method::PUT, format!("{}{BASE}/services/1", app.address))
            .header("Accept", format.media_type())
            .header("Content-Type", format.media_type())
            .body(ServiceBody::new(1, "d").encode(format));
        Reply::from(no_token)
            .await
            .assert_fault(401, "unauthorized");
    }
    assert_eq!(app.get_service("1", Format::Json).await.service().name, "b");
}

on_both_backends!(
    update_replaces_the_whole_service,
    an_absent_release_state_keeps_the_current_one,
    the_body_id_must_match_the_path_or_be_absent,
    unknown_or_invalid_path_ids,
    name_and_type_are_required_again,
    renaming_onto_another_services_name_in_any_case_is_a_conflict,
    decommissioned_is_final,
    concurrent_updates_can_never_move_a_service_out_of_decommissioned,
    update_requires_level_sa_or_svc,
);
