//! The console's one page: the frame every view is drawn into by the script. Nothing on
//! it comes from the database; what the views show, the script writes as text.

use actix_web::http::header;
use actix_web::HttpResponse;
use maud::{html, Markup, DOCTYPE};

use super::ASSETS;

/// `GET /console`.
pub async fn render() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(page().into_string())
}

fn page() -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "service-registry console" }
                @for file in ASSETS {
                    @if file.name.ends_with(".css") {
                        link rel="stylesheet" href={ "/console/" (file.name) };
                    } @else {
                        script src={ "/console/" (file.name) } defer {}
                    }
                }
            }
            body {
                header {
                    a.brand href="#/" { "service-registry" }
                    nav #nav hidden {}
                    span #who {}
                    button #sign-out type="button" hidden { "Sign out" }
                }
                main {
                    section #sign-in hidden {
                        h1 { "Sign in" }
                        p { "With a user name and password, or with a token." }
                        form #sign-in-form {
                            label { "User name" input #username name="username" autocomplete="username"; }
                            label { "Password" input #password name="password" type="password" autocomplete="current-password"; }
                            p.or { "or" }
                            label { "Token" input #token name="token" autocomplete="off"; }
                            button type="submit" { "Sign in" }
                        }
                        p #sign-in-error .error role="alert" {}
                    }
                    section #view hidden {}
                }
                footer {
                    span #status role="status" {}
                    span.version { "service-registry " (env!("CARGO_PKG_VERSION")) }
                }
            }
        }
    }
}
