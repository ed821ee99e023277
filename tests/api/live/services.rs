//! Services of the live registry: create, read, list, update, delete, heartbeat.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use service_registry::identity::{PrincipalStatus, TenantId, TenantRef};

use crate::helpers::reply::Reply;
use crate::helpers::*;

const TENANT: i64 = 1234;

on_both_backends!(
    a_service_is_created_read_listed_updated_and_deleted,
    create_validates_every_field,
    ten_racing_creates_of_one_id_give_one_201,
    heartbeat_tokens_are_good_once_and_for_one_service,
    concurrent_uses_of_one_token_give_one_200,
    a_recreated_service_is_not_touched_by_its_predecessors_token,
    tenants_are_isolated,
    lists_page_with_an_inclusive_marker_and_filter_by_tag,
    markers_are_checked_like_the_ids_they_name,
    writes_committed_together_each_get_their_own_outcome,
);

async fn a_service_is_created_read_listed_updated_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let reply = live
        .create_with(&json!({"id": "dfw1-api", "heartbeat_timeout": 30,
            "tags": ["api", "dfw"], "metadata": {"region": "dfw"}, "unknown": true}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let address = app.address.clone();
    assert_eq!(
        reply.header("location"),
        Some(format!("{address}/v1.0/{TENANT}/services/dfw1-api").as_str()),
        "Location is the full URL, port included"
    );
    let body = reply.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "exactly the token");
    assert!(reply.header("content-length").is_some());
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=UTF-8")
    );

    let reply = live.get("/services/dfw1-api").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"id": "dfw1-api", "tags": ["api", "dfw"], "metadata": {"region": "dfw"},
            "heartbeat_timeout": 30, "last_seen": null})
    );

    let reply = live
        .send(
            Method::PUT,
            "/services/dfw1-api",
            Some(&json!({"tags": [], "heartbeat_timeout": "45"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_eq!(
        reply.header("location"),
        Some(format!("{address}/v1.0/{TENANT}/services/dfw1-api").as_str())
    );
    let service = live.get("/services/dfw1-api").await.json();
    assert_eq!(service["tags"], json!([]), "tags [] clears them");
    assert_eq!(
        service["metadata"],
        json!({"region": "dfw"}),
        "unnamed fields stay"
    );
    assert_eq!(service["heartbeat_timeout"], 45);
    let reply = live
        .send(
            Method::PUT,
            "/services/dfw1-api",
            Some(&json!({"id": "other"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.rsr_fault().1, "Validation error for key 'id'");

    let reply = live.send(Method::DELETE, "/services/dfw1-api", None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = live.get("/services/dfw1-api").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.rsr_fault(),
        (
            "notFoundError".into(),
            "object does not exist".into(),
            r#"Object "Service" with key "dfw1-api" does not exist"#.into()
        )
    );
    for method in [Method::DELETE, Method::PUT] {
        let reply = live
            .send(method, "/services/dfw1-api", Some(&json!({})))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    let kinds: Vec<_> = live
        .events("")
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["service.join", "service.remove"],
        "PUT records no event"
    );
}

async fn create_validates_every_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let long = "x".repeat(56);
    let metadata: serde_json::Map<_, _> =
        (0..21).map(|i| (format!("key{i}"), json!("v"))).collect();
    for (body, key) in [
        (json!({"heartbeat_timeout": 30}), "id"),
        (json!({"id": "ab", "heartbeat_timeout": 30}), "id"),
        (json!({"id": "a b c", "heartbeat_timeout": 30}), "id"),
        (json!({"id": "x".repeat(66), "heartbeat_timeout": 30}), "id"),
        (json!({"id": "abc"}), "heartbeat_timeout"),
        (
            json!({"id": "abc", "heartbeat_timeout": 2}),
            "heartbeat_timeout",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 121}),
            "heartbeat_timeout",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": "thirty"}),
            "heartbeat_timeout",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 3.5}),
            "heartbeat_timeout",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "tags": vec!["t"; 11]}),
            "tags",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "tags": [long]}),
            "tags",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "tags": [""]}),
            "tags",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "tags": "api"}),
            "tags",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "metadata": metadata}),
            "metadata",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "metadata": {"k": 1}}),
            "metadata",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "metadata": {"k": ""}}),
            "metadata",
        ),
    ] {
        let reply = live.create_with(&body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        let (kind, message, details) = reply.rsr_fault();
        assert_eq!(kind, "badRequest");
        assert_eq!(
            message,
            format!("Validation error for key '{key}'"),
            "{body}"
        );
        assert!(!details.is_empty());
    }
    // RSR's wording of each rule; a body breaking several is refused for the first key
    // by name, always the same.
    for (body, rule) in [
        (json!({"heartbeat_timeout": 30}), "Attribute is required"),
        (
            json!({"id": "a b", "heartbeat_timeout": 30}),
            "Must match ^[a-zA-Z0-9_.-]{3,65}$",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 2}),
            "Value out of range (3..120)",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "tags": vec!["t"; 11]}),
            "At most 10 tags",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "tags": [""]}),
            "Each tag must be 1 to 55 characters long",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "metadata": metadata}),
            "At most 20 keys",
        ),
        (
            json!({"id": "abc", "heartbeat_timeout": 30, "metadata": {"k": ""}}),
            "Keys and values must be 1 to 255 characters long",
        ),
        (
            json!({"id": "a", "heartbeat_timeout": 1, "tags": [""]}),
            "Value out of range (3..120)",
        ),
    ] {
        let (_, _, details) = live.create_with(&body).await.rsr_fault();
        assert_eq!(details, rule, "{body}");
    }
    for (id, timeout) in [("abc", json!(3)), ("x".repeat(65).as_str(), json!("120"))] {
        let reply = live
            .create_with(&json!({"id": id, "heartbeat_timeout": timeout, "tags": vec!["t"; 10]}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let reply = live.create("abc", 30).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.rsr_fault(),
        (
            "serviceWithThisIdExists".into(),
            "Service with id abc already exists.".into(),
            "Service with id abc already exists.".into()
        )
    );
}

async fn ten_racing_creates_of_one_id_give_one_201(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let replies = join_all((0..10).map(|_| live.create("contended", 30))).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1);
    for reply in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(reply.rsr_fault().0, "serviceWithThisIdExists");
    }
    assert_eq!(live.events("?type=service.join").await.len(), 1);
}

