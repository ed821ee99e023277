//! Version discovery: `/` (300, both versions), `/v3`, `/v2.0` (JSON and XML) and
//! `/v2.0/extensions`, unauthenticated, with absolute links from the request's host.

use reqwest::{header, Method, StatusCode};

use crate::helpers::*;

async fn get(app: &TestApp, path: &str, accept: &str, host: Option<&str>) -> Reply {
    let mut request = app
        .client
        .get(format!("{}{path}", app.address))
        .header(header::ACCEPT, accept);
    if let Some(host) = host {
        request = request.header(header::HOST, host);
    }
    Reply::from(request).await
}

async fn the_root_lists_both_versions_with_links_from_the_host(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reply = get(&app, "/", "application/json", None).await;
    assert_eq!(reply.status, StatusCode::MULTIPLE_CHOICES, "{}", reply.body);
    let values = reply.json()["versions"]["values"].clone();
    let ids: Vec<&str> = values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["v3.14", "v2.0"]);
    assert_eq!(
        values[0]["links"][0]["href"],
        format!("{}/v3/", app.address)
    );
    assert_eq!(
        values[1]["links"][0]["href"],
        format!("{}/v2.0/", app.address)
    );
    // The links follow the host the client used, not the address the server bound.
    let proxied = get(&app, "/", "*/*", Some("identity.example:5000")).await;
    assert_eq!(
        proxied.json()["versions"]["values"][0]["links"][0]["href"],
        "http://identity.example:5000/v3/"
    );
    // The root and v3 speak JSON only: an XML Accept still gets JSON, and their faults
    // are Keystone's.
    let v3 = get(&app, "/v3/", "application/xml", None).await;
    assert_eq!(v3.status, StatusCode::OK);
    assert_eq!(v3.json()["version"]["id"], "v3.14");
    assert_eq!(
        v3.json()["version"]["media-types"][0]["type"],
        "application/vnd.openstack.identity-v3+json"
    );
    let posted = Reply::from(app.client.post(format!("{}/", app.address))).await;
    assert_eq!(posted.header("allow"), Some("GET"));
    crate::keystone::v3_fault(&posted, 405);
    let nowhere = get(&app, "/v3/nowhere", "application/json", None).await;
    crate::keystone::v3_fault(&nowhere, 404);
}

async fn v2_describes_itself_and_its_extensions_in_both_formats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/v2.0", "/v2.0/"] {
        let json = get(&app, path, "application/json", None).await;
        assert_eq!(json.status, StatusCode::OK, "{}", json.body);
        let version = &json.json()["version"];
        assert_eq!(version["id"], "v2.0");
        assert_eq!(
            version["links"][0]["href"],
            format!("{}/v2.0/", app.address)
        );
        let xml = get(&app, path, "application/xml", None).await;
        assert_eq!(xml.status, StatusCode::OK, "{}", xml.body);
        let root = xml.xml();
        assert_eq!(root.name, "version");
        assert_eq!(root.namespace, "http://docs.openstack.org/common/api/v1.0");
        assert_eq!(root.attributes["id"], "v2.0");
        let links = root.children.iter().find(|c| c.name == "links").unwrap();
        assert_eq!(
            links.children[0].attributes["href"],
            format!("{}/v2.0/", app.address)
        );
    }
    let json = get(&app, "/v2.0/extensions", "application/json", None).await;
    let aliases: Vec<String> = json.json()["extensions"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["alias"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(aliases, ["HP-IDM", "RAX-KSKEY"]);
    let xml = get(&app, "/v2.0/extensions", "application/xml", None).await;
    let listed: Vec<String> = xml
        .xml()
        .children
        .iter()
        .map(|e| e.attributes["alias"].clone())
        .collect();
    assert_eq!(listed, aliases);
    // v2.0's faults carry Keystone's error beside the named fault in JSON (Reply::fault
    // checks the pair), and the named fault alone in XML.
    for format in FORMATS {
        let refused = Reply::from(
            app.client
                .delete(format!("{}/v2.0/extensions", app.address))
                .header(header::ACCEPT, format.media_type()),
        )
        .await;
        refused.assert_fault(405, "identityFault");
        let unknown = Reply::from(app.request(Method::GET, "/v2.0/tokens/HPAuth_x", format)).await;
        unknown.assert_fault(404, "itemNotFound");
    }
    // HP-IDM's routes keep the seed's shape: no error member (Reply::fault checks it).
    app.get_service("9", Format::Json)
        .await
        .assert_fault(404, "itemNotFound");
}

on_both_backends!(
    the_root_lists_both_versions_with_links_from_the_host,
    v2_describes_itself_and_its_extensions_in_both_formats,
);
