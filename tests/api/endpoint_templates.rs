//! Endpoint templates and tenant endpoints (HP-IDM v1.0), in JSON and XML: the request
//! and response shapes, the rules and the levels.

use reqwest::{Method, StatusCode};

use crate::helpers::*;

async fn a_template_is_added_read_replaced_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(
        &ServiceBody::new(100, "Nova")
            .kind("compute")
            .state("public"),
    )
    .await;
    for (n, format) in FORMATS.into_iter().enumerate() {
        let id = 10 + n as u64;
        let region = format!("region-{n}");
        let body = TemplateBody::new(id, "NOVA", "compute", "https://nova/v1.1/%tenant_id%")
            .with("region", &region)
            .with("internalURL", "http://nova.internal/v1.1/%tenant_id%")
            .with("global", "true")
            .version("1.1", "https://nova/v1.1/", "https://nova/");
        let reply = app.add_template(&body, format).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert!(reply
            .header("location")
            .is_some_and(|l| l.ends_with(&format!("{TEMPLATES}/{id}"))));
        let created = one(&reply, "endpointTemplate");
        assert_eq!(created["name"], "Nova", "the service's own spelling");
        assert_eq!(created["type"], "compute");
        assert_eq!(
            created["publicURL"], "https://nova/v1.1/%tenant_id%",
            "templates keep placeholders"
        );
        assert_eq!(created["global"], "true");
        assert_eq!(created["enabled"], "true");
        assert_eq!(
            created["releaseState"], "public",
            "the service's state by default"
        );
        assert_eq!(created["version.id"], "1.1");
        assert!(!created.contains_key("adminURL"));

        let fetched = app
            .template_request(Method::GET, &format!("/{id}"), format, &app.token)
            .await;
        assert_eq!(one(&fetched, "endpointTemplate"), created);

        // PUT replaces everything but the release state, which it keeps when left out.
        let replacement = TemplateBody::new(id, "nova", "compute", "https://nova2/v2/%tenant_id%")
            .with("region", &region)
            .with("enabled", "false");
        let reply = app
            .send_body(
                Method::PUT,
                &format!("{TEMPLATES}/{id}"),
                format,
                replacement.clone().without("id").encode(format),
                &app.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let replaced = one(&reply, "endpointTemplate");
        assert_eq!(replaced["publicURL"], "https://nova2/v2/%tenant_id%");
        assert_eq!(replaced["enabled"], "false");
        assert_eq!(replaced["global"], "false");
        assert_eq!(replaced["releaseState"], "public");
        assert!(!replaced.contains_key("internalURL") && !replaced.contains_key("version.id"));
        let reply = app
            .send_body(
                Method::PUT,
                &format!("{TEMPLATES}/{id}"),
                format,
                replacement
                    .clone()
                    .with("releaseState", "beta")
                    .encode(format),
                &app.token,
            )
            .await;
        assert_eq!(one(&reply, "endpointTemplate")["releaseState"], "beta");

        let deleted = app
            .template_request(Method::DELETE, &format!("/{id}"), format, &app.token)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        app.template_request(Method::GET, &format!("/{id}"), format, &app.token)
            .await
            .assert_fault(404, "itemNotFound");
        app.template_request(Method::DELETE, &format!("/{id}"), format, &app.token)
            .await
            .assert_fault(404, "itemNotFound");
    }
}

async fn templates_must_name_a_registered_service_of_their_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(100, "Nova").kind("compute"))
        .await;
    app.added_template(&TemplateBody::new(1, "Nova", "compute", "https://a").with("region", "r1"))
        .await;
    for format in FORMATS {
        for (body, status, element) in [
            (
                TemplateBody::new(2, "Glance", "image", "https://g"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "image", "https://g"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "compute", "https://g").without("publicURL"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "compute", "https://a b"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "compute", "https://g").with("releaseState", "gone"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "compute", "https://g").without("id"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(1, "Nova", "compute", "https://g").with("region", "r2"),
                409,
                "identityFault",
            ),
            (
                TemplateBody::new(2, "nova", "compute", "https://g").with("region", "r1"),
                409,
                "identityFault",
            ),
        ] {
            app.add_template(&body, format)
                .await
                .assert_fault(status, element);
        }
    }
}

