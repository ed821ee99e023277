//! v3's identity writes: projects (tenants), users (principals), passwords and role
//! assignments, read back through v2.0 and used to authenticate on both versions.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::*;

/// The validation of `token` as the admin sees it: its status.
async fn validation(app: &TestApp, token: &str) -> u16 {
    app.v3(Method::GET, "/v3/auth/tokens", &app.token, Some(token))
        .await
        .status
        .as_u16()
}

async fn projects_are_tenants_on_both_apis(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let admin = app.token.clone();
    let alice = app.alice_v3().await;
    let body =
        json!({"project": {"name": "Gamma", "description": "third", "domain_id": "default"}});
    let created = app
        .v3_ok(Method::POST, "/v3/projects", &admin, "project", &body, 201)
        .await;
    let id = created["project"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["project"]["enabled"], true);
    // The same tenant on v2.0: an SA token scoped to it by name.
    let scope = Scope {
        tenant_name: Some("gamma".into()),
        ..Scope::default()
    };
    let scoped = app
        .authenticate(&Credential::Token(admin.clone()), &scope, Format::Json)
        .await;
    assert_eq!(scoped.status, StatusCode::OK, "{}", scoped.body);
    assert_eq!(
        scoped.json()["access"]["token"]["tenant"]["id"],
        id.as_str()
    );
    // One rule for names on both APIs: 1 to 255 characters, unique case-insensitively.
    let twin = json!({"project": {"name": "GAMMA"}});
    v3_fault(
        &app.v3_write(Method::POST, "/v3/projects", &admin, "project", &twin)
            .await,
        409,
    );
    let longest = json!({"project": {"name": "n".repeat(255)}});
    app.v3_ok(
        Method::POST,
        "/v3/projects",
        &admin,
        "project",
        &longest,
        201,
    )
    .await;
    app.v3_refused(
        Method::POST,
        "/v3/projects",
        &admin,
        "project",
        &json!({"project": {"name": "n".repeat(256)}}),
    )
    .await;
    // Another domain is one that is not found, as in Keystone.
    let elsewhere = json!({"project": {"name": "x", "domain_id": "elsewhere"}});
    v3_fault(
        &app.v3_write(Method::POST, "/v3/projects", &admin, "project", &elsewhere)
            .await,
        404,
    );
    app.v3_refused(
        Method::POST,
        "/v3/projects",
        &admin,
        "project",
        &json!({"project": {"name": "x", "is_domain": true}}),
    )
    .await;
    // SA changes any project, a DA its own, a DU none.
    let dana = app.principal_token("dana", &["DA"]);
    app.directory()
        .grant_tenant(
            &service_registry::identity::PrincipalName::parse("dana").unwrap(),
            &service_registry::identity::TenantRef::Id(
                service_registry::identity::TenantId::parse("7").unwrap(),
            ),
        )
        .unwrap();
    let renamed = json!({"project": {"name": "acme-corp"}});
    let patched = app
        .v3_ok(
            Method::PATCH,
            "/v3/projects/7",
            &dana,
            "project",
            &renamed,
            200,
        )
        .await;
    assert_eq!(patched["project"]["name"], "acme-corp");
    v3_fault(
        &app.v3_write(Method::PATCH, "/v3/projects/8", &dana, "project", &renamed)
            .await,
        403,
    );
    v3_fault(
        &app.v3_write(Method::PATCH, "/v3/projects/7", &alice, "project", &renamed)
            .await,
        403,
    );
    v3_fault(
        &app.v3_write(Method::POST, "/v3/projects", &dana, "project", &body)
            .await,
        403,
    );
    // Disabled, a project scopes no token.
    let off = json!({"project": {"enabled": false}});
    app.v3_ok(
        Method::PATCH,
        "/v3/projects/7",
        &admin,
        "project",
        &off,
        200,
    )
    .await;
    let refused = app
        .v3_issue(
            &password_by_name("alice", PASSWORD, Some(project_by_id("7"))),
            "",
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    // A project an endpoint template's liveness binding names is not deleted (409).
    app.added_template(
        &crate::helpers::TemplateBody::new(5, "Nova", "compute", "https://n.example")
            .with("region", "region-z")
            .bound(&[("tenantId", "7"), ("tag", "nova-api")]),
    )
    .await;
    let bound = app.v3(Method::DELETE, "/v3/projects/7", &admin, None).await;
    assert!(v3_fault(&bound, 409).contains("7"), "{}", bound.body);
    app.v3_get("/v3/projects/7", &admin).await;
    // Deleted: gone from both APIs, and no one's default any more.
    v3_fault(
        &app.v3(Method::DELETE, "/v3/projects/8", &dana, None).await,
        403,
    );
    let deleted = app.v3(Method::DELETE, "/v3/projects/8", &admin, None).await;
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.body);
    v3_fault(
        &app.v3(Method::GET, "/v3/projects/8", &admin, None).await,
        404,
    );
    let bob = app
        .authenticate(
            &Credential::Password("bob", PASSWORD),
            &Scope::default(),
            Format::Json,
        )
        .await;
    assert_eq!(bob.status, StatusCode::OK, "unscoped now: {}", bob.body);
}

