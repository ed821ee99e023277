use reqwest::{header, Method, StatusCode};

use crate::helpers::*;

async fn register_returns_201_with_the_stored_service_and_its_location(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (format, id) in [(Format::Json, "240"), (Format::Xml, "230")] {
        let body = ServiceBody::new(id, &format!("Swift {id}"))
            .kind("object-store")
            .state("preview")
            .describe("Test Service Desc");
        let reply = app.register(&body, format).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{format:?}: {}",
            reply.body
        );
        assert_eq!(reply.format(), format);
        let expected = ServiceView {
            id: id.into(),
            name: format!("Swift {id}"),
            service_type: "object-store".into(),
            release_state: "preview".into(),
            description: Some("Test Service Desc".into()),
        };
        assert_eq!(reply.service(), expected);
        assert_eq!(
            reply.header("location").unwrap(),
            format!("{}{BASE}/services/{id}", app.address)
        );
        let fetched = app.get_service(id, format).await;
        assert_eq!(fetched.status, StatusCode::OK);
        assert_eq!(fetched.service(), expected);
    }
}

async fn release_state_defaults_to_restricted_and_description_is_optional(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (format, id) in [(Format::Json, 1), (Format::Xml, 2)] {
        let reply = app
            .register(&ServiceBody::new(id, &format!("plain {id}")), format)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let service = reply.service();
        assert_eq!(service.release_state, "restricted");
        assert_eq!(service.description, None);
    }
    // JSON shows an absent description as null (the seed's serializer writes nulls).
    let json = app.get_service("1", Format::Json).await.json();
    assert_eq!(
        json["registerService"]["description"],
        serde_json::Value::Null
    );
    // XML leaves the attribute out.
    assert!(!app
        .get_service("2", Format::Xml)
        .await
        .body
        .contains("description="));
}

async fn every_release_state_of_the_fixed_set_is_accepted_and_others_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut id = 0;
    for format in FORMATS {
        for state in ["restricted", "preview", "beta", "public", "decommissioned"] {
            id += 1;
            let reply = app
                .register(
                    &ServiceBody::new(id, &format!("s{id}")).state(state),
                    format,
                )
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{state}: {}", reply.body);
            assert_eq!(reply.service().release_state, state);
        }
        for state in ["retired", "Public", "", " beta"] {
            id += 1;
            let reply = app
                .register(
                    &ServiceBody::new(id, &format!("s{id}")).state(state),
                    format,
                )
                .await;
            let fault = reply.assert_fault(400, "badRequest");
            assert_eq!(fault.message, "BAD_REQUEST");
            assert!(fault.details.contains("releaseState"), "{}", fault.details);
        }
    }
}

async fn invalid_or_missing_ids_are_bad_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        for id in [
            "",
            "   ",
            "abc",
            "0",
            "-5",
            "+5",
            "1.5",
            "1e3",
            "12 34",
            "9223372036854775808",
            "٣",
        ] {
            let body = ServiceBody {
                id: Some(id.into()),
                ..ServiceBody::new(1, "x")
            };
            let fault = app
                .register(&body, format)
                .await
                .assert_fault(400, "badRequest");
            assert!(fault.details.contains("id"), "{id:?}: {}", fault.details);
        }
        let missing = ServiceBody {
            id: None,
            ..ServiceBody::new(1, "x")
        };
        let fault = app
            .register(&missing, format)
            .await
            .assert_fault(400, "badRequest");
        assert!(
            fault.details.contains("id is required"),
            "{}",
            fault.details
        );
    }
    assert_eq!(app.list_services("", Format::Json).await.services(), vec![]);
}

async fn the_largest_id_is_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (format, name) in [(Format::Json, "a"), (Format::Xml, "b")] {
        let id = if format == Format::Json {
            i64::MAX
        } else {
            i64::MAX - 1
        };
        let reply = app.register(&ServiceBody::new(id, name), format).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.service().id, id.to_string());
    }
}

async fn a_json_id_may_be_a_number_but_not_a_fraction_or_another_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let app = &app;
    let post = |id: &'static str| async move {
        let body = format!(
            r#"{{"registerService": {{"id": {id}, "serviceName": "n{id}", "serviceType": "compute"}}}}"#
        );
        app.send_body(
            Method::POST,
            &format!("{BASE}/services"),
            Format::Json,
            body,
            &app.token,
        )
        .await
    };
    // JSON has one number type: an integral value is an integer however it is written.
    for (literal, id) in [
        ("77", "77"),
        ("78.0", "78"),
        ("7.9e1", "79"),
        ("9007199254740992", "9007199254740992"),
        ("9223372036854775807", "9223372036854775807"),
    ] {
        let reply = post(literal).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{literal}: {}",
            reply.body
        );
        assert_eq!(reply.json()["registerService"]["id"], id);
    }
    for bad in [
        "7.5",
        "-3",
        "0",
        "0.0",
        "true",
        "[1]",
        "{}",
        "1e300",
        "9007199254740994.0",
        "9223372036854775808",
    ] {
        post(bad).await.assert_fault(400, "badRequest");
    }
    // null is an absent id.
    let fault = post("null").await.assert_fault(400, "badRequest");
    assert!(fault.details.contains("required"));
}

