//! v3's catalog writes: services, endpoints and regions, written onto the registry's
//! services and the catalog's templates, and read back through HP-IDM (JSON and XML),
//! v2.0's and v3's catalogs.

use reqwest::Method;
use serde_json::{json, Value};

use super::*;

const TEMPLATES: &str = "/v2.0/HP-IDM/v1.0/endpointTemplates";

/// The ids of a v3 token's catalog entries for `service`, with each endpoint's
/// interface and URL.
fn catalog_entry(token: &Value, service: &str) -> Vec<(String, String)> {
    token["token"]["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["id"] == service)
        .flat_map(|entry| entry["endpoints"].as_array().unwrap().clone())
        .map(|e| {
            (
                e["interface"].as_str().unwrap().to_owned(),
                e["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn services_written_through_v3_are_hp_idm_services(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let admin = app.token.clone();
    let alice = app.alice_v3().await;
    let body = json!({"service": {"type": "image", "name": "Glance", "description": "images"}});
    let created = app
        .v3_ok(Method::POST, "/v3/services", &admin, "service", &body, 201)
        .await;
    // The next free id after the fixture's 100 and 101.
    assert_eq!(created["service"]["id"], "102");
    assert_eq!(created["service"]["enabled"], true);
    for format in FORMATS {
        let service = app.get_service("102", format).await.service();
        assert_eq!(service.name, "Glance");
        assert_eq!(service.service_type, "image");
        assert_eq!(service.release_state, "public");
    }
    // Names are unique case-insensitively, across both APIs.
    let twin = json!({"service": {"type": "compute", "name": "NOVA"}});
    v3_fault(
        &app.v3_write(Method::POST, "/v3/services", &admin, "service", &twin)
            .await,
        409,
    );
    app.v3_refused(
        Method::POST,
        "/v3/services",
        &admin,
        "service",
        &json!({"service": {"type": "", "name": "x"}}),
    )
    .await;
    let control = json!({"service": {"type": "image", "name": "bad\u{7}name"}});
    v3_fault(
        &app.v3_send(Method::POST, "/v3/services", &admin, &control)
            .await,
        400,
    );
    v3_fault(
        &app.v3_send(Method::POST, "/v3/services", &admin, &json!([1]))
            .await,
        400,
    );
    // A DU may read but not write: 403; no token: 401.
    v3_fault(
        &app.v3_write(Method::POST, "/v3/services", &alice, "service", &body)
            .await,
        403,
    );
    v3_fault(
        &app.v3_write(Method::POST, "/v3/services", "nonsense", "service", &body)
            .await,
        401,
    );
    // Disabled, a service leaves catalogs, and comes back.
    let endpoint = json!({"endpoint": {"service_id": "102", "interface": "public",
        "url": "https://glance.example", "region_id": "region-a"}});
    app.v3_ok(
        Method::POST,
        "/v3/endpoints",
        &admin,
        "endpoint",
        &endpoint,
        201,
    )
    .await;
    let scoped = || async {
        app.v3_token(&password_by_name(
            "alice",
            PASSWORD,
            Some(project_by_name("acme")),
        ))
        .await
        .1
    };
    assert_eq!(catalog_entry(&scoped().await, "102").len(), 1);
    let off = json!({"service": {"enabled": false}});
    let patched = app
        .v3_ok(
            Method::PATCH,
            "/v3/services/102",
            &admin,
            "service",
            &off,
            200,
        )
        .await;
    assert_eq!(patched["service"]["enabled"], false);
    assert_eq!(patched["service"]["name"], "Glance", "kept");
    assert!(catalog_entry(&scoped().await, "102").is_empty());
    let on = json!({"service": {"enabled": true, "description": null}});
    let patched = app
        .v3_ok(
            Method::PATCH,
            "/v3/services/102",
            &admin,
            "service",
            &on,
            200,
        )
        .await;
    assert_eq!(patched["service"]["description"], "");
    assert_eq!(catalog_entry(&scoped().await, "102").len(), 1);
    // DELETE decommissions: gone from v3, decommissioned (for good) in HP-IDM.
    let deleted = app
        .v3(Method::DELETE, "/v3/services/102", &admin, None)
        .await;
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.body);
    v3_fault(
        &app.v3(Method::GET, "/v3/services/102", &admin, None).await,
        404,
    );
    v3_fault(
        &app.v3(Method::DELETE, "/v3/services/102", &admin, None)
            .await,
        404,
    );
    for format in FORMATS {
        let service = app.get_service("102", format).await.service();
        assert_eq!(service.release_state, "decommissioned");
    }
    assert!(catalog_entry(&scoped().await, "102").is_empty());
}

async fn endpoints_are_the_interfaces_of_templates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let admin = app.token.clone();
    let post = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            app.v3_write(Method::POST, "/v3/endpoints", &admin, "endpoint", &body)
                .await
        }
    };
    let endpoint = |interface: &str, url: &str, region: &str| {
        json!({"endpoint": {"service_id": "101", "interface": interface, "url": url,
            "region_id": region}})
    };
    app.v3_ok(
        Method::POST,
        "/v3/regions",
        &admin,
        "region",
        &json!({"region": {"id": "region-c"}}),
        201,
    )
    .await;
    // The first endpoint of a service in a region is its public one: a new template.
    let internal_first = post(endpoint("internal", "http://id.internal", "region-c")).await;
    assert!(v3_fault(&internal_first, 400).contains("public"));
    let created = post(endpoint("public", "https://id.c.example/v3", "region-c")).await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    assert_eq!(created.json()["endpoint"]["id"], "3-public");
    let internal = post(endpoint("internal", "http://id.c.internal/v3", "region-c")).await;
    assert_eq!(internal.json()["endpoint"]["id"], "3-internal");
    for format in FORMATS {
        let reply =
            Reply::from(app.request_as(Method::GET, &format!("{TEMPLATES}/3"), format, &admin))
                .await;
        let fields = one(&reply, "endpointTemplate");
        assert_eq!(fields["publicURL"], "https://id.c.example/v3");
        assert_eq!(fields["internalURL"], "http://id.c.internal/v3");
        assert_eq!(fields["region"], "region-c");
        assert_eq!(fields["global"], "true");
    }
    // One endpoint per service, region and interface.
    let again = post(endpoint("public", "https://elsewhere", "region-c")).await;
    assert!(v3_fault(&again, 409).contains("public"));
    // An unknown region_id is a 400; the legacy `region` creates it.
    v3_fault(
        &post(endpoint("public", "https://x", "region-z")).await,
        400,
    );
    v3_fault(
        &app.v3(Method::GET, "/v3/regions/region-z", &admin, None)
            .await,
        404,
    );
    let legacy = json!({"endpoint": {"service_id": "101", "interface": "public",
        "url": "https://id.d.example", "region": "region-d"}});
    assert_eq!(post(legacy).await.status.as_u16(), 201);
    app.v3_get("/v3/regions/region-d", &admin).await;
    // An unknown or decommissioned service, a bad interface or URL: 400.
    let unknown =
        json!({"endpoint": {"service_id": "999", "interface": "public", "url": "https://x"}});
    v3_fault(&post(unknown).await, 400);
    app.v3_refused(
        Method::POST,
        "/v3/endpoints",
        &admin,
        "endpoint",
        &json!({"endpoint": {"service_id": "101", "interface": "private", "url": "https://x"}}),
    )
    .await;
    app.v3_refused(
        Method::POST,
        "/v3/endpoints",
        &admin,
        "endpoint",
        &json!({"endpoint": {"service_id": "101", "interface": "public", "url": ""}}),
    )
    .await;
    // In every catalog, v2.0's and v3's; disabled, an interface leaves them.
    let (_, token) = app
        .v3_token(&password_by_name(
            "alice",
            PASSWORD,
            Some(project_by_name("acme")),
        ))
        .await;
    assert!(catalog_entry(&token, "101")
        .contains(&("internal".into(), "http://id.c.internal/v3".into())));
    let off = json!({"endpoint": {"enabled": false, "url": "http://id.c.internal/v3.1"}});
    let patched = app
        .v3_ok(
            Method::PATCH,
            "/v3/endpoints/3-internal",
            &admin,
            "endpoint",
            &off,
            200,
        )
        .await;
    assert_eq!(patched["endpoint"]["enabled"], false);
    assert_eq!(patched["endpoint"]["url"], "http://id.c.internal/v3.1");
    let (_, token) = app
        .v3_token(&password_by_name(
            "alice",
            PASSWORD,
            Some(project_by_name("acme")),
        ))
        .await;
    let entry = catalog_entry(&token, "101");
    assert!(entry.contains(&("public".into(), "https://id.c.example/v3".into())));
    assert!(!entry
        .iter()
        .any(|(_, url)| url.starts_with("http://id.c.internal")));
    // Alice's v2.0 catalog, as a fresh token shows it.
    let v2_catalog = || async {
        crate::helpers::catalog_of(
            &app.authenticate(
                &crate::helpers::Credential::Password("alice", PASSWORD),
                &crate::helpers::Scope::default(),
                Format::Json,
            )
            .await,
        )
    };
    let v2 = v2_catalog().await;
    let keystone = v2.iter().find(|(name, _, _)| name == "Keystone").unwrap();
    let region_c = keystone
        .2
        .iter()
        .find(|e| e["region"] == "region-c")
        .unwrap();
    assert_eq!(region_c["publicURL"], "https://id.c.example/v3");
    assert!(!region_c.contains_key("internalURL"), "{region_c:?}");
    // A disabled public endpoint takes its template out of v2.0's catalog (an entry is
    // its public URL first), and it comes back when enabled again.
    let v2_regions = || async {
        v2_catalog()
            .await
            .iter()
            .filter(|(name, _, _)| name == "Keystone")
            .flat_map(|(_, _, endpoints)| endpoints.iter().map(|e| e["region"].clone()))
            .collect::<Vec<_>>()
    };
    for (enabled, present) in [(false, false), (true, true)] {
        let switch = json!({"endpoint": {"enabled": enabled}});
        app.v3_ok(
            Method::PATCH,
            "/v3/endpoints/3-public",
            &admin,
            "endpoint",
            &switch,
            200,
        )
        .await;
        assert_eq!(v2_regions().await.contains(&"region-c".to_owned()), present);
    }
    // Its service, region and interface are where it lives: moving it is a 400.
    let moved = json!({"endpoint": {"interface": "admin"}});
    v3_fault(
        &app.v3_write(
            Method::PATCH,
            "/v3/endpoints/3-internal",
            &admin,
            "endpoint",
            &moved,
        )
        .await,
        400,
    );
    // The public endpoint goes last, with its template.
    v3_fault(
        &app.v3(Method::DELETE, "/v3/endpoints/3-public", &admin, None)
            .await,
        409,
    );
    for path in ["/v3/endpoints/3-internal", "/v3/endpoints/3-public"] {
        let deleted = app.v3(Method::DELETE, path, &admin, None).await;
        assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.body);
        v3_fault(&app.v3(Method::GET, path, &admin, None).await, 404);
    }
    let gone =
        Reply::from(app.request_as(Method::GET, &format!("{TEMPLATES}/3"), Format::Json, &admin))
            .await;
    gone.assert_fault(404, "itemNotFound");
    // HP-IDM's template 1 (three interfaces) is three v3 endpoints, each writable.
    let admin_url = json!({"endpoint": {"url": "http://nova.admin/v2"}});
    app.v3_ok(
        Method::PATCH,
        "/v3/endpoints/1-admin",
        &admin,
        "endpoint",
        &admin_url,
        200,
    )
    .await;
    let reply =
        Reply::from(app.request_as(Method::GET, &format!("{TEMPLATES}/1"), Format::Xml, &admin))
            .await;
    assert_eq!(
        one(&reply, "endpointTemplate")["adminURL"],
        "http://nova.admin/v2"
    );
    // A DU writes none of it.
    let alice = app.alice_v3().await;
    v3_fault(
        &app.v3(Method::DELETE, "/v3/endpoints/1-admin", &alice, None)
            .await,
        403,
    );
}

