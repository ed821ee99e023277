//! The web console in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, fantoccini) against the real server. Needs `chromium` and
//! `chromium-driver` (Debian; `.ci/run` installs them): outside CI a machine without them
//! skips with a message, in CI (`CI=true`) their absence fails. Screenshots of each view
//! go to `target/console-screenshots/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

mod operator;
mod templates;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const XSS: &str = "<img src=x onerror=alert(1)>";

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tools_present() -> bool {
    tools::present(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
        &format!("{CHROMIUM} or {CHROMEDRIVER} (apt-get install chromium chromium-driver)"),
        "the browser test is skipped",
    )
}

async fn start_driver() -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    until_holds(
        "chromedriver to answer",
        Duration::from_secs(20),
        || async { reqwest::get(format!("{url}/status")).await.is_ok() },
    )
    .await;
    Driver { child, url }
}

async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the page shows outside raw data (`.payload` cells: event payloads as JSON,
/// configuration values, URLs), where `null` may be data.
const PAGE_TEXT: &str = "const raw = [...document.querySelectorAll('.payload, pre, code')]; \
    const shown = raw.map((node) => node.style.display); \
    raw.forEach((node) => { node.style.display = 'none'; }); \
    const text = document.body.innerText; \
    raw.forEach((node, i) => { node.style.display = shown[i]; }); \
    return text;";

/// Saves what the page shows, after checking that it shows no value a script failed to
/// turn into text: `null`, `undefined`, `NaN`, `[object …]`, even glued to a word
/// (every page a test visits passes through here).
async fn screenshot(browser: &Client, name: &str) {
    let text = browser
        .execute(PAGE_TEXT, vec![])
        .await
        .expect("the page's text");
    let text = text.as_str().unwrap_or_default();
    let stray = regex::Regex::new(r"null|undefined|\bNaN\b|\[object ").unwrap();
    if let Some(found) = stray.find(text) {
        let before: String = text[..found.start()].chars().rev().take(60).collect();
        let after: String = text[found.end()..].chars().take(60).collect();
        let before: String = before.chars().rev().collect();
        panic!(
            "the {name} page shows '{}': …{before}[{}]{after}…",
            found.as_str(),
            found.as_str()
        );
    }
    let png = browser.screenshot().await.expect("a screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn text_of(browser: &Client, css: &str) -> Option<String> {
    match browser.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.ok(),
        Err(_) => None,
    }
}

/// Clicks the element `css` names, scrolled to the middle of the window first, as a user
/// would (the page's footer stays at the bottom of the window).
async fn click(browser: &Client, css: &str) {
    let element = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} is on the page"));
    browser
        .execute(
            "arguments[0].scrollIntoView({block: 'center'})",
            vec![serde_json::to_value(&element).unwrap()],
        )
        .await
        .unwrap();
    element.click().await.unwrap();
}

async fn sign_in(browser: &Client, app: &TestApp, user: &str) {
    browser
        .goto(&format!("{}/console", app.address))
        .await
        .unwrap();
    let form = browser
        .wait()
        .for_element(Locator::Id("sign-in-form"))
        .await
        .unwrap();
    assert!(form.is_displayed().await.unwrap());
    browser
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(browser, "#sign-in-form button[type=submit]").await;
    browser
        .wait()
        .for_element(Locator::Css("#view h1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_console_is_served_safely_and_only_read() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app
        .client
        .get(format!("{}/console", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let policy = header("content-security-policy").unwrap();
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script");
    for file in service_registry::console::ASSETS {
        let path = format!("/console/{}", file.name);
        let reference = if file.name.ends_with(".js") {
            format!(r#"<script src="{path}" defer></script>"#)
        } else {
            format!(r#"<link rel="stylesheet" href="{path}">"#)
        };
        assert!(html.contains(&reference), "{reference} in {html}");
        let asset = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), StatusCode::OK);
        let content_type = asset.headers()["content-type"].to_str().unwrap().to_owned();
        let kind = if file.name.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(content_type.starts_with(kind), "{content_type}");
        assert!(asset.headers().contains_key("content-security-policy"));
        // The scripts write server values as text only.
        let body = asset.text().await.unwrap();
        assert!(
            !body.contains("innerHTML")
                && !body.contains("outerHTML")
                && !body.contains("insertAdjacentHTML")
                && !body.contains("document.write")
                && !body.contains("eval("),
            "{path} writes markup"
        );
    }
    // Only GET; a browser's Accept is not negotiated away.
    let posted = app
        .client
        .post(format!("{}/console", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::METHOD_NOT_ALLOWED);
    let html_only = app
        .client
        .get(format!("{}/console", app.address))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(html_only.status(), StatusCode::OK);
    // Off with the setting.
    let off =
        TestApp::spawn_with(Backend::Sqlite, |settings| settings.console.enabled = false).await;
    let missing = app
        .client
        .get(format!("{}/console", off.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
