//! An administrator in the console: a fleet's heartbeats per minute on the overview, and a
//! registered service's endpoint templates added, disabled and deleted through the API's
//! own rules; a DU is offered none of it.

use std::time::Duration;

use fantoccini::Locator;
use reqwest::{Method, StatusCode};

use super::{browser, click, screenshot, sign_in, start_driver, text_of, tools_present};
use crate::helpers::*;
use service_registry::settings::Settings;

/// The heartbeat counts' buckets (docs/contract.md, "Limits").
const BUCKET: Duration = Duration::from_secs(10);

async fn template_status(app: &TestApp, id: u32) -> (StatusCode, Option<bool>) {
    let reply = Reply::from(app.request(
        Method::GET,
        &format!("/v2.0/HP-IDM/v1.0/endpointTemplates/{id}"),
        Format::Json,
    ))
    .await;
    let enabled = (reply.status == StatusCode::OK)
        .then(|| reply.json()["endpointTemplate"]["enabled"].as_bool())
        .flatten();
    (reply.status, enabled)
}

#[tokio::test]
async fn an_administrator_reads_the_fleets_cadence_and_manages_endpoint_templates() {
    if !tools_present() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.tenant("acme", 7);
    app.user("operator", "SA", &["acme"], Some("acme"));
    app.user("viewer", "DU", &["acme"], Some("acme"));
    app.registered(
        &ServiceBody::new(100, "Nova")
            .kind("compute")
            .state("public"),
    )
    .await;
    // Ten services of 120 s (none times out while the test runs) need 5 heartbeats a
    // minute; the fleet sends 3.
    let live = &app.live(7);
    let mut token = live.created("api-1", 120).await;
    for n in 2..=10 {
        live.created(&format!("api-{n}"), 120).await;
    }
    let counted = BUCKET + Settings::default().live.rate_sync_interval * 2 + Duration::from_secs(2);
    let mut beat = async |times: usize, total: i64| {
        for _ in 0..times {
            let reply = live.heartbeat("api-1", &token).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            token = reply.json()["token"].as_str().unwrap().to_owned();
        }
        until_holds(&format!("{total} heartbeats counted"), counted, || async {
            live.get("/limits").await.json()["heartbeats"]["per_minute"] == total
        })
        .await;
    };
    beat(3, 3).await;

    let driver = start_driver().await;
    let session = browser(&driver).await;
    let browser = &session;
    sign_in(browser, &app, "operator").await;
    let cell = "#tenants tr[data-tenant='7'] td.heartbeats";
    until_holds(
        "the overview shows 3 of 5 needed, marked short",
        Duration::from_secs(10),
        || async move {
            text_of(browser, cell)
                .await
                .is_some_and(|t| t.contains("3 of 5 needed") && t.contains("short"))
        },
    )
    .await;
    assert!(browser
        .find(Locator::Css(&format!("{cell}.short")))
        .await
        .is_ok());
    // The last hour at a glance: the ten joins drawn as bars of the chart, no timeout.
    let chart = "#tenants tr[data-tenant='7'] svg.hour-chart";
    until_holds(
        "the overview draws the hour",
        Duration::from_secs(10),
        || async move {
            browser
                .find(Locator::Css(&format!("{chart} rect.joins")))
                .await
                .is_ok()
        },
    )
    .await;
    assert!(browser
        .find(Locator::Css(&format!("{chart} rect.timeouts")))
        .await
        .is_err());
    screenshot(browser, "overview-heartbeats").await;
    // Two more make 5: enough, once the overview is refreshed.
    beat(2, 5).await;
    click(browser, "#refresh").await;
    until_holds(
        "the overview shows 5 of 5 needed, not short",
        Duration::from_secs(10),
        || async move {
            text_of(browser, cell)
                .await
                .is_some_and(|t| t.contains("5 of 5 needed") && !t.contains("short"))
        },
    )
    .await;
    assert!(browser
        .find(Locator::Css(&format!("{cell}.short")))
        .await
        .is_err());

    // A template added through the form; a bad id first shows the API's refusal.
    browser
        .goto(&format!("{}/console#/registered/100", app.address))
        .await
        .unwrap();
    let form = browser
        .wait()
        .for_element(Locator::Id("add-template"))
        .await
        .unwrap();
    for (name, value) in [
        ("id", "x1"),
        ("region", "region-b"),
        ("publicURL", "https://nova.example/v2/%tenant_id%"),
        ("internalURL", "http://nova.internal/v2/%tenant_id%"),
        ("version", "v2"),
        ("fleetTenant", "7"),
        ("fleetTag", "nova-api"),
    ] {
        form.find(Locator::Css(&format!("input[name={name}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    click(browser, "#add-template button").await;
    until_holds(
        "the API's refusal is shown",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "p.template-outcome")
                .await
                .is_some_and(|t| t.contains("id"))
        },
    )
    .await;
    let id_field = browser
        .find(Locator::Css("#add-template input[name=id]"))
        .await
        .unwrap();
    id_field.clear().await.unwrap();
    id_field.send_keys("2").await.unwrap();
    click(browser, "#add-template button").await;
    until_holds(
        "the template is listed",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "table.templates tr[data-id='2']")
                .await
                .is_some_and(|t| t.contains("region-b") && t.contains("v2"))
        },
    )
    .await;
    assert_eq!(template_status(&app, 2).await, (StatusCode::OK, Some(true)));
    // Backed by a fleet that has no one yet; one joins, and the page follows by itself.
    let fleet = "table.templates tr[data-id='2'] td.fleet";
    assert!(text_of(browser, fleet)
        .await
        .is_some_and(|t| t.contains("0 of 1 alive") && t.contains("out of catalogs")));
    let joined = live
        .create_with(
            &serde_json::json!({"id": "nova-1", "heartbeat_timeout": 120, "tags": ["nova-api"]}),
        )
        .await;
    assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.body);
    until_holds(
        "the fleet's count follows without a reload",
        Duration::from_secs(10),
        || async move {
            text_of(browser, fleet)
                .await
                .is_some_and(|t| t.contains("1 of 1 alive") && !t.contains("out of"))
        },
    )
    .await;
    screenshot(browser, "templates").await;
    // Gone again, so the tenant's cadence below is the ten services' alone.
    let removed = live.send(Method::DELETE, "/services/nova-1", None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);

    // Disabled, then deleted after a confirmation.
    click(
        browser,
        "table.templates tr[data-id='2'] button.toggle-template",
    )
    .await;
    until_holds(
        "it shows disabled",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "table.templates tr[data-id='2'] td.enabled")
                .await
                .is_some_and(|t| t == "no")
        },
    )
    .await;
    assert_eq!(
        template_status(&app, 2).await,
        (StatusCode::OK, Some(false))
    );
    let kept = Reply::from(app.request(
        Method::GET,
        "/v2.0/HP-IDM/v1.0/endpointTemplates/2",
        Format::Json,
    ))
    .await;
    assert_eq!(
        kept.json()["endpointTemplate"]["liveness"]["tag"],
        "nova-api",
        "disabling kept the binding"
    );
    click(
        browser,
        "table.templates tr[data-id='2'] button.remove-template",
    )
    .await;
    assert!(browser
        .get_alert_text()
        .await
        .unwrap()
        .contains("Delete endpoint template 2 of Nova"));
    browser.accept_alert().await.unwrap();
    until_holds("it leaves", Duration::from_secs(10), || async move {
        browser
            .find(Locator::Css("table.templates tr[data-id='2']"))
            .await
            .is_err()
    })
    .await;
    assert_eq!(template_status(&app, 2).await.0, StatusCode::NOT_FOUND);

    // A DU sees the templates and the rate, and may change neither.
    app.added_template(&crate::helpers::TemplateBody::new(
        3,
        "Nova",
        "compute",
        "https://nova.example/v3",
    ))
    .await;
    click(browser, "#sign-out").await;
    browser
        .wait()
        .for_element(Locator::Id("sign-in-form"))
        .await
        .unwrap();
    sign_in(browser, &app, "viewer").await;
    until_holds(
        "the viewer's overview shows the rate",
        Duration::from_secs(10),
        || async move {
            text_of(browser, cell)
                .await
                .is_some_and(|t| t.contains("of 5 needed"))
        },
    )
    .await;
    // It may not read one service (HP-IDM: SA and SVC), so the list shows its templates.
    browser
        .goto(&format!("{}/console#/registered", app.address))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(
            "#registered tr[data-id='100'] button.show-templates",
        ))
        .await
        .unwrap();
    assert!(
        browser
            .find(Locator::Css("#registered a[href='#/registered/100']"))
            .await
            .is_err(),
        "no link to a page it would be refused"
    );
    click(
        browser,
        "#registered tr[data-id='100'] button.show-templates",
    )
    .await;
    until_holds(
        "the viewer sees Nova's templates",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#registered table.templates")
                .await
                .is_some_and(|t| t.contains("https://nova.example/v3"))
        },
    )
    .await;
    let view = text_of(browser, "#view").await.unwrap();
    assert!(!view.contains("null"), "no form drawn as a word: {view}");
    screenshot(browser, "templates-read-only").await;
    for offered in [
        "#add-template",
        "button.toggle-template",
        "button.remove-template",
    ] {
        assert!(
            browser.find(Locator::Css(offered)).await.is_err(),
            "a DU is not offered {offered}"
        );
    }
    session.close().await.unwrap();
}
