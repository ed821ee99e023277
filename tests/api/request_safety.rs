//! Hostile or broken request bodies: each gets a clear 4xx fault, never a 500 or a hang,
//! and nothing is stored.

use reqwest::{header, Method, StatusCode};

use crate::helpers::*;

async fn post_raw(app: &TestApp, format: Format, body: impl Into<reqwest::Body>) -> Reply {
    let request = app
        .request(Method::POST, &format!("{BASE}/services"), format)
        .header(header::CONTENT_TYPE, format.media_type())
        .body(body);
    Reply::from(request).await
}

async fn assert_nothing_stored(app: &TestApp) {
    assert_eq!(app.list_services("", Format::Json).await.services(), vec![]);
}

async fn malformed_json_is_a_bad_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for body in [
        "{",
        "not json",
        "[]",
        "null",
        r#"{"registerService": "x"}"#,
        r#"{"registerService": {"id": "1", "serviceName": 5, "serviceType": "compute"}}"#,
        r#"{"other": {}}"#,
        r#"{"registerService": {"id": "1", "id": "2", "serviceName": "a", "serviceType": "b"}}"#,
        "{\"registerService\": {\"id\": \"1\", \"serviceName\": \"\\ud800\", \"serviceType\": \"b\"}}",
    ] {
        let fault = post_raw(&app, Format::Json, body).await.assert_fault(400, "badRequest");
        assert!(!fault.details.is_empty(), "{body}");
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    post_raw(&app, Format::Json, deep)
        .await
        .assert_fault(400, "badRequest");
    post_raw(&app, Format::Json, vec![0xff, 0xfe, 0x00])
        .await
        .assert_fault(400, "badRequest");
    assert_nothing_stored(&app).await;
}

