//! Tenant endpoints and the service catalog of tokens, in JSON and XML.

use reqwest::{Method, StatusCode};

use crate::helpers::*;

async fn tenants_get_endpoints_from_their_admins(backend: Backend) {
    let app = catalog_world(backend).await;
    let alice = token_of(&app, "alice", &Scope::default()).await;
    let dave = token_of(&app, "dave", &Scope::default()).await;
    let erin = token_of(&app, "erin", &Scope::default()).await;
    for format in FORMATS {
        let reply = app.associate("7", 3, format, &alice).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let endpoint = one(&reply, "endpoint");
        assert_eq!(endpoint["id"], "3");
        assert_eq!(endpoint["tenantId"], "7");
        assert_eq!(
            endpoint["publicURL"], "https://swift/v1/AUTH_7",
            "URLs for the tenant"
        );
        assert_eq!(endpoint["name"], "Swift");
        app.associate("7", 3, format, &alice)
            .await
            .assert_fault(409, "identityFault");
        app.associate("7", 99, format, &alice)
            .await
            .assert_fault(404, "itemNotFound");
        app.associate("9", 3, format, &app.token)
            .await
            .assert_fault(404, "itemNotFound");
        // DU lists its tenant's endpoints but does not manage them; DA of 8 neither.
        let listed =
            Reply::from(app.request_as(Method::GET, &tenant_endpoints("7"), format, &dave)).await;
        let ids: Vec<String> = many(&listed, "endpoints", "endpoint")
            .iter()
            .map(|e| e["id"].clone())
            .collect();
        assert_eq!(ids, ["3"]);
        app.associate("7", 1, format, &dave)
            .await
            .assert_fault(401, "unauthorized");
        app.associate("7", 1, format, &erin)
            .await
            .assert_fault(401, "unauthorized");
        Reply::from(app.request_as(Method::GET, &tenant_endpoints("7"), format, &erin))
            .await
            .assert_fault(401, "unauthorized");
        // SA acts on any tenant.
        let path = format!("{}/3", tenant_endpoints("7"));
        let removed = Reply::from(app.request_as(Method::DELETE, &path, format, &app.token)).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
        Reply::from(app.request_as(Method::DELETE, &path, format, &app.token))
            .await
            .assert_fault(404, "itemNotFound");
    }
}

async fn catalogs_hold_global_and_associated_endpoints_once(backend: Backend) {
    let app = catalog_world(backend).await;
    app.associate("7", 3, Format::Json, &app.token).await;
    // Associated and global: still once.
    app.associate("7", 1, Format::Json, &app.token).await;
    for format in FORMATS {
        let scoped = app
            .authenticate(
                &Credential::Password("alice", PASSWORD),
                &scoped_by_id("7"),
                format,
            )
            .await;
        let catalog = catalog_of(&scoped);
        let names: Vec<(&str, &str, Vec<&str>)> = catalog
            .iter()
            .map(|(n, t, e)| {
                (
                    n.as_str(),
                    t.as_str(),
                    e.iter().map(|e| e["id"].as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("Nova", "compute", vec!["1", "2"]),
                ("Swift", "object-store", vec!["3"]),
                ("Old", "legacy", vec!["5"]),
            ],
            "grouped by service, the disabled template left out"
        );
        let nova_a = &catalog[0].2[0];
        assert_eq!(nova_a["publicURL"], "https://nova.a/v1.1/7");
        assert_eq!(nova_a["internalURL"], "http://nova.a.internal/v1.1/7");
        assert_eq!(nova_a["region"], "region-a");
        assert_eq!(nova_a["tenantId"], "7");
        assert_eq!(nova_a["versionId"], "1.1");
        assert!(!catalog[1].2[0].contains_key("region"));

        // Unscoped: the global templates only, placeholders as written.
        let unscoped = app
            .authenticate(
                &Credential::Password("erin", PASSWORD),
                &Scope::default(),
                format,
            )
            .await;
        let catalog = catalog_of(&unscoped);
        assert_eq!(catalog.len(), 2, "Nova and Old: {catalog:?}");
        assert_eq!(
            catalog[0].2[0]["publicURL"],
            "https://nova.a/v1.1/%tenant_id%"
        );
        assert!(!catalog[0].2[0].contains_key("tenantId"));
    }
    // A decommissioned service leaves every catalog.
    let retire = ServiceBody::new(300, "Old")
        .kind("legacy")
        .state("decommissioned");
    assert_eq!(
        app.update("300", &retire, Format::Json).await.status,
        StatusCode::OK
    );
    for format in FORMATS {
        let unscoped = app
            .authenticate(
                &Credential::Password("erin", PASSWORD),
                &Scope::default(),
                format,
            )
            .await;
        let names: Vec<String> = catalog_of(&unscoped)
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(names, ["Nova"]);
    }
}

async fn a_tokens_endpoints_are_its_catalog_flattened(backend: Backend) {
    let app = catalog_world(backend).await;
    app.associate("7", 3, Format::Json, &app.token).await;
    let token = token_of(&app, "dave", &scoped_by_id("7")).await;
    for format in FORMATS {
        let reply = Reply::from(app.request_as(
            Method::GET,
            &format!("/v2.0/tokens/{token}/endpoints"),
            format,
            &token,
        ))
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let endpoints: Vec<(String, String, String)> = match format {
            Format::Json => reply.json()["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let text = |k: &str| e[k].as_str().unwrap().to_owned();
                    (text("id"), text("name"), text("publicURL"))
                })
                .collect(),
            Format::Xml => reply
                .xml()
                .children
                .iter()
                .map(|e| {
                    let text = |k: &str| e.attributes[k].clone();
                    (text("id"), text("name"), text("publicURL"))
                })
                .collect(),
        };
        let ids: Vec<&str> = endpoints.iter().map(|(id, _, _)| id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "5"]);
        assert_eq!(
            endpoints[2],
            ("3".into(), "Swift".into(), "https://swift/v1/AUTH_7".into())
        );
        let other = app.principal_token(&format!("du-{}", format.media_type().len()), &["DU"]);
        Reply::from(app.request_as(
            Method::GET,
            &format!("/v2.0/tokens/{token}/endpoints"),
            format,
            &other,
        ))
        .await
        .assert_fault(401, "unauthorized");
    }
}

on_both_backends!(
    tenants_get_endpoints_from_their_admins,
    catalogs_hold_global_and_associated_endpoints_once,
    a_tokens_endpoints_are_its_catalog_flattened,
);
