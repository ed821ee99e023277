use reqwest::{header, Method, StatusCode};

use crate::helpers::*;

async fn list_with_accept(app: &TestApp, accept: Option<&str>) -> Reply {
    let mut request = app
        .client
        .get(format!("{}{BASE}/services", app.address))
        .header("X-Auth-Token", &app.token);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    Reply::from(request).await
}

async fn accept_chooses_the_response_format(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a")).await;
    for (accept, expected) in [
        (None, Format::Json),
        (Some("*/*"), Format::Json),
        (Some("application/*"), Format::Json),
        (Some("application/json"), Format::Json),
        (Some("application/xml"), Format::Xml),
        (Some("text/xml"), Format::Xml),
        (Some("text/*"), Format::Xml),
        (Some("application/json;q=0.5, application/xml"), Format::Xml),
        (
            Some("application/xml;q=0.2, application/json;q=0.8"),
            Format::Json,
        ),
        (
            Some("text/html, application/xml;q=0.9, */*;q=0.1"),
            Format::Xml,
        ),
        (Some("application/json;q=0, */*"), Format::Xml),
    ] {
        let reply = list_with_accept(&app, accept).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept:?}");
        assert_eq!(reply.format(), expected, "{accept:?}");
        assert_eq!(reply.services().len(), 1);
    }
}

async fn nothing_acceptable_is_406_in_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for accept in [
        "text/html",
        "image/png, text/plain;q=0.5",
        "application/json;q=0, application/xml;q=0",
    ] {
        let reply = list_with_accept(&app, Some(accept)).await;
        let fault = reply.assert_fault(406, "identityFault");
        assert_eq!(fault.message, "NOT_ACCEPTABLE");
    }
}

async fn faults_come_in_the_negotiated_format(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        let reply = app.get_service("42", format).await;
        assert_eq!(reply.format(), format);
        reply.assert_fault(404, "itemNotFound");
    }
    let xml = app.get_service("42", Format::Xml).await.body;
    assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><itemNotFound xmlns="http://docs.openstack.org/identity/api/v2.0" code="404"><message>NOT_FOUND</message><details>"#), "{xml}");
}

async fn other_methods_are_405_with_allow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a")).await;
    for format in FORMATS {
        for (method, path, allow) in [
            (Method::DELETE, "/services/1", "GET, PUT"),
            (Method::PATCH, "/services/1", "GET, PUT"),
            (Method::POST, "/services/1", "GET, PUT"),
            (Method::DELETE, "/services", "GET, POST"),
            (Method::PUT, "/services", "GET, POST"),
            (Method::PATCH, "/services", "GET, POST"),
        ] {
            let reply =
                Reply::from(app.request(method.clone(), &format!("{BASE}{path}"), format)).await;
            let fault = reply.assert_fault(405, "identityFault");
            assert_eq!(fault.message, "METHOD_NOT_ALLOWED");
            assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
        }
    }
    assert_eq!(
        app.get_service("1", Format::Json).await.status,
        StatusCode::OK,
        "DELETE did nothing"
    );
}

async fn unknown_paths_are_item_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        for path in [
            "/v2.0/HP-IDM/v1.0/",
            "/v2.0/HP-IDM/v1.0/services/1/extra",
            // A trailing slash reads as absent (see trailing_slash.rs): still no route.
            "/v2.0/HP-IDM/v1.0/services/1/extra/",
        ] {
            let reply = Reply::from(app.request(Method::GET, path, format)).await;
            reply.assert_fault(404, "itemNotFound");
        }
    }
}

async fn every_response_carries_a_request_id_and_no_cache(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ok = app.list_services("", Format::Json).await;
    let fault = app.get_service("9", Format::Xml).await;
    for reply in [ok, fault] {
        let id = reply.header("x-request-id").expect("request id");
        assert_eq!(id.len(), 16);
        assert_eq!(reply.header("cache-control"), Some("no-cache"));
    }
}

on_both_backends!(
    accept_chooses_the_response_format,
    nothing_acceptable_is_406_in_json,
    faults_come_in_the_negotiated_format,
    other_methods_are_405_with_allow,
    unknown_paths_are_item_not_found,
    every_response_carries_a_request_id_and_no_cache,
);
