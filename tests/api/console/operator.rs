//! An operator's day in the console: services coming and going, configuration, the
//! catalog preview, registered services; and what a DU is refused.

use std::time::Duration;

use fantoccini::Locator;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{browser, click, screenshot, sign_in, start_driver, text_of, tools_present, XSS};
use crate::helpers::*;

#[tokio::test]
async fn an_operator_watches_services_come_and_go_and_a_viewer_only_reads() {
    if !tools_present() {
        return;
    }
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.live.reaper_interval = Duration::from_millis(100);
    })
    .await;
    app.tenant("acme", 7);
    app.tenant("beta", 8);
    app.user("operator", "SA", &["acme"], Some("acme"));
    app.user("viewer", "DU", &["acme"], Some("acme"));
    app.registered(
        &ServiceBody::new(100, "Nova")
            .kind("compute")
            .state("public"),
    )
    .await;
    app.added_template(
        &TemplateBody::new(
            1,
            "Nova",
            "compute",
            "https://nova.example/v1.1/%tenant_id%",
        )
        .with("region", "region-a")
        .with("global", "true"),
    )
    .await;
    let live = &app.live(7);
    let driver = start_driver().await;
    let session = browser(&driver).await;
    let browser = &session;

    // No token, no cookie: the sign-in form; a wrong password shows the API's message.
    browser
        .goto(&format!("{}/console", app.address))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("sign-in-form"))
        .await
        .unwrap();
    browser
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("operator")
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("not the password")
        .await
        .unwrap();
    click(browser, "#sign-in-form button").await;
    until_holds(
        "the refusal is shown",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#sign-in-error")
                .await
                .is_some_and(|t| t.contains("Invalid credentials"))
        },
    )
    .await;
    screenshot(browser, "sign-in").await;

    sign_in(browser, &app, "operator").await;
    until_holds(
        "the overview lists acme",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#tenants")
                .await
                .is_some_and(|t| t.contains("acme"))
        },
    )
    .await;
    assert!(
        browser.get_all_cookies().await.unwrap().is_empty(),
        "no cookie is set"
    );
    screenshot(browser, "overview").await;

    // The services page; a service registered through the API appears without a reload,
    // its hostile metadata shown as text.
    browser
        .goto(&format!("{}/console#/t/7/services", app.address))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("services"))
        .await
        .unwrap();
    // No wait for the page's long poll: it follows the feed from before its list was
    // read, so an event between the two is delivered all the same.
    let created = live
        .create_with(
            &json!({"id": "web-1", "heartbeat_timeout": 120, "tags": ["web", "<b>bold</b>"],
            "metadata": {"note": XSS, "rtl": "\u{202e}evil"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    until_holds("web-1 appears", Duration::from_secs(35), || async move {
        text_of(browser, "#services tbody")
            .await
            .is_some_and(|t| t.contains("web-1"))
    })
    .await;
    let metadata = text_of(browser, "#services tr[data-id='web-1'] td.metadata")
        .await
        .unwrap();
    assert!(metadata.contains(XSS), "the markup is text: {metadata}");
    assert!(
        metadata.contains("[U+202E]evil"),
        "a bidi override is shown, not obeyed: {metadata}"
    );
    assert!(
        browser.find(Locator::Css("#services img")).await.is_err(),
        "no element was injected"
    );
    assert!(browser.get_alert_text().await.is_err(), "no script ran");
    // One that never heartbeats is marked when it times out, then leaves.
    assert_eq!(live.create("short-1", 3).await.status, StatusCode::CREATED);
    until_holds("short-1 appears", Duration::from_secs(35), || async move {
        text_of(browser, "#services tbody")
            .await
            .is_some_and(|t| t.contains("short-1"))
    })
    .await;
    screenshot(browser, "services").await;
    until_holds(
        "short-1 is marked timed out",
        Duration::from_secs(35),
        || async move {
            browser
                .find(Locator::Css("tr.timed-out[data-id='short-1']"))
                .await
                .is_ok()
        },
    )
    .await;
    until_holds("short-1 leaves", Duration::from_secs(10), || async move {
        browser
            .find(Locator::Css("tr[data-id='short-1']"))
            .await
            .is_err()
    })
    .await;

    // The detail page and its removal, after a confirmation.
    browser
        .goto(&format!("{}/console#/t/7/services/web-1", app.address))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("service-fields"))
        .await
        .unwrap();
    until_holds(
        "its join event is listed",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#service-events")
                .await
                .is_some_and(|t| t.contains("service.join"))
        },
    )
    .await;
    screenshot(browser, "service").await;
    click(browser, "#remove").await;
    assert!(browser
        .get_alert_text()
        .await
        .unwrap()
        .contains("Remove service web-1"));
    browser.accept_alert().await.unwrap();
    browser
        .wait()
        .for_element(Locator::Id("services"))
        .await
        .unwrap();
    until_holds("web-1 is gone", Duration::from_secs(10), || async move {
        live.get("/services/web-1").await.status == StatusCode::NOT_FOUND
    })
    .await;

    // Configuration: a value set through the console's form goes through the API's own
    // rules (a bad id shows the API's message), then is removed after a confirmation.
    browser
        .goto(&format!("{}/console#/t/7/configuration", app.address))
        .await
        .unwrap();
    let form = browser
        .wait()
        .for_element(Locator::Id("set-value"))
        .await
        .unwrap();
    form.find(Locator::Css("input[name=id]"))
        .await
        .unwrap()
        .send_keys("/**/bad")
        .await
        .unwrap();
    form.find(Locator::Css("input[name=value]"))
        .await
        .unwrap()
        .send_keys("x")
        .await
        .unwrap();
    form.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until_holds(
        "the API's refusal is shown",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#outcome")
                .await
                .is_some_and(|t| !t.is_empty())
        },
    )
    .await;
    let form = browser.find(Locator::Id("set-value")).await.unwrap();
    let id_field = form.find(Locator::Css("input[name=id]")).await.unwrap();
    id_field.clear().await.unwrap();
    id_field
        .send_keys("/production/database/url")
        .await
        .unwrap();
    let value_field = form.find(Locator::Css("input[name=value]")).await.unwrap();
    value_field.clear().await.unwrap();
    value_field.send_keys("<script>1</script>").await.unwrap();
    form.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until_holds(
        "the value is listed",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#configuration tbody")
                .await
                .is_some_and(|t| t.contains("/production/database/url"))
        },
    )
    .await;
    let stored = live.get("/configuration//production/database/url").await;
    assert_eq!(stored.json()["value"], "<script>1</script>");
    screenshot(browser, "configuration").await;
    click(
        browser,
        "tr[data-id='/production/database/url'] button.remove-value",
    )
    .await;
    assert!(browser
        .get_alert_text()
        .await
        .unwrap()
        .contains("/production/database/url"));
    browser.accept_alert().await.unwrap();
    until_holds(
        "the value is gone",
        Duration::from_secs(10),
        || async move {
            live.get("/configuration//production/database/url")
                .await
                .status
                == StatusCode::NOT_FOUND
        },
    )
    .await;

    // The catalog a token of the tenant gets, and the tenants' limits.
    browser
        .goto(&format!("{}/console#/t/7/catalog", app.address))
        .await
        .unwrap();
    until_holds(
        "the catalog is shown",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#catalog")
                .await
                .is_some_and(|t| t.contains("https://nova.example/v1.1/7"))
        },
    )
    .await;
    assert!(
        browser
            .find(Locator::Css("nav.sub a[href='#/t/7/configuration']"))
            .await
            .is_ok(),
        "the tenant's pages are linked"
    );
    screenshot(browser, "catalog").await;
    browser
        .goto(&format!("{}/console#/tenants", app.address))
        .await
        .unwrap();
    until_holds(
        "the limits are shown",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#limits")
                .await
                .is_some_and(|t| t.contains("0 of 1000"))
        },
    )
    .await;
    screenshot(browser, "tenants").await;

    // HP-IDM: register a service through the console's form, see its templates, and
    // decommission it (after a confirmation), which locks its state.
    browser
        .goto(&format!("{}/console#/registered", app.address))
        .await
        .unwrap();
    let form = browser
        .wait()
        .for_element(Locator::Id("register"))
        .await
        .unwrap();
    for (name, value) in [
        ("id", "300"),
        ("serviceName", "Glance"),
        ("serviceType", "image"),
    ] {
        form.find(Locator::Css(&format!("input[name={name}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    form.find(Locator::Css("select[name=releaseState]"))
        .await
        .unwrap()
        .select_by_value("public")
        .await
        .unwrap();
    form.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("registered-fields"))
        .await
        .unwrap();
    assert_eq!(
        app.get_service("300", Format::Json)
            .await
            .service()
            .release_state,
        "public"
    );
    browser
        .goto(&format!("{}/console#/registered/100", app.address))
        .await
        .unwrap();
    until_holds(
        "Nova's template is listed",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "table.templates")
                .await
                .is_some_and(|t| t.contains("https://nova.example/v1.1/%tenant_id%"))
        },
    )
    .await;
    screenshot(browser, "registered-service").await;
    browser
        .goto(&format!("{}/console#/registered/300", app.address))
        .await
        .unwrap();
    // A hash change redraws the view: wait for Glance's, not Nova's, before clicking.
    until_holds(
        "Glance's page is shown",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#registered-fields")
                .await
                .is_some_and(|t| t.contains("Glance"))
        },
    )
    .await;
    click(browser, "#decommission").await;
    assert!(browser
        .get_alert_text()
        .await
        .unwrap()
        .contains("Decommission Glance"));
    browser.accept_alert().await.unwrap();
    until_holds(
        "the lock is shown",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#release-state")
                .await
                .is_some_and(|t| t.contains("locked"))
        },
    )
    .await;
    assert!(
        browser.find(Locator::Id("edit")).await.is_err(),
        "a locked service offers no edit"
    );
    assert_eq!(
        app.get_service("300", Format::Json)
            .await
            .service()
            .release_state,
        "decommissioned"
    );
    browser
        .goto(&format!("{}/console#/registered", app.address))
        .await
        .unwrap();
    until_holds(
        "the list shows both",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#registered")
                .await
                .is_some_and(|t| t.contains("Glance") && t.contains("Nova"))
        },
    )
    .await;
    screenshot(browser, "registered").await;

    // The events page lists the feed, newest first.
    browser
        .goto(&format!("{}/console#/t/7/events", app.address))
        .await
        .unwrap();
    until_holds(
        "the feed is listed",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#events tbody tr:first-child")
                .await
                .is_some_and(|t| t.contains("configuration_value.remove"))
        },
    )
    .await;
    screenshot(browser, "events").await;

    // A DU reads but is offered no removal.
    click(browser, "#sign-out").await;
    browser
        .wait()
        .for_element(Locator::Id("sign-in-form"))
        .await
        .unwrap();
    assert_eq!(live.create("db-1", 120).await.status, StatusCode::CREATED);
    sign_in(browser, &app, "viewer").await;
    browser
        .goto(&format!("{}/console#/t/7/services/db-1", app.address))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("service-fields"))
        .await
        .unwrap();
    assert!(
        browser.find(Locator::Id("remove")).await.is_err(),
        "a DU is not offered removal"
    );
    browser
        .goto(&format!("{}/console#/registered", app.address))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("registered"))
        .await
        .unwrap();
    assert!(
        browser.find(Locator::Id("register")).await.is_err(),
        "a DU registers nothing"
    );
    // Another tenant is refused with the API's message, and the session stays.
    browser
        .goto(&format!("{}/console#/t/8/services", app.address))
        .await
        .unwrap();
    until_holds(
        "the refusal is shown",
        Duration::from_secs(10),
        || async move {
            text_of(browser, "#view .error")
                .await
                .is_some_and(|t| !t.is_empty())
        },
    )
    .await;
    let sign_out = browser.find(Locator::Id("sign-out")).await.unwrap();
    assert!(sign_out.is_displayed().await.unwrap(), "still signed in");
    screenshot(browser, "refused").await;

    // A token that stops working sends the page back to sign-in.
    let stored = browser
        .execute(
            "return JSON.parse(sessionStorage.getItem('service-registry.console.token')).token",
            vec![],
        )
        .await
        .unwrap();
    let token = stored.as_str().unwrap().to_owned();
    let revoked = Reply::from(app.request(
        Method::DELETE,
        &format!("/v2.0/tokens/{token}"),
        Format::Json,
    ))
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    browser
        .goto(&format!("{}/console#/", app.address))
        .await
        .unwrap();
    browser.refresh().await.unwrap();
    until_holds("back to sign-in", Duration::from_secs(10), || async move {
        browser
            .find(Locator::Id("sign-in"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap_or(false)
    })
    .await;
    session.close().await.unwrap();
}