async fn templates_are_listed_in_pages_by_service_and_enabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(100, "Nova").kind("compute"))
        .await;
    app.registered(&ServiceBody::new(200, "Swift").kind("object-store"))
        .await;
    for id in 1..=5u64 {
        let (name, kind) = if id % 2 == 1 {
            ("Nova", "compute")
        } else {
            ("Swift", "object-store")
        };
        let body = TemplateBody::new(id, name, kind, "https://x")
            .with("region", &format!("r{id}"))
            .with("enabled", if id == 3 { "false" } else { "true" });
        app.added_template(&body).await;
    }
    let ids = |reply: &Reply| -> Vec<String> {
        many(reply, "endpointTemplates", "endpointTemplate")
            .iter()
            .map(|t| t["id"].clone())
            .collect()
    };
    for format in FORMATS {
        let du = app.principal_token(&format!("reader-{}", format.media_type().len()), &["DU"]);
        let first = app
            .template_request(Method::GET, "?limit=2", format, &du)
            .await;
        assert_eq!(ids(&first), ["1", "2"]);
        assert!(first.header("link").is_some_and(|l| l.contains("marker=2")));
        let last = app
            .template_request(Method::GET, "?limit=2&marker=4", format, &du)
            .await;
        assert_eq!(ids(&last), ["5"]);
        assert!(last.header("link").is_none());
        let nova = app
            .template_request(Method::GET, "?serviceName=NOVA", format, &du)
            .await;
        assert_eq!(ids(&nova), ["1", "3", "5"]);
        let enabled = app
            .template_request(Method::GET, "/enabled?serviceName=nova", format, &du)
            .await;
        assert_eq!(ids(&enabled), ["1", "5"]);
        let nobody = app
            .template_request(Method::GET, "?serviceName=Nothing", format, &du)
            .await;
        assert!(ids(&nobody).is_empty());
        app.template_request(Method::GET, "?marker=99", format, &du)
            .await
            .assert_fault(404, "itemNotFound");
        app.template_request(Method::GET, "?limit=1001", format, &du)
            .await
            .assert_fault(413, "overLimit");
        for bad in ["?limit=x", "?limit=0", "?limit=-1", "?limit=%2B5"] {
            app.template_request(Method::GET, bad, format, &du)
                .await
                .assert_fault(400, "badRequest");
        }
        // DU reads but does not write.
        let body = TemplateBody::new(9, "Nova", "compute", "https://x").with("region", "r9");
        app.send_body(Method::POST, TEMPLATES, format, body.encode(format), &du)
            .await
            .assert_fault(401, "unauthorized");
        app.template_request(Method::DELETE, "/1", format, &du)
            .await
            .assert_fault(401, "unauthorized");
    }
}

/// HP's own JSON spelling of the root, `EndpointTemplate`, is read like ours.
async fn hps_spelling_of_the_root_is_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(100, "Nova").kind("compute"))
        .await;
    let body = TemplateBody::new(1, "Nova", "compute", "https://nova")
        .encode(Format::Json)
        .replacen("\"endpointTemplate\"", "\"EndpointTemplate\"", 1);
    let reply = app
        .send_body(Method::POST, TEMPLATES, Format::Json, body, &app.token)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(one(&reply, "endpointTemplate")["publicURL"], "https://nova");
    // A JSON number is an id too.
    let body = TemplateBody::new(2, "Nova", "compute", "https://nova2")
        .with("region", "r2")
        .encode(Format::Json)
        .replacen("\"id\":\"2\"", "\"id\":2", 1);
    assert!(body.contains("\"id\":2"), "{body}");
    let reply = app
        .send_body(Method::POST, TEMPLATES, Format::Json, body, &app.token)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(one(&reply, "endpointTemplate")["id"], "2");
}

on_both_backends!(
    hps_spelling_of_the_root_is_accepted,
    a_template_is_added_read_replaced_and_deleted,
    templates_must_name_a_registered_service_of_their_type,
    templates_are_listed_in_pages_by_service_and_enabled,
);
