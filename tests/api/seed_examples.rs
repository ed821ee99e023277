//! Every JSON and XML example of the seed: requests are accepted as sent, and responses
//! have the seed's shape (JSON: equal as values with keys in the seed's order; XML: equal
//! element, namespace and attributes, whatever the prefixes).

use reqwest::{header, Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/seed/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// The seed's XML ignoring whitespace-only text between elements.
fn fixture_xml(name: &str) -> XmlElement {
    strip_whitespace(XmlElement::parse(&fixture(name)))
}

fn strip_whitespace(mut element: XmlElement) -> XmlElement {
    if element.text.trim().is_empty() {
        element.text.clear();
    }
    element.children = element.children.into_iter().map(strip_whitespace).collect();
    element
}

/// JSON object keys in document order, recursively, to compare with the seed's order.
fn key_order(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '"' {
            let mut end = start + 1;
            for (i, c) in chars.by_ref() {
                if c == '"' {
                    end = i;
                    break;
                }
            }
            let rest = text[end + 1..].trim_start();
            if rest.starts_with(':') {
                keys.push(text[start + 1..end].to_owned());
            }
        }
    }
    keys
}

async fn send_fixture(
    app: &TestApp,
    method: Method,
    path: &str,
    name: &str,
    format: Format,
) -> Reply {
    app.send_body(method, path, format, fixture(name), &app.token)
        .await
}

fn assert_same_json(reply: &Reply, seed: &str) {
    assert_eq!(reply.json(), fixture_json(seed), "{}", reply.body);
    assert_eq!(
        key_order(&reply.body),
        key_order(&fixture(seed)),
        "key order of {seed}"
    );
}

async fn register_examples_are_accepted_and_answered_in_the_seed_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let path = format!("{BASE}/services");

    let reply = send_fixture(
        &app,
        Method::POST,
        &path,
        "register-request.json",
        Format::Json,
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_same_json(&reply, "register-response.json");

    let reply = send_fixture(
        &app,
        Method::POST,
        &path,
        "register-request.xml",
        Format::Xml,
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    // The seed's XML response is not well-formed (&nbsp; between attributes); without that
    // artefact it is what we answer. The request's "HP-Nova USWest Zone2 " comes back trimmed.
    let seed = fixture("register-response.xml").replace("&nbsp;", " ");
    assert_eq!(reply.xml(), XmlElement::parse(&seed));
}

async fn the_seeds_malformed_xml_response_is_refused_as_a_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reply = send_fixture(
        &app,
        Method::POST,
        &format!("{BASE}/services"),
        "register-response.xml",
        Format::Xml,
    )
    .await;
    let fault = reply.assert_fault(400, "badRequest");
    // `&nbsp;` stands between attributes, where it breaks the attribute list itself.
    assert!(
        fault.details.starts_with("malformed XML"),
        "{}",
        fault.details
    );
}

async fn get_examples_have_the_seed_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let seed = fixture_json("get-response.json");
    let service = &seed["registerService"];
    let body = ServiceBody::new(18, service["serviceName"].as_str().unwrap())
        .kind(service["serviceType"].as_str().unwrap())
        .state(service["releaseState"].as_str().unwrap())
        .describe(service["description"].as_str().unwrap());
    app.registered(&body).await;
    assert_same_json(
        &app.get_service("18", Format::Json).await,
        "get-response.json",
    );
    // The seed's XML uses a ns2 prefix with the fault namespace as default: same document.
    assert_eq!(
        app.get_service("18", Format::Xml).await.xml(),
        fixture_xml("get-response.xml")
    );
}

/// Registers the eight services of the seed's list example, in both formats.
async fn register_seed_list(app: &TestApp) {
    let seed = fixture_json("list-response.json");
    for (index, service) in seed["registerServices"]["registerService"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let body = ServiceBody::new(
            service["id"].as_str().unwrap(),
            service["serviceName"].as_str().unwrap(),
        )
        .kind(service["serviceType"].as_str().unwrap())
        .state(service["releaseState"].as_str().unwrap())
        .describe(service["description"].as_str().unwrap());
        let reply = app.register(&body, FORMATS[index % 2]).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
}

async fn list_examples_have_the_seed_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    register_seed_list(&app).await;
    assert_same_json(
        &app.list_services("", Format::Json).await,
        "list-response.json",
    );
    assert_eq!(
        app.list_services("", Format::Xml).await.xml(),
        fixture_xml("list-response.xml")
    );
}

async fn the_seeds_list_requests_are_answered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    register_seed_list(&app).await;
    for line in fixture("list-requests.txt").lines() {
        let (target, accept) = line.split_once(' ').unwrap();
        let request = app
            .client
            .get(format!("{}{target}", app.address))
            .header("X-Auth-Token", &app.token)
            .header(header::ACCEPT, accept)
            .header(header::ACCEPT_ENCODING, "gzip,deflate");
        let reply = Reply::from(request).await;
        assert_eq!(reply.status, StatusCode::OK, "{line}");
        assert_eq!(reply.header("content-type"), Some(accept));
        let services = reply.services();
        let expected = if target.contains("serviceType=compute") {
            1
        } else {
            8
        };
        assert_eq!(services.len(), expected, "{line}");
    }
}

async fn update_examples_are_accepted_and_answered_in_the_seed_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    register_seed_list(&app).await;
    let path = format!("{BASE}/services/150");
    let reply = send_fixture(
        &app,
        Method::PUT,
        &path,
        "update-request.json",
        Format::Json,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_same_json(&reply, "update-response.json");

    let reply = send_fixture(&app, Method::PUT, &path, "update-request.xml", Format::Xml).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.xml(), fixture_xml("update-response.xml"));
    assert!(reply
        .body
        .starts_with(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#));
}

async fn the_unauthorized_fault_has_the_seed_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let seed_json = fixture_json("fault-unauthorized.json");
    let seed_xml = fixture_xml("fault-unauthorized.xml");
    for format in FORMATS {
        let reply = app
            .get_service_as("18", format, "HPAuth_fd6f4f19c0bbf7bb0d500aac3bfe21b6")
            .await;
        let fault = reply.assert_fault(401, "unauthorized");
        assert!(
            fault.details.starts_with("Invalid credentials"),
            "{}",
            fault.details
        );
        match format {
            Format::Json => {
                let mut ours = reply.json();
                ours["unauthorized"]["details"] = seed_json["unauthorized"]["details"].clone();
                assert_eq!(ours, seed_json);
                assert_eq!(
                    key_order(&reply.body),
                    key_order(&fixture("fault-unauthorized.json"))
                );
            }
            Format::Xml => {
                let mut ours = reply.xml();
                ours.children[1].text = seed_xml.children[1].text.clone();
                assert_eq!(ours, seed_xml);
            }
        }
    }
}

on_both_backends!(
    register_examples_are_accepted_and_answered_in_the_seed_shape,
    the_seeds_malformed_xml_response_is_refused_as_a_request,
    get_examples_have_the_seed_shape,
    list_examples_have_the_seed_shape,
    the_seeds_list_requests_are_answered,
    update_examples_are_accepted_and_answered_in_the_seed_shape,
    the_unauthorized_fault_has_the_seed_shape,
);