async fn heartbeat_tokens_are_good_once_and_for_one_service(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let first = live.created("alpha", 30).await;
    let beta = live.created("beta", 30).await;

    let reply = live.heartbeat("alpha", &first).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let second = reply.json()["token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let seen = live.get("/services/alpha").await.json()["last_seen"].as_i64();
    assert!(seen.is_some(), "a heartbeat sets last_seen");

    let reply = live.heartbeat("alpha", &first).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "a used token");
    assert_eq!(
        reply.rsr_fault().2,
        format!(r#"Object "HeartbeatMarker" with key "{first}" does not exist"#)
    );
    let reply = live.heartbeat("alpha", &beta).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "beta's token on alpha");
    assert!(reply.rsr_fault().2.contains("HeartbeatMarker"));
    let reply = live.heartbeat("gamma", &second).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply
        .rsr_fault()
        .2
        .contains(r#""Service" with key "gamma""#));
    let reply = live.heartbeat("alpha", "not-a-uuid").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.rsr_fault().1, "Validation error for key 'token'");
    let reply = live.heartbeat("alpha", &second.to_uppercase()).await;
    assert_eq!(reply.status, StatusCode::OK, "a UUID in any case");
    // Beta's token still works for beta: nobody else consumed it.
    assert_eq!(live.heartbeat("beta", &beta).await.status, StatusCode::OK);
}

async fn concurrent_uses_of_one_token_give_one_200(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let mut token = live.created("racer", 30).await;
    for _ in 0..5 {
        let replies = join_all((0..4).map(|_| live.heartbeat("racer", &token))).await;
        let winners: Vec<_> = replies
            .iter()
            .filter(|r| r.status == StatusCode::OK)
            .collect();
        assert_eq!(winners.len(), 1, "exactly one use of a token succeeds");
        for loser in replies.iter().filter(|r| r.status != StatusCode::OK) {
            assert_eq!(loser.status, StatusCode::NOT_FOUND);
        }
        token = winners[0].json()["token"].as_str().unwrap().to_owned();
    }
}

async fn a_recreated_service_is_not_touched_by_its_predecessors_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let old = live.created("phoenix", 3).await;
    assert_eq!(
        live.send(Method::DELETE, "/services/phoenix", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let new = live.created("phoenix", 30).await;
    let reply = live.heartbeat("phoenix", &old).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.rsr_fault().2.contains("HeartbeatMarker"));
    // Past the old service's deadline the new one is still there.
    throughout(
        "the new phoenix lives past the old one's deadline",
        reaped_bound(3),
        || async { live.get("/services/phoenix").await.status == StatusCode::OK },
    )
    .await;
    assert_eq!(live.heartbeat("phoenix", &new).await.status, StatusCode::OK);
    assert!(live.events("?type=service.timeout").await.is_empty());
}