async fn users_are_principals_that_authenticate_on_both_versions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let admin = app.token.clone();
    let body = json!({"user": {"name": "carol", "password": PASSWORD, "email": "carol@example.org",
        "description": "ops", "default_project_id": "7", "domain_id": "default"}});
    let created = app
        .v3_ok(Method::POST, "/v3/users", &admin, "user", &body, 201)
        .await;
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["user"]["email"], "carol@example.org");
    assert_eq!(created["user"]["default_project_id"], "7");
    // A member of its default project: scoped tokens on v3 and v2.0.
    let (token, issued) = app
        .v3_token(&password_by_name(
            "carol",
            PASSWORD,
            Some(project_by_id("7")),
        ))
        .await;
    assert_eq!(issued["token"]["project"]["id"], "7");
    assert_eq!(issued["token"]["roles"][0]["id"], "DU");
    let v2 = app
        .authenticate(
            &Credential::Password("carol", PASSWORD),
            &Scope::default(),
            Format::Xml,
        )
        .await;
    assert_eq!(v2.status, StatusCode::OK, "{}", v2.body);
    // Lists and filters.
    let by_name = app.v3_get("/v3/users?name=CAROL", &admin).await;
    assert_eq!(by_name["users"][0]["id"], id.as_str());
    let disabled = app.v3_get("/v3/users?enabled=false", &admin).await;
    assert!(disabled["users"].as_array().unwrap().is_empty());
    assert!(
        app.v3_get("/v3/users?domain_id=other", &admin).await["users"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let alice = app.alice_v3().await;
    v3_fault(&app.v3(Method::GET, "/v3/users", &alice, None).await, 403);
    // Names unique case-insensitively; the principals' rules; a project that exists.
    let twin = json!({"user": {"name": "Carol", "password": PASSWORD}});
    v3_fault(
        &app.v3_write(Method::POST, "/v3/users", &admin, "user", &twin)
            .await,
        409,
    );
    for bad in [
        json!({"user": {"name": "car ol"}}),
        json!({"user": {"name": "dave", "password": "short"}}),
    ] {
        app.v3_refused(Method::POST, "/v3/users", &admin, "user", &bad)
            .await;
    }
    let elsewhere = json!({"user": {"name": "dave", "domain_id": "other"}});
    v3_fault(
        &app.v3_write(Method::POST, "/v3/users", &admin, "user", &elsewhere)
            .await,
        404,
    );
    // `project_id`, Keystone's older name for the default project, is read and shown.
    let older = json!({"user": {"name": "frank", "project_id": "8"}});
    let frank = app
        .v3_ok(Method::POST, "/v3/users", &admin, "user", &older, 201)
        .await;
    assert_eq!(frank["user"]["default_project_id"], "8");
    assert_eq!(frank["user"]["project_id"], "8");
    let nowhere = json!({"user": {"name": "dave", "default_project_id": "999"}});
    v3_fault(
        &app.v3_write(Method::POST, "/v3/users", &admin, "user", &nowhere)
            .await,
        400,
    );
    v3_fault(
        &app.v3_write(Method::POST, "/v3/users", &alice, "user", &twin)
            .await,
        403,
    );
    // An admin sets attributes and the password: the user's tokens are revoked.
    let path = format!("/v3/users/{id}");
    let changed = json!({"user": {"email": null, "password": "a new passphrase"}});
    let patched = app
        .v3_ok(Method::PATCH, &path, &admin, "user", &changed, 200)
        .await;
    assert!(patched["user"].get("email").is_none(), "{patched}");
    assert_eq!(patched["user"]["description"], "ops");
    assert_eq!(validation(&app, &token).await, 404);
    v3_fault(
        &app.v3_issue(&password_by_name("carol", PASSWORD, None), "")
            .await,
        401,
    );
    let (token, _) = app
        .v3_token(&password_by_name("carol", "a new passphrase", None))
        .await;
    // Disabled, it authenticates no more; deleted, its tokens are gone.
    let off = json!({"user": {"enabled": false}});
    app.v3_ok(Method::PATCH, &path, &admin, "user", &off, 200)
        .await;
    assert_eq!(
        app.v3_issue(&password_by_name("carol", "a new passphrase", None), "")
            .await
            .status
            .as_u16(),
        401
    );
    let deleted = app.v3(Method::DELETE, &path, &admin, None).await;
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.body);
    assert_eq!(validation(&app, &token).await, 404);
    v3_fault(&app.v3(Method::GET, &path, &admin, None).await, 404);
    v3_fault(&app.v3(Method::DELETE, &path, &admin, None).await, 404);
}

