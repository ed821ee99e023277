//! Endpoint templates backed by live fleets (docs/contract.md, "Endpoint templates"): the
//! binding in JSON and XML, its rules, and catalogs that leave out a template whose fleet
//! is not alive, on every node, within a second of its deadline.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

on_both_backends!(
    a_binding_is_set_shown_and_removed_in_both_formats,
    bindings_break_no_rule_unnoticed,
);
on_both_backends!(multi_thread: catalogs_follow_the_fleet_on_every_node);

/// Template 1: Nova in region-a, global (catalog_world).
fn nova_a() -> TemplateBody {
    TemplateBody::new(1, "Nova", "compute", "https://nova.a/v1.1/%tenant_id%")
        .with("region", "region-a")
        .with("global", "true")
}

async fn put(app: &TestApp, body: &TemplateBody, format: Format) -> Reply {
    app.send_body(
        Method::PUT,
        &format!("{TEMPLATES}/1"),
        format,
        body.encode(format),
        &app.token.clone(),
    )
    .await
}

async fn a_binding_is_set_shown_and_removed_in_both_formats(backend: Backend) {
    let app = catalog_world(backend).await;
    for (format, min) in [(Format::Json, "2"), (Format::Xml, "3")] {
        let bound = nova_a().bound(&[("tenantId", "7"), ("tag", "nova-api"), ("minAlive", min)]);
        let reply = put(&app, &bound, format).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        for read in FORMATS {
            let template = one(
                &app.template_request(Method::GET, "/1", read, &app.token)
                    .await,
                "endpointTemplate",
            );
            assert_eq!(template["liveness.tenantId"], "7", "{read:?}: {template:?}");
            assert_eq!(template["liveness.tag"], "nova-api");
            assert_eq!(template["liveness.minAlive"], min);
            assert_eq!(
                template["liveness.alive"], "0",
                "nothing of the fleet lives yet"
            );
        }
    }
    // minAlive defaults to 1; a PUT without the binding removes it.
    let reply = put(
        &app,
        &nova_a().bound(&[("tenantId", "7"), ("tag", "nova-api")]),
        Format::Json,
    )
    .await;
    assert_eq!(one(&reply, "endpointTemplate")["liveness.minAlive"], "1");
    let reply = put(&app, &nova_a(), Format::Xml).await;
    let template = one(&reply, "endpointTemplate");
    assert!(
        !template.keys().any(|k| k.starts_with("liveness")),
        "{template:?}"
    );
}