async fn a_duplicate_id_is_a_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(10, "first")).await;
    for format in FORMATS {
        let reply = app
            .register(&ServiceBody::new(10, &format!("other {format:?}")), format)
            .await;
        let fault = reply.assert_fault(409, "identityFault");
        assert!(fault.details.contains("id 10"), "{}", fault.details);
    }
    assert_eq!(
        app.get_service("10", Format::Json).await.service().name,
        "first"
    );
}

async fn names_are_required_trimmed_and_unique_without_regard_to_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        for blank in ["", "   ", "\t"] {
            let body = ServiceBody {
                name: Some(blank.into()),
                ..ServiceBody::new(1, "")
            };
            app.register(&body, format)
                .await
                .assert_fault(400, "badRequest");
        }
        let missing = ServiceBody {
            name: None,
            ..ServiceBody::new(1, "")
        };
        let fault = app
            .register(&missing, format)
            .await
            .assert_fault(400, "badRequest");
        assert!(fault.details.contains("serviceName"));
    }
    let stored = app
        .registered(&ServiceBody::new(1, "  HP-Nova USWest Zone2 "))
        .await;
    assert_eq!(stored.name, "HP-Nova USWest Zone2");
    let mut id = 100;
    for format in FORMATS {
        for variant in [
            "HP-Nova USWest Zone2",
            "hp-nova uswest zone2",
            " HP-NOVA USWEST ZONE2\t",
        ] {
            id += 1;
            let reply = app.register(&ServiceBody::new(id, variant), format).await;
            let fault = reply.assert_fault(409, "identityFault");
            assert_eq!(fault.message, "CONFLICT");
            assert!(
                fault.details.contains("already exists"),
                "{}",
                fault.details
            );
        }
    }
}

async fn name_uniqueness_folds_unicode_not_just_ascii(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "ÆGIR Öl")).await;
    app.registered(&ServiceBody::new(2, "Straße")).await;
    let mut id = 10;
    for format in FORMATS {
        // Lower case, decomposed umlaut (o + U+0308), and full case folding of ß.
        for variant in ["ægir öl", "ÆGIR O\u{308}L", "STRASSE", "strasse"] {
            id += 1;
            app.register(&ServiceBody::new(id, variant), format)
                .await
                .assert_fault(409, "identityFault");
        }
    }
    // Different names stay different.
    app.registered(&ServiceBody::new(50, "ÆGIR Öl 2")).await;
}

async fn decommissioned_services_keep_their_names_reserved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "Legacy").state("decommissioned"))
        .await;
    for format in FORMATS {
        app.register(&ServiceBody::new(2, "LEGACY"), format)
            .await
            .assert_fault(409, "identityFault");
    }
}

async fn service_type_is_required_and_free_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (format, id) in [(Format::Json, 1), (Format::Xml, 2)] {
        let missing = ServiceBody {
            service_type: None,
            ..ServiceBody::new(id, "n")
        };
        let fault = app
            .register(&missing, format)
            .await
            .assert_fault(400, "badRequest");
        assert!(fault.details.contains("serviceType"));
        let blank = ServiceBody::new(id, "n").kind("  ");
        app.register(&blank, format)
            .await
            .assert_fault(400, "badRequest");
        let custom = ServiceBody::new(id, &format!("custom {id}")).kind("hpext:dbaas");
        let reply = app.register(&custom, format).await;
        assert_eq!(reply.status, StatusCode::CREATED);
        assert_eq!(reply.service().service_type, "hpext:dbaas");
    }
}

async fn odd_unicode_and_markup_characters_round_trip_in_both_formats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let name = "Ünïcødé 🚀 <svc> & \"quoted\" 'single' e\u{301}";
    let description = "line one\nline two\ttabbed\r\n& <b>not markup</b> — ☃";
    let mut id = 0;
    for register_format in FORMATS {
        id += 1;
        let body = ServiceBody::new(id, &format!("{name} {id}")).describe(description);
        let reply = app.register(&body, register_format).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        for read_format in FORMATS {
            let service = app
                .get_service(&id.to_string(), read_format)
                .await
                .service();
            assert_eq!(
                service.name,
                format!("{name} {id}"),
                "{register_format:?} → {read_format:?}"
            );
            assert_eq!(service.description.as_deref(), Some(description));
        }
    }
}