async fn a_user_changes_its_own_password_with_the_original(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let alice = app.alice_v3().await;
    let me = app
        .v3(Method::GET, "/v3/auth/tokens", &alice, Some(&alice))
        .await
        .json();
    let id = me["token"]["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v3/users/{id}/password");
    let wrong = json!({"user": {"password": "brand new secret", "original_password": "guess"}});
    v3_fault(
        &app.v3_write(Method::POST, &path, &alice, "password", &wrong)
            .await,
        401,
    );
    app.v3_refused(
        Method::POST,
        &path,
        &alice,
        "password",
        &json!({"user": {"password": "brand new secret"}}),
    )
    .await;
    let right = json!({"user": {"password": "brand new secret", "original_password": PASSWORD}});
    // The original is the proof, whoever calls (as in Keystone): another user without
    // it gets nowhere.
    let bob = app
        .v3_token(&password_by_name("bob", PASSWORD, None))
        .await
        .0;
    v3_fault(
        &app.v3_write(Method::POST, &path, &bob, "password", &wrong)
            .await,
        401,
    );
    v3_fault(
        &app.v3_write(
            Method::POST,
            "/v3/users/999/password",
            &bob,
            "password",
            &right,
        )
        .await,
        404,
    );
    app.v3_ok(Method::POST, &path, &alice, "password", &right, 204)
        .await;
    assert_eq!(
        validation(&app, &alice).await,
        404,
        "its tokens are revoked"
    );
    app.v3_token(&password_by_name("alice", "brand new secret", None))
        .await;
}

