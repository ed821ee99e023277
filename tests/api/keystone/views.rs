//! v3's read views for the admin commands: services, endpoints, regions, projects,
//! users, domains, roles and the `/v3/auth/*` lists, with who may read what.

use reqwest::Method;
use serde_json::Value;

use super::*;

fn ids(document: &Value, key: &str) -> Vec<String> {
    document[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is a list: {document}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn services_endpoints_and_regions_come_from_the_registry_and_templates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    app.registered(
        &ServiceBody::new(102, "Old")
            .kind("legacy")
            .state("decommissioned"),
    )
    .await;
    let alice = app.alice_v3().await;
    // Every principal reads them, as on v2.0.
    let services = app.v3_get("/v3/services", &alice).await;
    // A decommissioned service is gone from v3 (HP-IDM still shows it).
    assert_eq!(ids(&services, "services"), ["100", "101"]);
    assert_eq!(services["services"][1]["description"], "who is who");
    assert_eq!(services["services"][0]["enabled"], true);
    assert_eq!(
        services["links"]["self"],
        format!("{}/v3/services", app.address)
    );
    assert_eq!(
        ids(
            &app.v3_get("/v3/services?type=identity", &alice).await,
            "services"
        ),
        ["101"]
    );
    assert_eq!(
        ids(
            &app.v3_get("/v3/services?name=nova", &alice).await,
            "services"
        ),
        ["100"]
    );
    assert_eq!(
        app.v3_get("/v3/services/101", &alice).await["service"]["name"],
        "Keystone"
    );
    // An id that is no service's, or a name in its place (clients try that first): 404.
    for path in ["/v3/services/999", "/v3/services/Nova", "/v3/services/102"] {
        v3_fault(&app.v3(Method::GET, path, &alice, None).await, 404);
    }
    // One endpoint per template and interface, the URL as written.
    let endpoints = app.v3_get("/v3/endpoints", &alice).await;
    assert_eq!(
        ids(&endpoints, "endpoints"),
        ["1-public", "1-internal", "1-admin", "2-public"]
    );
    assert_eq!(
        endpoints["endpoints"][0]["url"],
        "https://nova.example/v1.1/%tenant_id%"
    );
    assert_eq!(endpoints["endpoints"][0]["service_id"], "100");
    let filtered = |query: &str| {
        let app = &app;
        let alice = alice.clone();
        let query = query.to_owned();
        async move {
            ids(
                &app.v3_get(&format!("/v3/endpoints?{query}"), &alice).await,
                "endpoints",
            )
        }
    };
    assert_eq!(filtered("service_id=101").await, ["2-public"]);
    assert_eq!(filtered("interface=internal").await, ["1-internal"]);
    assert_eq!(filtered("region_id=region-b").await, ["2-public"]);
    assert_eq!(
        filtered("region=region-a&interface=admin").await,
        ["1-admin"]
    );
    assert!(filtered("interface=nowhere").await.is_empty());
    let one = app.v3_get("/v3/endpoints/1-internal", &alice).await;
    assert_eq!(
        one["endpoint"]["url"],
        "http://nova.internal/v1.1/%tenant_id%"
    );
    for path in [
        "/v3/endpoints/2-admin",
        "/v3/endpoints/9-public",
        "/v3/endpoints/x",
    ] {
        v3_fault(&app.v3(Method::GET, path, &alice, None).await, 404);
    }
    assert_eq!(
        ids(&app.v3_get("/v3/regions", &alice).await, "regions"),
        ["region-a", "region-b"]
    );
    assert_eq!(
        app.v3_get("/v3/regions/region-b", &alice).await["region"]["id"],
        "region-b"
    );
    v3_fault(
        &app.v3(Method::GET, "/v3/regions/region-z", &alice, None)
            .await,
        404,
    );
    // Without a token: 401.
    let anonymous = Reply::from(app.client.get(format!("{}/v3/services", app.address))).await;
    v3_fault(&anonymous, 401);
}

async fn projects_and_users_follow_the_v2_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let alice = app.alice_v3().await;
    let admin = &app.token;
    // SA sees every project; a DU its own.
    assert_eq!(
        ids(&app.v3_get("/v3/projects", admin).await, "projects"),
        ["7", "8"]
    );
    assert_eq!(
        ids(&app.v3_get("/v3/projects", &alice).await, "projects"),
        ["7"]
    );
    assert_eq!(
        ids(
            &app.v3_get("/v3/projects?name=beta", admin).await,
            "projects"
        ),
        ["8"]
    );
    assert!(ids(
        &app.v3_get("/v3/projects?domain_id=other", admin).await,
        "projects"
    )
    .is_empty());
    assert_eq!(
        app.v3_get("/v3/projects/7", &alice).await["project"]["name"],
        "acme"
    );
    v3_fault(
        &app.v3(Method::GET, "/v3/projects/8", &alice, None).await,
        403,
    );
    v3_fault(
        &app.v3(Method::GET, "/v3/projects/99", admin, None).await,
        404,
    );
    v3_fault(
        &app.v3(Method::GET, "/v3/projects/acme", admin, None).await,
        404,
    );
    // A user reads itself and its projects; another's is 403 unless SA or SVC.
    let validated = app
        .v3(Method::GET, "/v3/auth/tokens", &alice, Some(&alice))
        .await
        .json();
    let alice_id = validated["token"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = app.v3_get(&format!("/v3/users/{alice_id}"), &alice).await;
    assert_eq!(user["user"]["name"], "alice");
    assert_eq!(user["user"]["default_project_id"], "7");
    assert_eq!(user["user"]["enabled"], true);
    let theirs = app
        .v3_get(&format!("/v3/users/{alice_id}/projects"), admin)
        .await;
    assert_eq!(ids(&theirs, "projects"), ["7"]);
    let (bob, bob_token) = app.v3_token(&password_by_name("bob", PASSWORD, None)).await;
    let bob_id = bob_token["token"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    v3_fault(
        &app.v3(Method::GET, &format!("/v3/users/{alice_id}"), &bob, None)
            .await,
        403,
    );
    v3_fault(
        &app.v3(
            Method::GET,
            &format!("/v3/users/{alice_id}/projects"),
            &bob,
            None,
        )
        .await,
        403,
    );
    assert_eq!(
        app.v3_get(&format!("/v3/users/{bob_id}"), &bob).await["user"]["name"],
        "bob"
    );
    v3_fault(
        &app.v3(Method::GET, "/v3/users/424242", admin, None).await,
        404,
    );
    // The token's own lists.
    assert_eq!(
        ids(&app.v3_get("/v3/auth/projects", &alice).await, "projects"),
        ["7"]
    );
    assert_eq!(
        ids(&app.v3_get("/v3/auth/domains", &alice).await, "domains"),
        ["default"]
    );
    // The catalog by v2.0's rules: a decommissioned template stays out (and is listed as
    // a disabled endpoint), the tenant is substituted, services in id order.
    app.added_template(
        &TemplateBody::new(3, "Nova", "compute", "https://old-nova.example/%tenant_id%")
            .with("region", "region-c")
            .with("global", "true")
            .with("releaseState", "decommissioned"),
    )
    .await;
    let catalog = app.v3_get("/v3/auth/catalog", &alice).await;
    assert_eq!(ids(&catalog, "catalog"), ["100", "101"]);
    assert_eq!(
        ids(&catalog["catalog"][0], "endpoints"),
        ["1-public", "1-internal", "1-admin"]
    );
    assert_eq!(
        catalog["catalog"][0]["endpoints"][0]["url"],
        "https://nova.example/v1.1/7"
    );
    let old = app.v3_get("/v3/endpoints/3-public", admin).await;
    assert_eq!(old["endpoint"]["enabled"], false);
    let issued = app
        .v3_token(&password_by_name(
            "alice",
            PASSWORD,
            Some(project_by_id("7")),
        ))
        .await
        .1;
    assert_eq!(
        issued["token"]["catalog"], catalog["catalog"],
        "the token's catalog is the same"
    );
}

async fn the_one_domain_and_the_levels_as_roles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let alice = app.alice_v3().await;
    let default = app.v3_get("/v3/domains/default", &alice).await;
    assert_eq!(default["domain"]["name"], "Default");
    v3_fault(
        &app.v3(Method::GET, "/v3/domains/Default", &alice, None)
            .await,
        404,
    );
    let domains = app.v3_get("/v3/domains", &alice).await;
    assert_eq!(ids(&domains, "domains"), ["default"]);
    assert_eq!(domains["domains"][0]["name"], "Default");
    assert!(ids(
        &app.v3_get("/v3/domains?name=Other", &alice).await,
        "domains"
    )
    .is_empty());
    v3_fault(
        &app.v3(Method::GET, "/v3/domains?enabled=maybe", &alice, None)
            .await,
        400,
    );
    let roles = app.v3_get("/v3/roles", &alice).await;
    assert_eq!(
        ids(&roles, "roles"),
        ["SA", "SVC", "DA", "DU", "admin", "member", "reader"]
    );
    assert_eq!(
        ids(&app.v3_get("/v3/roles?name=DA", &alice).await, "roles"),
        ["DA"]
    );
    // Keystone's default names, which tools look roles up by, are the levels'.
    let member = app.v3_get("/v3/roles/member", &alice).await;
    assert!(member["role"]["description"]
        .as_str()
        .unwrap()
        .contains("level DU"));
    v3_fault(
        &app.v3(Method::GET, "/v3/roles/owner", &alice, None).await,
        404,
    );
    // Only GET: other methods are 405 with Allow, in v3's shape.
    let posted = app.v3(Method::POST, "/v3/roles", &alice, None).await;
    assert_eq!(posted.header("allow"), Some("GET"));
    v3_fault(&posted, 405);
}

on_both_backends!(
    services_endpoints_and_regions_come_from_the_registry_and_templates,
    projects_and_users_follow_the_v2_rules,
    the_one_domain_and_the_levels_as_roles,
);