async fn control_characters_and_overlong_fields_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // JSON can carry any character; these are refused by the rules, not the parser.
    for name in ["bell\u{7}", "nul\u{0}x", "line\nbreak", "x\u{FFFF}"] {
        let body = ServiceBody::new(1, name);
        app.register(&body, Format::Json)
            .await
            .assert_fault(400, "badRequest");
    }
    for format in FORMATS {
        let long_name = ServiceBody::new(1, &"n".repeat(256));
        app.register(&long_name, format)
            .await
            .assert_fault(400, "badRequest");
        let long_type = ServiceBody::new(1, "n").kind(&"t".repeat(256));
        app.register(&long_type, format)
            .await
            .assert_fault(400, "badRequest");
        let long_description = ServiceBody::new(1, "n").describe(&"d".repeat(1025));
        app.register(&long_description, format)
            .await
            .assert_fault(400, "badRequest");
        let max = ServiceBody::new(format as i64 + 1, &"é".repeat(255)).describe(&"d".repeat(1024));
        let max = ServiceBody {
            name: Some(format!("{}{}", "é".repeat(254), format as u8)),
            ..max
        };
        assert_eq!(app.register(&max, format).await.status, StatusCode::CREATED);
    }
    // XML cannot even carry a raw NUL; a character reference to one is refused as well.
    let body = format!(
        r#"<registerService xmlns="{SERVICES_NS}" id="9" serviceName="a&#7;b" serviceType="compute"/>"#
    );
    let reply = app
        .send_body(
            Method::POST,
            &format!("{BASE}/services"),
            Format::Xml,
            body,
            &app.token,
        )
        .await;
    reply.assert_fault(400, "badRequest");
}

async fn unknown_fields_and_other_attributes_are_ignored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let json = r#"{"registerService": {"id": "1", "serviceName": "a", "serviceType": "compute",
        "otherAttributes": {"x": 1}, "extra": [1, 2]}, "more": true}"#;
    let reply = app
        .send_body(
            Method::POST,
            &format!("{BASE}/services"),
            Format::Json,
            json.into(),
            &app.token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let xml = format!(
        r#"<s:registerService xmlns:s="{SERVICES_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
            id="2" serviceName="b" serviceType="compute" color="blue" xsi:type="s:registerService">
            <s:note>ignored</s:note><!-- comment --></s:registerService>"#
    );
    let reply = app
        .send_body(
            Method::POST,
            &format!("{BASE}/services"),
            Format::Xml,
            xml,
            &app.token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.service().name, "b");
}

async fn bodies_need_a_supported_content_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = ServiceBody::new(1, "a").encode(Format::Json);
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=iso-8859-1"),
    ] {
        for accept in FORMATS {
            let mut request = app
                .request(Method::POST, &format!("{BASE}/services"), accept)
                .body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            let reply = Reply::from(request).await;
            let fault = reply.assert_fault(415, "identityFault");
            assert_eq!(fault.message, "UNSUPPORTED_MEDIA_TYPE");
            assert_eq!(reply.format(), accept);
        }
    }
    // The request format and the response format are chosen independently.
    let request = app
        .request(Method::POST, &format!("{BASE}/services"), Format::Xml)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(body);
    let reply = Reply::from(request).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.format(), Format::Xml);
}

async fn register_requires_level_sa_or_svc(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let svc = app.principal_token("onboarder", &["SVC"]);
    let da = app.principal_token("domain-admin", &["DA"]);
    let du = app.principal_token("domain-user", &["DU", "DA"]);
    let mut id = 0;
    for format in FORMATS {
        id += 1;
        let reply = app
            .register_as(&ServiceBody::new(id, &format!("svc {id}")), format, &svc)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
        for token in [&da, &du] {
            id += 1;
            let reply = app
                .register_as(&ServiceBody::new(id, &format!("n {id}")), format, token)
                .await;
            reply.assert_fault(401, "unauthorized");
        }
    }
    assert_eq!(
        app.list_services("", Format::Json).await.services().len(),
        2
    );
}

on_both_backends!(
    register_returns_201_with_the_stored_service_and_its_location,
    release_state_defaults_to_restricted_and_description_is_optional,
    every_release_state_of_the_fixed_set_is_accepted_and_others_are_refused,
    invalid_or_missing_ids_are_bad_requests,
    the_largest_id_is_accepted,
    a_json_id_may_be_a_number_but_not_a_fraction_or_another_type,
    a_duplicate_id_is_a_conflict,
    names_are_required_trimmed_and_unique_without_regard_to_case,
    name_uniqueness_folds_unicode_not_just_ascii,
    decommissioned_services_keep_their_names_reserved,
    service_type_is_required_and_free_form,
    odd_unicode_and_markup_characters_round_trip_in_both_formats,
    control_characters_and_overlong_fields_are_refused,
    unknown_fields_and_other_attributes_are_ignored,
    bodies_need_a_supported_content_type,
    register_requires_level_sa_or_svc,
);