async fn roles_assign_levels_in_projects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let admin = app.token.clone();
    let created = app
        .v3_ok(
            Method::POST,
            "/v3/users",
            &admin,
            "user",
            &json!({"user": {"name": "erin", "password": PASSWORD}}),
            201,
        )
        .await;
    let erin = created["user"]["id"].as_str().unwrap().to_owned();
    let grant = format!("/v3/projects/8/users/{erin}/roles/member");
    // Not a member yet: no scoped token, and no assignment.
    assert_eq!(
        app.v3(Method::HEAD, &grant, &admin, None)
            .await
            .status
            .as_u16(),
        404
    );
    let refused = app
        .v3_issue(
            &password_by_name("erin", PASSWORD, Some(project_by_id("8"))),
            "",
        )
        .await;
    assert_eq!(refused.status.as_u16(), 401);
    for _ in 0..2 {
        let put = app.v3(Method::PUT, &grant, &admin, None).await;
        assert_eq!(put.status.as_u16(), 204, "{}", put.body);
    }
    assert_eq!(
        app.v3(Method::HEAD, &grant, &admin, None)
            .await
            .status
            .as_u16(),
        204
    );
    // `member` is DU: the assignment lists the level's own role.
    let listed = app
        .v3_get(
            &format!("/v3/role_assignments?user.id={erin}&include_names"),
            &admin,
        )
        .await;
    let assignments = listed["role_assignments"].as_array().unwrap();
    assert_eq!(assignments.len(), 1, "{listed}");
    assert_eq!(assignments[0]["role"]["id"], "DU");
    assert_eq!(assignments[0]["scope"]["project"]["name"], "beta");
    assert_eq!(assignments[0]["user"]["name"], "erin");
    let by_role = app
        .v3_get(
            "/v3/role_assignments?role.id=reader&scope.project.id=8",
            &admin,
        )
        .await;
    assert_eq!(
        by_role["role_assignments"].as_array().unwrap().len(),
        2,
        "bob and erin"
    );
    assert!(app
        .v3_get("/v3/role_assignments?scope.domain.id=default", &admin)
        .await["role_assignments"]
        .as_array()
        .unwrap()
        .is_empty());
    let (_, issued) = app
        .v3_token(&password_by_name(
            "erin",
            PASSWORD,
            Some(project_by_id("8")),
        ))
        .await;
    assert_eq!(issued["token"]["project"]["id"], "8");
    let roles = app
        .v3_get(&format!("/v3/projects/8/users/{erin}/roles"), &admin)
        .await;
    assert_eq!(roles["roles"][0]["id"], "DU");
    v3_fault(
        &app.v3(Method::GET, "/v3/projects/8/users/999/roles", &admin, None)
            .await,
        404,
    );
    // A DA grants DA and DU in its own projects, nothing above, nothing elsewhere.
    let dana = app.principal_token("dana", &["DA"]);
    app.directory()
        .grant_tenant(
            &service_registry::identity::PrincipalName::parse("dana").unwrap(),
            &service_registry::identity::TenantRef::Id(
                service_registry::identity::TenantId::parse("8").unwrap(),
            ),
        )
        .unwrap();
    let as_dana =
        |role: &str, project: &str| format!("/v3/projects/{project}/users/{erin}/roles/{role}");
    v3_fault(
        &app.v3(Method::PUT, &as_dana("admin", "8"), &dana, None)
            .await,
        403,
    );
    v3_fault(
        &app.v3(Method::PUT, &as_dana("member", "7"), &dana, None)
            .await,
        403,
    );
    v3_fault(
        &app.v3(Method::PUT, &as_dana("owner", "8"), &dana, None)
            .await,
        404,
    );
    let alice = app.alice_v3().await;
    v3_fault(
        &app.v3(Method::PUT, &as_dana("member", "7"), &alice, None)
            .await,
        403,
    );
    // A role is a level in every project of the user: taken from one project, a second
    // level goes everywhere; a last level takes the user out of that project only.
    app.v3(Method::PUT, &as_dana("member", "7"), &admin, None)
        .await;
    let promoted = app.v3(Method::PUT, &as_dana("DA", "8"), &dana, None).await;
    assert_eq!(promoted.status.as_u16(), 204, "{}", promoted.body);
    let held = |project: &'static str, role: &'static str| {
        let (app, admin, path) = (&app, admin.clone(), as_dana(role, project));
        async move {
            app.v3(Method::HEAD, &path, &admin, None)
                .await
                .status
                .as_u16()
        }
    };
    assert_eq!(
        held("7", "DA").await,
        204,
        "DA holds in every project of erin's"
    );
    let removed = app
        .v3(Method::DELETE, &as_dana("DA", "8"), &dana, None)
        .await;
    assert_eq!(removed.status.as_u16(), 204, "{}", removed.body);
    assert_eq!(held("7", "DA").await, 404);
    assert_eq!(held("8", "DU").await, 204);
    let removed = app.v3(Method::DELETE, &grant, &admin, None).await;
    assert_eq!(removed.status.as_u16(), 204, "{}", removed.body);
    assert_eq!(held("8", "DU").await, 404);
    assert_eq!(held("7", "DU").await, 204, "still a member of 7");
    v3_fault(&app.v3(Method::DELETE, &grant, &admin, None).await, 404);
}

on_both_backends!(
    projects_are_tenants_on_both_apis,
    users_are_principals_that_authenticate_on_both_versions,
    a_user_changes_its_own_password_with_the_original,
    roles_assign_levels_in_projects,
);

