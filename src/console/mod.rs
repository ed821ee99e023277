//! The web console at `/console`: one page (maud) with its script and style sheet, all
//! embedded in the binary at build time. It holds no data and no session of its own: the
//! page signs in through `POST /v2.0/tokens` (or takes a token), keeps the token in the
//! tab's session storage, and calls the same public APIs as every client, with
//! `X-Auth-Token`. The server only serves the files, each with a policy that admits no
//! inline script, no framing and no referrer.

mod page;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{middleware::DefaultHeaders, web, HttpResponse};

use crate::platform::http::{method_not_allowed, Dialect, PathRules};
use crate::settings::ConsoleSettings;

const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

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

    /// `/console`, `/console/console.js` and `/console/console.css`, GET only; nothing
    /// when `console.enabled` is off (the paths are then unknown, 404).
    pub fn configure(&self, config: &mut web::ServiceConfig) {
        if !self.enabled {
            return;
        }
        let headers = DefaultHeaders::new()
            .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .add((header::X_FRAME_OPTIONS, "DENY"))
            .add((header::REFERRER_POLICY, "no-referrer"))
            .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
        config.service(
            web::scope("/console")
                .wrap(headers)
                .service(
                    web::resource("")
                        .route(web::get().to(page::render))
                        .default_service(method_not_allowed("GET")),
                )
                .service(
                    web::resource("/console.js")
                        .route(web::get().to(|| asset(SCRIPT, "text/javascript; charset=utf-8")))
                        .default_service(method_not_allowed("GET")),
                )
                .service(
                    web::resource("/console.css")
                        .route(web::get().to(|| asset(STYLE, "text/css; charset=utf-8")))
                        .default_service(method_not_allowed("GET")),
                ),
        );
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

async fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .body(body)
}