async fn bindings_break_no_rule_unnoticed(backend: Backend) {
    let app = catalog_world(backend).await;
    let long = "t".repeat(56);
    let cases: Vec<(Vec<(&'static str, &str)>, &str)> = vec![
        (
            vec![("tenantId", "999"), ("tag", "a")],
            "liveness tenantId 999 names no tenant",
        ),
        (
            vec![("tenantId", "x7"), ("tag", "a")],
            "liveness tenantId must be a tenant's numeric id",
        ),
        (vec![("tag", "a")], "liveness needs a tenantId"),
        (vec![("tenantId", "7")], "liveness needs a tag"),
        (
            vec![("tenantId", "7"), ("tag", "")],
            "liveness tag must have 1 to 55 characters",
        ),
        (
            vec![("tenantId", "7"), ("tag", &long)],
            "liveness tag must have 1 to 55 characters",
        ),
        (
            vec![("tenantId", "7"), ("tag", "a"), ("minAlive", "0")],
            "minAlive must be an integer from 1 to 1000",
        ),
        (
            vec![("tenantId", "7"), ("tag", "a"), ("minAlive", "1001")],
            "minAlive must be an integer from 1 to 1000",
        ),
        (
            vec![("tenantId", "7"), ("tag", "a"), ("minAlive", "many")],
            "minAlive must be an integer from 1 to 1000",
        ),
    ];
    for format in FORMATS {
        for (fields, expected) in &cases {
            let reply = put(&app, &nova_a().bound(fields), format).await;
            let fault = reply.assert_fault(400, "badRequest");
            assert!(
                fault.details.contains(expected),
                "{format:?} {fields:?}: {}",
                fault.details
            );
        }
    }
    let unknown = json!({"endpointTemplate": {"id": "1", "name": "Nova", "type": "compute",
        "publicURL": "https://nova.a", "liveness": {"tenantId": "7", "tag": "a", "minimum": 2}}});
    let reply = app
        .send_body(
            Method::PUT,
            &format!("{TEMPLATES}/1"),
            Format::Json,
            unknown.to_string(),
            &app.token.clone(),
        )
        .await;
    reply.assert_fault(400, "badRequest");
    // Only SA and SVC write templates, binding or not.
    let reply = app
        .send_body(
            Method::PUT,
            &format!("{TEMPLATES}/1"),
            Format::Json,
            nova_a()
                .bound(&[("tenantId", "7"), ("tag", "a")])
                .encode(Format::Json),
            &app.principal_token("domain-admin", &["DA"]),
        )
        .await;
    assert!(
        reply.status.is_client_error() && reply.status != StatusCode::BAD_REQUEST,
        "{}",
        reply.status
    );
    let template = one(
        &app.template_request(Method::GET, "/1", Format::Json, &app.token)
            .await,
        "endpointTemplate",
    );
    assert!(
        !template.keys().any(|k| k.starts_with("liveness")),
        "nothing was bound: {template:?}"
    );
}

/// The template ids in every catalog alice can read on `app`: the v2.0 token she is issued
/// (JSON and XML), her token's endpoints (JSON and XML), her v3 catalog, her v3 token read back, a v3
/// token issued to her.
async fn catalogs(app: &TestApp, alice: &str) -> Vec<Vec<String>> {
    let mut seen = Vec::new();
    for format in FORMATS {
        let issued = app
            .authenticate(
                &Credential::Password("alice", PASSWORD),
                &scoped_by_id("7"),
                format,
            )
            .await;
        let ids: Vec<String> = catalog_of(&issued)
            .into_iter()
            .flat_map(|(_, _, endpoints)| endpoints.into_iter().map(|e| e["id"].clone()))
            .collect();
        seen.push(ids);
    }
    // Her token's endpoints, in JSON and in XML.
    for format in FORMATS {
        let path = format!("/v2.0/tokens/{alice}/endpoints");
        let reply = Reply::from(app.request(Method::GET, &path, format)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let ids: Vec<String> = match format {
            Format::Json => reply.json()["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].to_string().trim_matches('"').to_owned())
                .collect(),
            Format::Xml => reply
                .xml()
                .children
                .iter()
                .map(|e| e.attributes["id"].clone())
                .collect(),
        };
        seen.push(ids);
    }
    // v3: her catalog, and her token read back by the admin (its catalog as of now).
    let v3_catalog = app.v3_get("/v3/auth/catalog", alice).await;
    let token = app
        .v3(Method::GET, "/v3/auth/tokens", &app.token, Some(alice))
        .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.body);
    // …and a v3 token issued to her now (token method, scoped to tenant 7).
    let body = serde_json::json!({"auth": {"identity": {"methods": ["token"], "token": {"id": alice}},
        "scope": {"project": {"id": "7"}}}});
    let issued = Reply::from(
        app.client
            .post(format!("{}/v3/auth/tokens", app.address))
            .header("X-Auth-Token", alice)
            .header("Content-Type", "application/json")
            .body(body.to_string()),
    )
    .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    for catalog in [
        &v3_catalog["catalog"],
        &token.json()["token"]["catalog"],
        &issued.json()["token"]["catalog"],
    ] {
        let mut ids: Vec<String> = catalog
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|service| service["endpoints"].as_array().unwrap().clone())
            .map(|e| {
                e["id"]
                    .as_str()
                    .unwrap()
                    .split('-')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        ids.dedup();
        seen.push(ids);
    }
    seen
}

/// Whether template 1 is in every catalog alice reads on `app` (`Some`), or in some and
/// not others (`None`: a change under way).
async fn nova_a_served(app: &TestApp, alice: &str) -> Option<bool> {
    let catalogs = catalogs(app, alice).await;
    assert!(
        catalogs.iter().all(|ids| ids.iter().any(|id| id == "2")),
        "unbound template 2 is always served: {catalogs:?}"
    );
    let served: Vec<bool> = catalogs
        .iter()
        .map(|ids| ids.iter().any(|id| id == "1"))
        .collect();
    served.iter().all(|s| *s == served[0]).then_some(served[0])
}

/// Reads until every catalog on `app` agrees that template 1 is `served`; fails past the
/// contract's second (plus scheduling slack).
async fn until_served(app: &TestApp, alice: &str, served: bool, why: &str) {
    eventually(why, Duration::from_millis(1500), || async {
        (nova_a_served(app, alice).await == Some(served)).then_some(())
    })
    .await;
}

const TIMEOUT: u32 = 3;

async fn catalogs_follow_the_fleet_on_every_node(backend: Backend) {
    let app = catalog_world(backend).await;
    let other = TestApp::another_node(&app, |_| {}).await;
    let alice = token_of(&app, "alice", &scoped_by_id("7")).await;
    let bound = nova_a().bound(&[("tenantId", "7"), ("tag", "nova-api"), ("minAlive", "2")]);
    assert_eq!(put(&app, &bound, Format::Json).await.status, StatusCode::OK);
    let fleet = app.live(7);
    // The first two outlive the test; the last two fall silent.
    let member = |id: &str, timeout: u32| json!({"id": format!("member-{id}"), "heartbeat_timeout": timeout, "tags": ["nova-api"]});
    for node in [&app, &other] {
        assert_eq!(
            nova_a_served(node, &alice).await,
            Some(false),
            "no fleet: left out"
        );
    }
    assert_eq!(
        fleet.create_with(&member("a", 120)).await.status,
        StatusCode::CREATED
    );
    let untagged = json!({"id": "untagged", "heartbeat_timeout": 120, "tags": ["glance"]});
    assert_eq!(
        fleet.create_with(&untagged).await.status,
        StatusCode::CREATED
    );
    for node in [&app, &other] {
        let why = "one of the two it needs: left out";
        assert_eq!(nova_a_served(node, &alice).await, Some(false), "{why}");
    }
    assert_eq!(
        fleet.create_with(&member("b", 120)).await.status,
        StatusCode::CREATED
    );
    for node in [&app, &other] {
        until_served(node, &alice, true, "two alive: served within a second").await;
    }
    let listed = other.v3_get("/v3/endpoints", &app.token).await;
    let binding = listed["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "1-public")
        .unwrap()["liveness"]
        .clone();
    assert_eq!(
        binding,
        json!({"project_id": "7", "tag": "nova-api", "min_alive": 2, "alive": 2})
    );

    // A removal leaves within the second too.
    assert_eq!(
        fleet
            .send(Method::DELETE, "/services/member-a", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    for node in [&app, &other] {
        until_served(node, &alice, false, "one left: left out within a second").await;
    }
    // Two new members that fall silent. Their deadlines are at most the timeout after the
    // last answer; a read that starts a second after that must not count them.
    for id in ["c", "d"] {
        let created = fleet.create_with(&member(id, TIMEOUT)).await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    let answered = Instant::now();
    until_served(&other, &alice, true, "three alive: served within a second").await;
    // Left out within a second of their deadline, on every node.
    let bound = Duration::from_secs(u64::from(TIMEOUT)) + Duration::from_secs(1);
    for node in [&other, &app] {
        let left = bound.saturating_sub(answered.elapsed()) + Duration::from_millis(500);
        eventually("c and d dead, b alone: left out", left, || async {
            (nova_a_served(node, &alice).await == Some(false)).then_some(())
        })
        .await;
    }
}