async fn system_roles_are_the_levels_themselves(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let admin = app.token.clone();
    let me = app
        .v3_token(&password_by_name("alice", PASSWORD, None))
        .await
        .1;
    let alice_id = me["token"]["user"]["id"].as_str().unwrap().to_owned();
    // A token on the system scope acts in no project; its roles are the levels.
    let system = json!({"system": {"all": true}});
    let (_, issued) = app
        .v3_token(&password_by_name("alice", PASSWORD, Some(system)))
        .await;
    assert_eq!(issued["token"]["system"]["all"], true);
    assert!(issued["token"].get("project").is_none());
    assert_eq!(issued["token"]["roles"][0]["id"], "DU");
    let path = |role: &str| format!("/v3/system/users/{alice_id}/roles/{role}");
    let status = |reply: Reply| reply.status.as_u16();
    assert_eq!(
        status(app.v3(Method::HEAD, &path("reader"), &admin, None).await),
        204
    );
    assert_eq!(
        status(app.v3(Method::HEAD, &path("admin"), &admin, None).await),
        404
    );
    // Granted on the system, a level holds everywhere: alice administers.
    let alice = app.alice_v3().await;
    v3_fault(
        &app.v3(Method::PUT, &path("admin"), &alice, None).await,
        403,
    );
    assert_eq!(
        status(app.v3(Method::PUT, &path("admin"), &admin, None).await),
        204
    );
    let roles = app
        .v3_get(&format!("/v3/system/users/{alice_id}/roles"), &admin)
        .await;
    let ids: Vec<&str> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["SA", "DU"]);
    let promoted = app.alice_v3().await;
    app.v3_get("/v3/users", &promoted).await;
    // Revoked, it is gone; the last level stays.
    assert_eq!(
        status(app.v3(Method::DELETE, &path("admin"), &admin, None).await),
        204
    );
    v3_fault(
        &app.v3(Method::DELETE, &path("admin"), &admin, None).await,
        404,
    );
    v3_fault(
        &app.v3(Method::DELETE, &path("member"), &admin, None).await,
        409,
    );
    v3_fault(
        &app.v3(Method::PUT, &path("owner"), &admin, None).await,
        404,
    );
    v3_fault(
        &app.v3(
            Method::PUT,
            "/v3/system/users/999/roles/admin",
            &admin,
            None,
        )
        .await,
        404,
    );
}

on_both_backends!(system_roles_are_the_levels_themselves);

/// A user deleted or given a new password on one node: its tokens stop working on the
/// other node within the authentication cache's bound, having worked there before.
async fn revocations_reach_every_node_within_the_cache_bound(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let other = TestApp::another_node(&app, |_| {}).await;
    let admin = app.token.clone();
    for (name, change) in [("gina", Method::PATCH), ("hank", Method::DELETE)] {
        let body = json!({"user": {"name": name, "password": PASSWORD, "default_project_id": "7"}});
        let created = app
            .v3_ok(Method::POST, "/v3/users", &admin, "user", &body, 201)
            .await;
        let path = format!("/v3/users/{}", created["user"]["id"].as_str().unwrap());
        let (token, _) = other
            .v3_token(&password_by_name(name, PASSWORD, Some(project_by_id("7"))))
            .await;
        // Cached as valid on the other node first.
        other.v3_get("/v3/auth/catalog", &token).await;
        // Two nodes on one SQLite file take turns at writing: a write that found the
        // other holding the file is a 503, which a client retries, as here.
        let mut tries = 0;
        let reply = loop {
            let reply = if change == Method::PATCH {
                let new = json!({"user": {"password": "another passphrase"}});
                app.v3_write(change.clone(), &path, &admin, "user", &new)
                    .await
            } else {
                app.v3(change.clone(), &path, &admin, None).await
            };
            tries += 1;
            if reply.status.as_u16() != 503 || tries == 20 {
                break reply;
            }
        };
        assert!(reply.status.is_success(), "{}", reply.body);
        until_status(401, || {
            other.v3(Method::GET, "/v3/auth/catalog", &token, None)
        })
        .await;
    }
}

/// A wrong original password counts as a failed login: past the threshold, 429.
async fn password_changes_are_throttled_like_logins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.keystone_fixture().await;
    let (bob, issued) = app.v3_token(&password_by_name("bob", PASSWORD, None)).await;
    let path = format!(
        "/v3/users/{}/password",
        issued["token"]["user"]["id"].as_str().unwrap()
    );
    let guess = json!({"user": {"password": "a new passphrase", "original_password": "guess"}});
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let reply = app
            .v3_write(Method::POST, &path, &bob, "password", &guess)
            .await;
        statuses.push(reply.status.as_u16());
        if reply.status.as_u16() == 429 {
            assert!(reply.header("retry-after").is_some(), "{}", reply.body);
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(
        statuses[..statuses.len() - 1].iter().all(|s| *s == 401),
        "{statuses:?}"
    );
}

on_both_backends!(
    revocations_reach_every_node_within_the_cache_bound,
    password_changes_are_throttled_like_logins,
);
