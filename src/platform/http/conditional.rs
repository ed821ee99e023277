//! Conditional GETs for every API: a 200 answer to a GET carries a strong `ETag` (the
//! hash of its body, unless the handler set one from a cache), and a request whose
//! `If-None-Match` names it gets 304 with no body, so a poller that re-reads an unchanged
//! resource receives a few headers.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use super::rendered::etag_of;

/// The innermost middleware: every GET's 200 gets its `ETag`, and a 304 when it matches.
pub async fn conditional_get(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let condition = Condition::of(request.method(), request.headers());
    let response = next.call(request).await?.map_into_boxed_body();
    Ok(match condition {
        Some(condition) => condition.apply(response),
        None => response,
    })
}

/// What the request asked for, read before the request moves into the router.
struct Condition {
    if_none_match: Option<String>,
}

impl Condition {
    /// `None` for requests that are not GETs (their answers are not conditional).
    fn of(method: &Method, headers: &header::HeaderMap) -> Option<Self> {
        if method != Method::GET {
            return None;
        }
        let values: Vec<&str> = headers
            .get_all(header::IF_NONE_MATCH)
            .filter_map(|value| value.to_str().ok())
            .collect();
        Some(Self {
            if_none_match: (!values.is_empty()).then(|| values.join(",")),
        })
    }

    /// Tags a 200 with its `ETag` and turns it into a 304 when the client holds it.
    fn apply(self, response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
        if response.status() != StatusCode::OK {
            return response;
        }
        let (request, mut response) = response.into_parts();
        let etag = match response.headers().get(header::ETAG) {
            Some(etag) => etag.clone(),
            None => {
                let (head, body) = response.into_parts();
                let bytes = match body.try_into_bytes() {
                    Ok(bytes) => bytes,
                    // A streamed body is not hashed (none of our routes streams).
                    Err(body) => return ServiceResponse::new(request, head.set_body(body)),
                };
                let etag = etag_of(&bytes);
                response = head.set_body(BoxBody::new(bytes));
                response.headers_mut().insert(header::ETAG, etag.clone());
                etag
            }
        };
        if !self.matches(&etag) {
            return ServiceResponse::new(request, response);
        }
        let mut not_modified = HttpResponse::NotModified().finish();
        for (name, value) in response.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                not_modified
                    .headers_mut()
                    .append(name.clone(), value.clone());
            }
        }
        ServiceResponse::new(request, not_modified)
    }

    /// RFC 9110 §13.1.2: `*`, or any listed tag equal to ours by the weak comparison.
    fn matches(&self, etag: &HeaderValue) -> bool {
        let Some(listed) = &self.if_none_match else {
            return false;
        };
        let ours = opaque(etag.to_str().unwrap_or_default());
        listed
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || opaque(tag) == ours)
    }
}

/// The quoted part of an entity tag, without a weakness prefix.
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(if_none_match: &str) -> Condition {
        Condition {
            if_none_match: Some(if_none_match.to_owned()),
        }
    }

    #[test]
    fn tags_compare_weakly_in_lists_and_star_matches_any() {
        let ours = HeaderValue::from_static("\"abc\"");
        assert!(condition("\"abc\"").matches(&ours));
        assert!(condition("W/\"abc\"").matches(&ours));
        assert!(condition("\"x\", \"abc\"").matches(&ours));
        assert!(condition("*").matches(&ours));
        assert!(!condition("\"abcd\"").matches(&ours));
        assert!(
            !condition("abc").matches(&ours),
            "an unquoted tag is not ours"
        );
        assert!(!Condition {
            if_none_match: None
        }
        .matches(&ours));
    }

    #[actix_web::test]
    async fn a_get_that_holds_the_tag_gets_304_and_other_methods_pass() {
        use actix_web::middleware::from_fn;
        use actix_web::{test, web, App};

        let app = test::init_service(
            App::new()
                .wrap(from_fn(conditional_get))
                .route(
                    "/",
                    web::get().to(|| async { HttpResponse::Ok().body("same") }),
                )
                .route(
                    "/",
                    web::post().to(|| async { HttpResponse::Ok().body("same") }),
                ),
        )
        .await;
        let first = test::call_service(&app, test::TestRequest::get().to_request()).await;
        let etag = first.headers().get(header::ETAG).unwrap().clone();
        assert_eq!(etag, etag_of(b"same"));
        let again = test::TestRequest::get()
            .insert_header((header::IF_NONE_MATCH, etag.clone()))
            .to_request();
        let response = test::call_service(&app, again).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(response.headers().get(header::ETAG).unwrap(), &etag);
        assert!(test::read_body(response).await.is_empty());
        let post = test::TestRequest::post()
            .insert_header((header::IF_NONE_MATCH, etag))
            .to_request();
        let response = test::call_service(&app, post).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(header::ETAG).is_none());
    }
}