async fn regions_have_parents_and_keep_what_refers_to_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let admin = app.token.clone();
    // A template's region (written through HP-IDM) is a region.
    let listed: Vec<Value> = app.v3_get("/v3/regions", &admin).await["regions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let europe = json!({"region": {"id": "europe", "description": "EU"}});
    let created = app
        .v3_ok(Method::POST, "/v3/regions", &admin, "region", &europe, 201)
        .await;
    assert_eq!(created["region"]["description"], "EU");
    assert_eq!(created["region"]["parent_region_id"], Value::Null);
    v3_fault(
        &app.v3_write(Method::POST, "/v3/regions", &admin, "region", &europe)
            .await,
        409,
    );
    let child = json!({"region": {"description": "Paris", "parent_region_id": "europe"}});
    let paris = app
        .v3_ok(
            Method::PUT,
            "/v3/regions/eu-paris",
            &admin,
            "region",
            &child,
            201,
        )
        .await;
    assert_eq!(paris["region"]["id"], "eu-paris");
    assert_eq!(paris["region"]["parent_region_id"], "europe");
    // Without an id, a random one.
    let anonymous = app
        .v3_ok(
            Method::POST,
            "/v3/regions",
            &admin,
            "region",
            &json!({"region": {}}),
            201,
        )
        .await;
    assert_eq!(anonymous["region"]["id"].as_str().unwrap().len(), 32);
    let orphan = json!({"region": {"id": "x", "parent_region_id": "nowhere"}});
    v3_fault(
        &app.v3_write(Method::POST, "/v3/regions", &admin, "region", &orphan)
            .await,
        400,
    );
    // No cycles.
    let cycle = json!({"region": {"parent_region_id": "eu-paris"}});
    v3_fault(
        &app.v3_write(
            Method::PATCH,
            "/v3/regions/europe",
            &admin,
            "region",
            &cycle,
        )
        .await,
        400,
    );
    let children = app
        .v3_get("/v3/regions?parent_region_id=europe", &admin)
        .await;
    assert_eq!(children["regions"].as_array().unwrap().len(), 1);
    // A region with a child or an endpoint stays.
    v3_fault(
        &app.v3(Method::DELETE, "/v3/regions/europe", &admin, None)
            .await,
        409,
    );
    v3_fault(
        &app.v3(Method::DELETE, "/v3/regions/region-a", &admin, None)
            .await,
        409,
    );
    let described = json!({"region": {"description": "Île-de-France", "parent_region_id": null}});
    let patched = app
        .v3_ok(
            Method::PATCH,
            "/v3/regions/eu-paris",
            &admin,
            "region",
            &described,
            200,
        )
        .await;
    assert_eq!(patched["region"]["description"], "Île-de-France");
    assert_eq!(patched["region"]["parent_region_id"], Value::Null);
    for path in ["/v3/regions/europe", "/v3/regions/eu-paris"] {
        let deleted = app.v3(Method::DELETE, path, &admin, None).await;
        assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.body);
    }
    v3_fault(
        &app.v3(Method::GET, "/v3/regions/europe", &admin, None)
            .await,
        404,
    );
    let alice = app.alice_v3().await;
    v3_fault(
        &app.v3_write(Method::POST, "/v3/regions", &alice, "region", &europe)
            .await,
        403,
    );
}

on_both_backends!(
    services_written_through_v3_are_hp_idm_services,
    endpoints_are_the_interfaces_of_templates,
    regions_have_parents_and_keep_what_refers_to_them,
);
