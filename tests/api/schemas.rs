//! The schemas themselves: the seed's examples validate against them, and what the
//! contract forbids does not.

use serde_json::Value;

use crate::helpers::schemas::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/seed/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_well_formed_xml_example_of_the_seed_validates_against_the_xsds() {
    for name in [
        "get-response.xml",
        "list-response.xml",
        "register-request.xml",
        "update-request.xml",
        "update-response.xml",
        "fault-unauthorized.xml",
    ] {
        check_xml(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // The one with the seed's &nbsp; artefact is not well-formed, so it cannot validate.
    if xmllint_available() {
        assert!(check_xml(&fixture("register-response.xml")).is_err());
    }
}

#[test]
fn every_json_example_of_the_seed_validates_against_the_json_schemas() {
    for (name, schema) in [
        ("register-request.json", "register-service.request.json"),
        ("update-request.json", "update-service.request.json"),
        ("get-response.json", "register-service.response.json"),
        ("register-response.json", "register-service.response.json"),
        ("update-response.json", "register-service.response.json"),
        ("list-response.json", "register-services.response.json"),
        ("fault-unauthorized.json", "fault.response.json"),
    ] {
        let document: Value = serde_json::from_str(&fixture(name)).unwrap();
        let errors = violations(&json_schema(schema), &document);
        assert!(errors.is_empty(), "{name} against {schema}: {errors:?}");
    }
}

#[test]
fn the_json_schemas_reject_what_the_contract_forbids() {
    let service = |patch: Value| {
        let mut base = serde_json::json!({"description": null, "id": "5", "otherAttributes": {},
            "releaseState": "beta", "serviceName": "a", "serviceType": "b"});
        base.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        serde_json::json!({ "registerService": base })
    };
    let response = json_schema("register-service.response.json");
    assert!(violations(&response, &service(serde_json::json!({}))).is_empty());
    for bad in [
        serde_json::json!({"id": 5}),
        serde_json::json!({"id": "05"}),
        serde_json::json!({"releaseState": "gone"}),
        serde_json::json!({"serviceName": " padded "}),
        serde_json::json!({"otherAttributes": {"x": 1}}),
        serde_json::json!({"extra": true}),
    ] {
        assert!(
            !violations(&response, &service(bad.clone())).is_empty(),
            "accepted {bad}"
        );
    }
    let register = json_schema("register-service.request.json");
    let request = |body: Value| serde_json::json!({ "registerService": body });
    assert!(violations(
        &register,
        &request(serde_json::json!({"id": 7, "serviceName": "a", "serviceType": "b"}))
    )
    .is_empty());
    for bad in [
        serde_json::json!({"serviceName": "a", "serviceType": "b"}),
        serde_json::json!({"id": "0", "serviceName": "a", "serviceType": "b"}),
        serde_json::json!({"id": 1.5, "serviceName": "a", "serviceType": "b"}),
        serde_json::json!({"id": "1", "serviceName": "  ", "serviceType": "b"}),
        serde_json::json!({"id": "1", "serviceName": "a"}),
    ] {
        assert!(
            !violations(&register, &request(bad.clone())).is_empty(),
            "accepted {bad}"
        );
    }
    let fault = json_schema("fault.response.json");
    let bad_fault = serde_json::json!({"badRequest": {"code": "400", "details": "x", "message": "BAD_REQUEST", "otherAttributes": {}}});
    assert!(!violations(&fault, &bad_fault).is_empty());
}

#[test]
fn the_xsds_reject_what_the_contract_forbids() {
    if !xmllint_available() {
        return;
    }
    let ns = "http://www.hp.com/identity/api/ext/HP-IDM/v1.0";
    for bad in [
        format!(r#"<registerService xmlns="{ns}" id="0" serviceName="a" serviceType="b"/>"#),
        format!(r#"<registerService xmlns="{ns}" id="+5" serviceName="a" serviceType="b"/>"#),
        format!(r#"<registerService xmlns="{ns}" id="1" serviceName="a" serviceType="b" releaseState="gone"/>"#),
        format!(r#"<registerService xmlns="{ns}" id="1" serviceName=" " serviceType="b"/>"#),
        format!(r#"<registerService xmlns="{ns}" id="1" serviceType="b"/>"#),
        r#"<registerService id="1" serviceName="a" serviceType="b"/>"#.to_owned(),
        r#"<badRequest xmlns="http://docs.openstack.org/identity/api/v2.0"><message>m</message></badRequest>"#.to_owned(),
    ] {
        assert!(check_xml(&bad).is_err(), "accepted {bad}");
    }
}