async fn malformed_xml_is_a_bad_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ns = SERVICES_NS;
    for body in [
        "<".to_owned(),
        "not xml".to_owned(),
        format!(r#"<registerService xmlns="{ns}" id="1" serviceName="a" serviceType="b">"#),
        format!(r#"<registerService xmlns="{ns}" id="1" serviceName="a" serviceType="b"></other>"#),
        format!(r#"<registerService xmlns="{ns}" id="1" id="2" serviceName="a" serviceType="b"/>"#),
        format!(
            r#"<registerService xmlns="{ns}" id="1" serviceName="a" serviceType="b"/><registerService xmlns="{ns}"/>"#
        ),
        format!(
            r#"<registerService xmlns="{ns}" id="1" serviceName="a" serviceType="b"/>trailing"#
        ),
        format!(r#"<registerService xmlns="{ns}" id=1 serviceName="a" serviceType="b"/>"#),
        format!(r#"<x:registerService xmlns:y="{ns}" id="1" serviceName="a" serviceType="b"/>"#),
        format!(r#"<registerService xmlns="{ns}" id="1" q:serviceName="a" serviceType="b"/>"#),
        format!(
            r#"<?xml version="1.0" encoding="ISO-8859-1"?><registerService xmlns="{ns}" id="1" serviceName="a" serviceType="b"/>"#
        ),
    ] {
        post_raw(&app, Format::Xml, body.clone())
            .await
            .assert_fault(400, "badRequest");
    }
    assert_nothing_stored(&app).await;
}

async fn xml_must_be_a_register_service_in_the_hp_idm_namespace(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for body in [
        r#"<registerService id="1" serviceName="a" serviceType="b"/>"#.to_owned(),
        format!(r#"<registerService xmlns="{FAULT_NS}" id="1" serviceName="a" serviceType="b"/>"#),
        format!(r#"<service xmlns="{SERVICES_NS}" id="1" serviceName="a" serviceType="b"/>"#),
        format!(
            r#"<registerServices xmlns="{SERVICES_NS}"><registerService id="1" serviceName="a" serviceType="b"/></registerServices>"#
        ),
    ] {
        let fault = post_raw(&app, Format::Xml, body)
            .await
            .assert_fault(400, "badRequest");
        assert!(fault.details.contains(SERVICES_NS), "{}", fault.details);
    }
    assert_nothing_stored(&app).await;
}

async fn any_prefix_bound_to_the_namespace_is_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (id, prefix) in [
        (1, ""),
        (2, "ns1:"),
        (3, "ns2:"),
        (4, "hpext:"),
        (5, "whatever:"),
    ] {
        let declaration = match prefix.strip_suffix(':') {
            Some(p) => format!(r#"xmlns:{p}="{SERVICES_NS}" xmlns="{FAULT_NS}""#),
            None => format!(r#"xmlns="{SERVICES_NS}""#),
        };
        let body = format!(
            r#"<{prefix}registerService {declaration} id="{id}" serviceName="svc {id}" serviceType="compute"/>"#
        );
        let reply = post_raw(&app, Format::Xml, body).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{prefix}: {}",
            reply.body
        );
    }
}

async fn dtds_and_entities_are_refused_before_anything_expands(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let billion_laughs = format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<registerService xmlns="{SERVICES_NS}" id="1" serviceName="&lol9;" serviceType="b"/>"#
    );
    let external = format!(
        r#"<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><registerService xmlns="{SERVICES_NS}" id="1" serviceName="&xxe;" serviceType="b"/>"#
    );
    for body in [billion_laughs, external] {
        let fault = post_raw(&app, Format::Xml, body)
            .await
            .assert_fault(400, "badRequest");
        assert!(fault.details.contains("DTD"), "{}", fault.details);
        assert!(!fault.details.contains("root:"), "{}", fault.details);
    }
    // Undefined entities (the seed's own &nbsp; artefact) are malformed.
    let nbsp = format!(
        r#"<registerService xmlns="{SERVICES_NS}" id="1" serviceName="a&nbsp;b" serviceType="b"/>"#
    );
    let fault = post_raw(&app, Format::Xml, nbsp)
        .await
        .assert_fault(400, "badRequest");
    assert!(fault.details.contains("&nbsp;"), "{}", fault.details);
    let in_content = format!(
        r#"<registerService xmlns="{SERVICES_NS}" id="1" serviceName="a" serviceType="b">&nbsp;</registerService>"#
    );
    post_raw(&app, Format::Xml, in_content)
        .await
        .assert_fault(400, "badRequest");
    assert_nothing_stored(&app).await;
    // The five predefined entities and character references are fine.
    let ok = format!(
        r#"<registerService xmlns="{SERVICES_NS}" id="1" serviceName="a &amp; b &lt;&gt;&quot;&apos; &#233;&#x263A;" serviceType="b"/>"#
    );
    let reply = post_raw(&app, Format::Xml, ok).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.service().name, "a & b <>\"' é☺");
}

async fn bodies_over_64_kib_are_refused_with_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        let padding = "x".repeat(70 * 1024);
        let body = ServiceBody::new(1, "big").describe(&padding).encode(format);
        let fault = post_raw(&app, format, body)
            .await
            .assert_fault(413, "overLimit");
        assert_eq!(fault.message, "OVER_LIMIT");
        // Streamed without a Content-Length: the cap holds while reading.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
        let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        post_raw(&app, format, stream)
            .await
            .assert_fault(413, "overLimit");
    }
    // Just under the cap is read (and then judged on its content).
    let body = format!(
        "{}{}",
        " ".repeat(60 * 1024),
        ServiceBody::new(1, "fits").encode(Format::Json)
    );
    assert_eq!(
        post_raw(&app, Format::Json, body).await.status,
        StatusCode::CREATED
    );
}

async fn empty_bodies_are_bad_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for format in FORMATS {
        for body in ["", "  \n"] {
            let fault = post_raw(&app, format, body)
                .await
                .assert_fault(400, "badRequest");
            assert!(fault.details.contains("empty"), "{}", fault.details);
        }
    }
}

async fn a_utf8_byte_order_mark_is_tolerated_in_xml(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = format!("\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?><registerService xmlns=\"{SERVICES_NS}\" id=\"1\" serviceName=\"bom\" serviceType=\"b\"/>");
    assert_eq!(
        post_raw(&app, Format::Xml, body).await.status,
        StatusCode::CREATED
    );
}

on_both_backends!(
    malformed_json_is_a_bad_request,
    malformed_xml_is_a_bad_request,
    xml_must_be_a_register_service_in_the_hp_idm_namespace,
    any_prefix_bound_to_the_namespace_is_accepted,
    dtds_and_entities_are_refused_before_anything_expands,
    bodies_over_64_kib_are_refused_with_413,
    empty_bodies_are_bad_requests,
    a_utf8_byte_order_mark_is_tolerated_in_xml,
);
