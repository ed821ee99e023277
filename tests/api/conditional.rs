//! Conditional GETs: every 200 to a GET carries a strong `ETag`; `If-None-Match` naming
//! it gets 304 with no body. HP-IDM services and endpoint templates in JSON and XML, and
//! the live registry.

use reqwest::{Method, StatusCode};

use crate::helpers::reply::Reply;
use crate::helpers::*;

impl TestApp {
    /// A GET with the SA token, `Accept` for `format` and, if given, `If-None-Match`.
    pub async fn get_if_none_match(
        &self,
        path: &str,
        format: Format,
        if_none_match: Option<&str>,
    ) -> Reply {
        let mut request = self.request(Method::GET, path, format);
        if let Some(tags) = if_none_match {
            request = request.header("If-None-Match", tags);
        }
        Reply::from(request).await
    }
}

/// Its `ETag`, after checking it is a strong tag.
fn etag(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let tag = reply.header("etag").expect("a 200 to a GET has an ETag");
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && tag.len() > 2,
        "a strong tag: {tag}"
    );
    tag.to_owned()
}

/// 304, no body, the same tag, and still `Vary: Accept` on the HP-IDM routes.
fn assert_not_modified(reply: &Reply, tag: &str) {
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{}", reply.body);
    assert!(reply.body.is_empty(), "a 304 has no body: {}", reply.body);
    assert_eq!(reply.header("etag"), Some(tag));
    assert_eq!(reply.header("content-type"), None);
}

/// For one resource: 304 for its tag (alone, weak, in a list, `*`), 200 for another tag.
async fn check_conditional(app: &TestApp, path: &str, format: Format) -> String {
    let first = app.get_if_none_match(path, format, None).await;
    let tag = etag(&first);
    let again = app.get_if_none_match(path, format, None).await;
    assert_eq!(etag(&again), tag, "an unchanged resource keeps its tag");
    assert_eq!(again.body, first.body);
    for condition in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"other\", {tag}"),
        "*".to_owned(),
    ] {
        let reply = app.get_if_none_match(path, format, Some(&condition)).await;
        assert_not_modified(&reply, &tag);
        if !path.starts_with("/v1.0") {
            assert_eq!(reply.header("vary"), Some("Accept"));
        }
    }
    let other = app
        .get_if_none_match(path, format, Some("\"0123456789abcdef\""))
        .await;
    assert_eq!(etag(&other), tag);
    assert_eq!(other.body, first.body);
    tag
}

async fn a_service_answers_304_until_it_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(7, "Nova").kind("compute"))
        .await;
    let path = format!("{BASE}/services/7");
    let json = check_conditional(&app, &path, Format::Json).await;
    let xml = check_conditional(&app, &path, Format::Xml).await;
    assert_ne!(json, xml, "each representation has its own tag");
    let reply = app
        .update(
            "7",
            &ServiceBody::new(7, "Nova 2").kind("compute"),
            Format::Json,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.header("etag"),
        None,
        "only GETs are tagged: a PUT's answer is not a cached representation"
    );
    for (format, old) in [(Format::Json, &json), (Format::Xml, &xml)] {
        let changed = app.get_if_none_match(&path, format, Some(old)).await;
        assert_ne!(&etag(&changed), old, "a changed service has a new tag");
        assert_eq!(changed.service().name, "Nova 2");
    }
    // Faults are never tagged nor turned into 304s.
    let missing = app
        .get_if_none_match(&format!("{BASE}/services/8"), Format::Json, Some("*"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("etag"), None);
}

async fn a_list_page_answers_304_until_a_service_joins_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for id in [1, 2, 3] {
        app.registered(&ServiceBody::new(id, &format!("Service {id}")))
            .await;
    }
    for format in FORMATS {
        let first_page = format!("{BASE}/services?limit=2");
        let tag = check_conditional(&app, &first_page, format).await;
        let not_modified = app.get_if_none_match(&first_page, format, Some(&tag)).await;
        assert!(
            not_modified
                .header("link")
                .is_some_and(|link| link.contains("marker=2")),
            "a 304 keeps the page's Link"
        );
        // The last page holds one service; a new one joins it, and the first page stays
        // as it was.
        let (marker, id) = if format == Format::Json {
            (2, 4)
        } else {
            (3, 5)
        };
        let last_page = format!("{BASE}/services?limit=2&marker={marker}");
        let last_tag = check_conditional(&app, &last_page, format).await;
        assert_ne!(tag, last_tag);
        app.registered(&ServiceBody::new(id, &format!("Service {id}")))
            .await;
        let changed = app
            .get_if_none_match(&last_page, format, Some(&last_tag))
            .await;
        assert_ne!(etag(&changed), last_tag);
        assert!(changed.services().iter().any(|s| s.id == id.to_string()));
        assert_not_modified(
            &app.get_if_none_match(&first_page, format, Some(&tag)).await,
            &tag,
        );
    }
}

async fn endpoint_templates_answer_304_in_both_formats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(100, "Nova").kind("compute"))
        .await;
    app.added_template(&TemplateBody::new(
        10,
        "Nova",
        "compute",
        "https://nova/v1.1/%tenant_id%",
    ))
    .await;
    for format in FORMATS {
        check_conditional(&app, TEMPLATES, format).await;
        check_conditional(&app, &format!("{TEMPLATES}/10"), format).await;
    }
}

async fn the_live_registry_answers_304_for_services_and_lists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tenant = app.live_tenant(4321);
    let live = app.live(tenant);
    live.created("api-1", 60).await;
    let one = check_conditional(
        &app,
        &format!("/v1.0/{tenant}/services/api-1"),
        Format::Json,
    )
    .await;
    let list = check_conditional(&app, &format!("/v1.0/{tenant}/services"), Format::Json).await;
    live.set_value("color", "blue").await;
    check_conditional(
        &app,
        &format!("/v1.0/{tenant}/configuration/color"),
        Format::Json,
    )
    .await;
    // A new service changes the list; the first service stays as it was.
    live.created("api-2", 60).await;
    let changed = app
        .get_if_none_match(
            &format!("/v1.0/{tenant}/services"),
            Format::Json,
            Some(&list),
        )
        .await;
    assert_ne!(etag(&changed), list);
    let unchanged = app
        .get_if_none_match(
            &format!("/v1.0/{tenant}/services/api-1"),
            Format::Json,
            Some(&one),
        )
        .await;
    assert_not_modified(&unchanged, &one);
}

on_both_backends!(
    a_service_answers_304_until_it_changes,
    a_list_page_answers_304_until_a_service_joins_it,
    endpoint_templates_answer_304_in_both_formats,
    the_live_registry_answers_304_for_services_and_lists,
);
