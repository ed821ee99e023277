//! Tokens presented in headers (`X-Auth-Token`, `X-Subject-Token`): read one way
//! everywhere. At most one value, surrounding blanks dropped; a value that is not visible
//! ASCII reads as no header. A blank value is still a header that was sent: a route that
//! needs a token refuses it, and a rescope whose header must match its token does too.

use actix_web::HttpRequest;

/// The request sent the header more than once: which token it meant is unknowable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatedHeader;

/// The token in header `name`, if the request presents one.
pub fn token_header<'r>(
    request: &'r HttpRequest,
    name: &str,
) -> Result<Option<&'r str>, RepeatedHeader> {
    let mut values = request.headers().get_all(name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(RepeatedHeader);
    }
    Ok(first.to_str().ok().map(str::trim))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn one_value_trimmed_and_two_refused() {
        let read = |headers: &[&str]| {
            let mut request = TestRequest::default();
            for value in headers {
                request = request.append_header(("X-Auth-Token", *value));
            }
            token_header(&request.to_http_request(), "X-Auth-Token").map(|t| t.map(str::to_owned))
        };
        assert_eq!(read(&[]), Ok(None));
        assert_eq!(read(&["  abc "]), Ok(Some("abc".to_owned())));
        assert_eq!(read(&["   "]), Ok(Some(String::new())));
        assert_eq!(read(&["a", "b"]), Err(RepeatedHeader));
    }
}