async fn tenants_are_isolated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tenants: Vec<i64> = (1..=9).map(|n| app.live_tenant(n * 111)).collect();
    for (n, tenant) in tenants.iter().enumerate() {
        let live = app.live(*tenant);
        for id in ["shared-a", "shared-b"] {
            let reply = live
                .create_with(
                    &json!({"id": id, "heartbeat_timeout": 30, "metadata": {"n": n.to_string()}}),
                )
                .await;
            assert_eq!(reply.status, StatusCode::CREATED);
        }
    }
    for (n, tenant) in tenants.iter().enumerate() {
        let live = app.live(*tenant);
        assert_eq!(
            live.all_ids("/services", 100).await,
            ["shared-a", "shared-b"]
        );
        let service = live.get("/services/shared-a").await.json();
        assert_eq!(service["metadata"]["n"], n.to_string());
        assert_eq!(live.events("").await.len(), 2, "each feed holds its own");
    }
    // A member of the first tenant may act there, and nowhere else.
    let member = app.member_token("member", tenants[0]);
    let own = app.live_as(tenants[0], &member);
    assert_eq!(own.get("/services").await.status, StatusCode::OK);
    let other = app.live_as(tenants[1], &member);
    let reply = other.get("/services").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.rsr_fault().0, "unauthorizedError");
    assert!(reply.header("www-authenticate").is_some());
    let reply = Reply::from(
        own.request(Method::GET, "/services")
            .header("X-Tenant-Id", tenants[1].to_string()),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "X-Tenant-Id differs"
    );
    let reply = Reply::from(
        own.request(Method::GET, "/services")
            .header("X-Tenant-Id", tenants[0].to_string()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let stranger = app.live_as(tenants[0], "HPAuth_unknown");
    assert_eq!(
        stranger.get("/services").await.rsr_fault().0,
        "unauthorizedError"
    );
    let unknown_tenant = app.live(999_999);
    assert_eq!(
        unknown_tenant.get("/services").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.live(0).get("/services").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A disabled tenant is refused to everyone (403), within the cache bound.
    let first = TenantRef::Id(TenantId::parse(&tenants[0].to_string()).unwrap());
    app.directory().set_tenant_enabled(&first, false).unwrap();
    let (reply, _) = until_status(403, || own.get("/services")).await;
    assert_eq!(reply.rsr_fault().0, "forbiddenError");
    let admin = app.live(tenants[0]);
    let (reply, _) = until_status(403, || admin.get("/services")).await;
    assert_eq!(reply.rsr_fault().0, "forbiddenError");
    // A disabled principal too.
    app.set_status("member", PrincipalStatus::Disabled);
    let elsewhere = app.live_as(tenants[2], &member);
    let (reply, _) = until_status(403, || elsewhere.get("/services")).await;
    assert_eq!(reply.rsr_fault().0, "forbiddenError");
}

async fn lists_page_with_an_inclusive_marker_and_filter_by_tag(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    for n in 0..7 {
        let tags = if n % 2 == 0 {
            json!(["even"])
        } else {
            json!(["odd", "xyz"])
        };
        let reply = live
            .create_with(&json!({"id": format!("svc-{n}"), "heartbeat_timeout": 60, "tags": tags}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let reply = live.get("/services?limit=3&tag=even").await;
    let page = reply.json();
    let ids: Vec<&str> = page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["svc-0", "svc-2", "svc-4"],
        "the filter applies before paging"
    );
    let metadata = &page["metadata"];
    assert_eq!(metadata["count"], 3);
    assert_eq!(metadata["limit"], 3);
    assert_eq!(metadata["marker"], serde_json::Value::Null);
    assert_eq!(
        metadata["next_marker"], "svc-6",
        "the first item of the next page"
    );
    let next_href = metadata["next_href"].as_str().unwrap();
    assert_eq!(
        next_href,
        format!(
            "{}/v1.0/{TENANT}/services?limit=3&tag=even&marker=svc-6",
            app.address
        )
    );
    let reply = live
        .get("/services?limit=3&tag=even&marker=svc-6")
        .await
        .json();
    assert_eq!(reply["values"][0]["id"], "svc-6", "the marker is inclusive");
    assert_eq!(reply["metadata"]["marker"], "svc-6");
    assert_eq!(reply["metadata"]["next_marker"], serde_json::Value::Null);
    let all: BTreeSet<String> = live.all_ids("/services", 2).await.into_iter().collect();
    assert_eq!(all.len(), 7);
    assert_eq!(
        live.all_ids("/services?tag=xyz", 1).await,
        ["svc-1", "svc-3", "svc-5"]
    );

    for (query, message) in [
        (
            "limit=0",
            "Invalid limit 0. Minimum limit is 1 and maximum limit is 1000.",
        ),
        (
            "limit=1001",
            "Invalid limit 1001. Minimum limit is 1 and maximum limit is 1000.",
        ),
        ("limit=ten", "Limit must be a number"),
    ] {
        let reply = live.get(&format!("/services?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let (kind, got, _) = reply.rsr_fault();
        assert_eq!((kind.as_str(), got.as_str()), ("invalidLimit", message));
    }
    let reply = live.get("/services?tag=a%20b").await;
    assert_eq!(
        reply.rsr_fault().1,
        "Invalid value for 'tag' query string parameter"
    );
    let reply = live.get("/services/a%20b").await;
    assert_eq!(
        reply.rsr_fault().1,
        "Invalid value for 'serviceId' query string parameter"
    );
}

/// A marker of the services or configuration list is an id of that list: anything else is
/// RSR's 400 for a bad parameter, as on the events list.
async fn markers_are_checked_like_the_ids_they_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    live.created("alpha", 30).await;
    live.created("beta", 30).await;
    assert_eq!(
        live.set_value("/nsp/key_a", "1").await.status,
        StatusCode::NO_CONTENT
    );
    for path in [
        "/services?marker=**",
        "/services?marker=ab",
        "/services?marker=",
        "/services?tag=x_y&marker=has%20space",
        "/configuration?marker=**",
        "/configuration?marker=a/b",
        "/configuration//nsp/?marker=%3Cscript%3E",
    ] {
        let reply = live.get(path).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.body
        );
        let (kind, message, _) = reply.rsr_fault();
        assert_eq!(
            (kind.as_str(), message.as_str()),
            (
                "badRequest",
                "Invalid value for 'marker' query string parameter"
            ),
            "{path}"
        );
    }
    let page = live.get("/services?marker=beta").await.json();
    assert_eq!(page["values"][0]["id"], "beta");
    let page = live.get("/services?marker=zzz_absent").await.json();
    assert_eq!(page["values"], json!([]), "a valid id need not exist");
    let page = live
        .get("/configuration//nsp/?marker=/nsp/key_a")
        .await
        .json();
    assert_eq!(page["values"][0]["id"], "/nsp/key_a");
}

/// Sixty writes sent at once are committed in batches (the batch-size histogram says so),
/// and each gets its own answer: a spent token or a taken id refuses that write alone,
/// never its neighbours in the same transaction.
async fn writes_committed_together_each_get_their_own_outcome(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.admin_bind = Some("127.0.0.1:0".into());
    })
    .await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let mut tokens = Vec::new();
    for n in 0..20 {
        tokens.push(live.created(&format!("batch-{n:02}"), 60).await);
    }
    let good = tokens.iter().enumerate().map(|(n, token)| {
        let live = &live;
        async move { live.heartbeat(&format!("batch-{n:02}"), token).await.status }
    });
    let spent = (0..20).map(|n| {
        let live = &live;
        async move {
            let stale = "00000000-0000-4000-8000-000000000000";
            live.heartbeat(&format!("batch-{n:02}"), stale).await.status
        }
    });
    let new = (0..10).map(|n| {
        let live = &live;
        async move { live.create(&format!("fresh-{n:02}"), 60).await.status }
    });
    let taken = (0..10).map(|n| {
        let live = &live;
        async move {
            live.create(&format!("batch-{n:02}"), 60)
                .await
                .rsr_fault()
                .0
        }
    });
    let (good, spent, new, taken) = tokio::join!(
        join_all(good),
        join_all(spent),
        join_all(new),
        join_all(taken)
    );
    assert!(good.iter().all(|s| *s == StatusCode::OK), "{good:?}");
    assert!(
        spent.iter().all(|s| *s == StatusCode::NOT_FOUND),
        "{spent:?}"
    );
    assert!(new.iter().all(|s| *s == StatusCode::CREATED), "{new:?}");
    assert!(
        taken.iter().all(|fault| fault == "serviceWithThisIdExists"),
        "{taken:?}"
    );
    assert_eq!(live.all_ids("/services", 100).await.len(), 30);

    let metrics = app.scrape().await;
    let writes = crate::helpers::sample(&metrics, "live_write_batch_size_sum", &[]).unwrap();
    let batches = crate::helpers::sample(&metrics, "live_write_batch_size_count", &[]).unwrap();
    assert_eq!(writes, 80.0, "every write went through the batches");
    assert!(
        batches < writes,
        "{batches} batches for {writes} writes: none shared a commit"
    );
}
