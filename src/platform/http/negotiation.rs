//! Which format a response is written in (from `Accept`) and a body is read in (from
//! `Content-Type`).

use actix_web::http::header::{self, Accept, Header, Quality};
use actix_web::mime::{self, Mime};
use actix_web::{HttpMessage, HttpRequest};

use super::refusal::HttpError;

type Result<T> = std::result::Result<T, HttpError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Xml => "application/xml",
        }
    }

    /// The response format for `Accept`, built on [`Accept::ranked`] (q-values, then
    /// specificity, then listed order). Ranges q=0 excludes are skipped; `*/*` and
    /// `application/*` mean JSON unless JSON was refused. No header, or one that does not
    /// parse, means no preference: JSON.
    pub fn from_accept(message: &impl HttpMessage) -> Result<Self> {
        if message.headers().get(header::ACCEPT).is_none() {
            return Ok(Self::Json);
        }
        let Ok(accept) = Accept::parse(message) else {
            return Ok(Self::Json);
        };
        if accept.is_empty() {
            return Ok(Self::Json);
        }
        let refused: Vec<&Mime> = accept
            .iter()
            .filter(|item| item.quality == Quality::ZERO)
            .map(|item| &item.item)
            .collect();
        let allowed = |format: Format| !refused.iter().any(|range| format.is_named_by(range));
        for range in accept.ranked() {
            if refused.contains(&&range) {
                continue;
            }
            let candidates: &[Format] = match (range.type_(), range.subtype()) {
                (mime::STAR, mime::STAR) | (mime::APPLICATION, mime::STAR) => {
                    &[Self::Json, Self::Xml]
                }
                (mime::TEXT, mime::STAR) => &[Self::Xml],
                _ => &[Self::Json, Self::Xml],
            };
            let matching = candidates
                .iter()
                .copied()
                .find(|&format| format.is_matched_by(&range) && allowed(format));
            if let Some(format) = matching {
                return Ok(format);
            }
        }
        Err(HttpError::NotAcceptable)
    }

    /// The request body format from `Content-Type`; only UTF-8 is accepted.
    pub fn from_content_type(request: &HttpRequest) -> Result<Self> {
        let unsupported = || {
            HttpError::UnsupportedMediaType(
                "the body must be sent as Content-Type application/json or application/xml".into(),
            )
        };
        let mime = request
            .mime_type()
            .map_err(|_| unsupported())?
            .ok_or_else(unsupported)?;
        if let Some(charset) = mime.get_param(mime::CHARSET) {
            if !charset.as_str().eq_ignore_ascii_case("utf-8") {
                return Err(HttpError::UnsupportedMediaType(format!(
                    "charset {charset} is not supported; send UTF-8"
                )));
            }
        }
        [Self::Json, Self::Xml]
            .into_iter()
            .find(|format| format.is_named_by(&mime))
            .ok_or_else(unsupported)
    }

    /// A concrete media type of this format: `application/json`, `application/xml`,
    /// `text/xml`.
    fn is_named_by(self, media_type: &Mime) -> bool {
        matches!(
            (self, media_type.type_(), media_type.subtype()),
            (Self::Json, mime::APPLICATION, mime::JSON)
                | (Self::Xml, mime::APPLICATION | mime::TEXT, mime::XML)
        )
    }

    /// Named by the range itself or covered by its wildcard.
    fn is_matched_by(self, range: &Mime) -> bool {
        match (range.type_(), range.subtype()) {
            (mime::STAR, mime::STAR) | (mime::APPLICATION, mime::STAR) => true,
            (mime::TEXT, mime::STAR) => self == Self::Xml,
            _ => self.is_named_by(range),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn with(header: &'static str, value: &str) -> actix_web::HttpRequest {
        TestRequest::default()
            .insert_header((header, value))
            .to_http_request()
    }

    fn negotiate(accept: &str) -> Result<Format> {
        Format::from_accept(&with("Accept", accept))
    }

    #[test]
    fn accept_picks_the_best_acceptable_format() {
        assert_eq!(
            Format::from_accept(&TestRequest::default().to_http_request()),
            Ok(Format::Json)
        );
        assert_eq!(negotiate("application/xml"), Ok(Format::Xml));
        assert_eq!(negotiate("text/xml"), Ok(Format::Xml));
        assert_eq!(negotiate("*/*"), Ok(Format::Json));
        assert_eq!(negotiate("application/*"), Ok(Format::Json));
        assert_eq!(negotiate("text/*"), Ok(Format::Xml));
        assert_eq!(
            negotiate("application/json;q=0.5, application/xml"),
            Ok(Format::Xml)
        );
        assert_eq!(
            negotiate("application/xml;q=0.4, application/json;q=0.9"),
            Ok(Format::Json)
        );
        assert_eq!(
            negotiate("application/xml, application/json"),
            Ok(Format::Xml)
        );
        assert_eq!(
            negotiate("text/html, application/xml;q=0.1"),
            Ok(Format::Xml)
        );
        assert_eq!(negotiate("application/json;q=0, */*"), Ok(Format::Xml));
    }

    #[test]
    fn nothing_acceptable_is_refused() {
        assert_eq!(negotiate("text/html"), Err(HttpError::NotAcceptable));
        assert_eq!(
            negotiate("image/png, text/plain"),
            Err(HttpError::NotAcceptable)
        );
        assert_eq!(
            negotiate("application/json;q=0, application/xml;q=0"),
            Err(HttpError::NotAcceptable)
        );
        assert_eq!(negotiate("*/*;q=0"), Err(HttpError::NotAcceptable));
    }

    fn body_format(content_type: &str) -> Result<Format> {
        Format::from_content_type(&with("Content-Type", content_type))
    }

    #[test]
    fn content_type_picks_the_body_format() {
        assert_eq!(body_format("application/json"), Ok(Format::Json));
        assert_eq!(
            body_format("application/json; charset=UTF-8"),
            Ok(Format::Json)
        );
        assert_eq!(body_format("application/xml"), Ok(Format::Xml));
        assert_eq!(body_format("text/xml;charset=utf-8"), Ok(Format::Xml));
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
            "garbage",
        ] {
            assert!(
                matches!(body_format(bad), Err(HttpError::UnsupportedMediaType(_))),
                "{bad}"
            );
        }
        assert!(Format::from_content_type(&TestRequest::default().to_http_request()).is_err());
    }
}
