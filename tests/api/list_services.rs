use reqwest::StatusCode;

use crate::helpers::*;

fn ids(services: &[ServiceView]) -> Vec<u64> {
    services.iter().map(|s| s.id.parse().unwrap()).collect()
}

/// The `rel="next"` target of a reply, as a path and query on the test server.
fn next_link(reply: &Reply, app: &TestApp) -> Option<String> {
    let link = reply.header("link")?;
    let target = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(
        target
            .strip_prefix(&app.address)
            .expect("absolute link to this server")
            .to_owned(),
    )
}

async fn an_empty_registry_lists_an_empty_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        let reply = app.list_services("", format).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.services(), vec![]);
        assert!(reply.header("link").is_none());
    }
    assert_eq!(
        app.list_services("", Format::Json).await.json(),
        serde_json::json!({"registerServices": {"anies": null, "otherAttributes": {}, "registerService": []}})
    );
}

async fn services_are_sorted_by_numeric_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for id in [100, 9, 20, 3, 1000] {
        app.registered(&ServiceBody::new(id, &format!("svc {id}")))
            .await;
    }
    for format in FORMATS {
        assert_eq!(
            ids(&app.list_services("", format).await.services()),
            [3, 9, 20, 100, 1000]
        );
    }
}

async fn pages_follow_the_marker_and_link_to_the_next_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for id in 1..=7 {
        app.registered(&ServiceBody::new(id * 10, &format!("svc {id}")))
            .await;
    }
    for format in FORMATS {
        let first = app.list_services("?limit=3", format).await;
        assert_eq!(ids(&first.services()), [10, 20, 30]);
        let next = next_link(&first, &app).expect("a next link");
        assert_eq!(next, format!("{BASE}/services?marker=30&limit=3"));

        let second = app.list_services("?limit=3&marker=30", format).await;
        assert_eq!(ids(&second.services()), [40, 50, 60]);
        let third = app
            .list_services(
                next_link(&second, &app)
                    .unwrap()
                    .trim_start_matches(&format!("{BASE}/services")),
                format,
            )
            .await;
        assert_eq!(ids(&third.services()), [70]);
        assert!(
            third.header("link").is_none(),
            "no next link on the last page"
        );

        // A page that ends exactly at the last service has no next link either.
        let exact = app.list_services("?limit=7", format).await;
        assert_eq!(exact.services().len(), 7);
        assert!(exact.header("link").is_none());

        let after_last = app.list_services("?marker=70", format).await;
        assert_eq!(after_last.status, StatusCode::OK);
        assert_eq!(after_last.services(), vec![]);
    }
}

async fn the_default_limit_is_100_and_the_maximum_is_1000(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for id in 1..=105 {
        app.registered(&ServiceBody::new(id, &format!("svc {id}")))
            .await;
    }
    for format in FORMATS {
        let page = app.list_services("", format).await;
        assert_eq!(page.services().len(), 100);
        assert_eq!(
            next_link(&page, &app).unwrap(),
            format!("{BASE}/services?marker=100&limit=100")
        );
        assert_eq!(
            app.list_services("?limit=1000", format)
                .await
                .services()
                .len(),
            105
        );
        let fault = app
            .list_services("?limit=1001", format)
            .await
            .assert_fault(413, "overLimit");
        assert_eq!(fault.message, "OVER_LIMIT");
        assert!(fault.details.contains("1000"));
        app.list_services("?limit=99999999999999999999999", format)
            .await
            .assert_fault(413, "overLimit");
    }
}

async fn bad_limits_and_markers_are_bad_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a")).await;
    for format in FORMATS {
        for query in [
            "?limit=0",
            "?limit=-1",
            "?limit=abc",
            "?limit=1.5",
            "?limit=%2B5",
            "?marker=0",
            "?marker=-3",
            "?marker=abc",
            "?marker=1e3",
            "?limit=1&limit=2",
            "?marker=%ZZ",
        ] {
            app.list_services(query, format)
                .await
                .assert_fault(400, "badRequest");
        }
    }
}

async fn an_unknown_marker_is_item_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(10, "a")).await;
    for format in FORMATS {
        let fault = app
            .list_services("?marker=11", format)
            .await
            .assert_fault(404, "itemNotFound");
        assert!(
            fault.details.contains("Marker in request not found"),
            "{}",
            fault.details
        );
    }
}

async fn an_empty_marker_or_limit_starts_from_the_beginning(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(10, "a")).await;
    for format in FORMATS {
        assert_eq!(
            ids(&app
                .list_services("?marker=&limit=", format)
                .await
                .services()),
            [10]
        );
    }
}

async fn service_type_filters_by_exact_type_and_survives_paging(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (id, kind) in [
        (1, "compute"),
        (2, "object-store"),
        (3, "compute"),
        (4, "Compute"),
        (5, "compute"),
        (6, "hpext:cdn"),
    ] {
        app.registered(&ServiceBody::new(id, &format!("svc {id}")).kind(kind))
            .await;
    }
    for format in FORMATS {
        assert_eq!(
            ids(&app
                .list_services("?serviceType=compute", format)
                .await
                .services()),
            [1, 3, 5]
        );
        assert_eq!(
            ids(&app
                .list_services("?serviceType=hpext%3Acdn", format)
                .await
                .services()),
            [6]
        );
        assert_eq!(
            app.list_services("?serviceType=volume", format)
                .await
                .services(),
            vec![]
        );
        let page = app
            .list_services("?serviceType=compute&limit=2", format)
            .await;
        assert_eq!(ids(&page.services()), [1, 3]);
        let next = next_link(&page, &app).unwrap();
        assert_eq!(
            next,
            format!("{BASE}/services?marker=3&limit=2&serviceType=compute")
        );
        let rest = app
            .list_services(next.trim_start_matches(&format!("{BASE}/services")), format)
            .await;
        assert_eq!(ids(&rest.services()), [5]);
        // A marker of another type still positions the page.
        assert_eq!(
            ids(&app
                .list_services("?serviceType=compute&marker=2", format)
                .await
                .services()),
            [3, 5]
        );
    }
}

async fn every_privilege_level_may_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "a")).await;
    for level in ["SA", "SVC", "DA", "DU"] {
        let token = app.principal_token(&format!("p-{level}"), &[level]);
        for format in FORMATS {
            let reply = app.list_services_as("", format, &token).await;
            assert_eq!(reply.status, StatusCode::OK, "{level}");
            assert_eq!(reply.services().len(), 1);
        }
    }
    for format in FORMATS {
        app.list_services_as("", format, "HPAuth_nope")
            .await
            .assert_fault(401, "unauthorized");
    }
}

async fn authentication_comes_before_parameter_checks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        app.list_services_as("?limit=abc", format, "")
            .await
            .assert_fault(401, "unauthorized");
    }
}

on_both_backends!(
    an_empty_registry_lists_an_empty_page,
    services_are_sorted_by_numeric_id,
    pages_follow_the_marker_and_link_to_the_next_page,
    the_default_limit_is_100_and_the_maximum_is_1000,
    bad_limits_and_markers_are_bad_requests,
    an_unknown_marker_is_item_not_found,
    an_empty_marker_or_limit_starts_from_the_beginning,
    service_type_filters_by_exact_type_and_survives_paging,
    every_privilege_level_may_list,
    authentication_comes_before_parameter_checks,
);
