//! The web console at `/console`: one page (maud) with its scripts and style sheet, all
//! embedded in the binary at build time. It holds no data and no session of its own: the
//! page signs in through `POST /v2.0/tokens` (or takes a token), keeps the token in the
//! tab's session storage, and calls the same public APIs as every client, with
//! `X-Auth-Token`. The server only serves the files, each with a policy that admits no
//! inline script, no framing and no referrer.

mod page;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{middleware::DefaultHeaders, web, HttpResponse};

use crate::platform::http::{Dialect, PathRules, Routes};
use crate::settings::ConsoleSettings;

/// A file of the console, embedded at build time.
pub struct Asset {
    pub name: &'static str,
    pub body: &'static str,
    pub content_type: &'static str,
}

impl Asset {
    const fn script(name: &'static str, body: &'static str) -> Self {
        Self {
            name,
            body,
            content_type: "text/javascript; charset=utf-8",
        }
    }
}

/// The console's files under `/console/`. The page loads the scripts in this order: the
/// first holds the helpers, the session and the routing the others' views use.
pub const ASSETS: &[Asset] = &[
    Asset::script("console.js", include_str!("assets/console.js")),
    Asset::script("tenant.js", include_str!("assets/tenant.js")),
    Asset::script("registered.js", include_str!("assets/registered.js")),
    Asset {
        name: "console.css",
        body: include_str!("assets/console.css"),
        content_type: "text/css; charset=utf-8",
    },
];

/// Scripts, styles and API calls from this origin only; nothing inline, no frames, no
/// plugins, forms posting nowhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

#[derive(Clone)]
pub struct Console {
    enabled: bool,
}

impl Console {
    pub fn new(settings: &ConsoleSettings) -> Self {
        Self {
            enabled: settings.enabled,
        }
    }

    /// `/console` and each of [`ASSETS`] under it, GET only; nothing when
    /// `console.enabled` is off (the paths are then unknown, 404).
    pub fn configure(&self, config: &mut web::ServiceConfig) {
        if !self.enabled {
            return;
        }
        let headers = DefaultHeaders::new()
            .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .add((header::X_FRAME_OPTIONS, "DENY"))
            .add((header::REFERRER_POLICY, "no-referrer"))
            .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
        let mut scope = web::scope("/console")
            .wrap(headers)
            .service(Routes::at("").get(page::render));
        for file in ASSETS {
            scope = scope.service(Routes::at(format!("/{}", file.name)).get(move || asset(file)));
        }
        config.service(scope);
    }

    /// The console's paths answer as a browser reads them: no `Accept` negotiation (a
    /// page load accepts HTML), faults in JSON.
    pub fn path_rules(rules: PathRules) -> PathRules {
        rules.speaks(is_console_path, Dialect::Console)
    }
}

fn is_console_path(path: &str) -> bool {
    path.strip_prefix("/console")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

async fn asset(file: &'static Asset) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        ))
        .body(file.body)
}
