//! The one place where errors become faults: every subsystem's error enum, and the edge's
//! own, mapped to a status and a fault document. Causes ride along for the access log.

use actix_web::http::header::{self, HeaderName};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::catalog::CatalogError;
use crate::identity::IdentityError;
use crate::keystone::KeystoneError;
use crate::live::LiveError;
use crate::platform::db::DbError;
use crate::platform::http::{Fault, HttpError};
use crate::platform::paging::LimitError;
use crate::registry::RegistryError;

fn http(error: &HttpError) -> Fault {
    match error {
        HttpError::NotAcceptable => Fault::not_acceptable(error),
        HttpError::UnsupportedMediaType(_) => Fault::unsupported_media_type(error),
        HttpError::BodyTooLarge { .. } => Fault::over_limit(error),
        HttpError::Malformed(_) => Fault::bad_request(error),
        HttpError::MethodNotAllowed { allow } => Fault::method_not_allowed(allow, error),
        HttpError::NoRoute => Fault::not_found(error),
    }
}

fn database(error: &DbError) -> Fault {
    if error.is_transient() {
        Fault::unavailable()
    } else {
        Fault::internal()
    }
}

/// HP-IDM answers a limit above its maximum with 413 `overLimit`; every other bad limit
/// is a 400.
fn hp_idm_limit(error: &LimitError) -> Fault {
    match error {
        LimitError::TooLarge { .. } => Fault::over_limit(error),
        _ => Fault::bad_request(error),
    }
}

fn registry(error: &RegistryError) -> Fault {
    match error {
        RegistryError::Invalid(_) | RegistryError::Xml(_) | RegistryError::Decommissioned => {
            Fault::bad_request(error)
        }
        RegistryError::Limit(cause) => hp_idm_limit(cause),
        RegistryError::NotFound(_) | RegistryError::MarkerNotFound(_) => Fault::not_found(error),
        RegistryError::NameTaken(_) | RegistryError::IdTaken(_) => Fault::conflict(error),
        RegistryError::Corrupt { .. } => Fault::internal(),
        RegistryError::Storage(cause) => database(cause),
    }
}

fn identity(error: &IdentityError) -> Fault {
    match error {
        IdentityError::MissingToken
        | IdentityError::DuplicateToken
        | IdentityError::InvalidToken
        | IdentityError::BadCredentials
        | IdentityError::TokenMismatch
        | IdentityError::NotAMember(..)
        | IdentityError::NotInTenant(_)
        | IdentityError::NotBelongsTo(_)
        | IdentityError::TenantHeaderMismatch
        | IdentityError::NotATenant(_)
        | IdentityError::MissingLevel(_) => Fault::unauthorized(error),
        IdentityError::Disabled { .. } | IdentityError::TenantDisabled(_) => {
            Fault::user_disabled(error)
        }
        IdentityError::Throttled { retry_after } => Fault::too_many_requests(error, *retry_after),
        IdentityError::Invalid(_) => Fault::bad_request(error),
        IdentityError::PrincipalExists(_)
        | IdentityError::TenantExists(_)
        | IdentityError::TenantIdTaken(_) => Fault::conflict(error),
        IdentityError::TenantInUse(_) | IdentityError::LastLevel(_) => Fault::conflict(error),
        IdentityError::NoSuchUser(_)
        | IdentityError::NoSuchAssignment { .. }
        | IdentityError::NoSuchSystemRole { .. } => Fault::not_found(error),
        IdentityError::NoSuchPrincipal(_)
        | IdentityError::NoSuchToken
        | IdentityError::NoSuchTenant(_)
        | IdentityError::NoSuchAccessKey => Fault::not_found(error),
        IdentityError::BootstrappedElsewhere
        | IdentityError::Corrupt { .. }
        | IdentityError::Unconfigured(_) => Fault::internal(),
        IdentityError::Catalog(cause) if cause.transient => Fault::unavailable(),
        IdentityError::Catalog(_) => Fault::internal(),
        IdentityError::Storage(cause) => database(cause),
    }
}

fn catalog(error: &CatalogError) -> Fault {
    match error {
        CatalogError::Invalid(_) | CatalogError::Xml(_) => Fault::bad_request(error),
        CatalogError::Limit(cause) => hp_idm_limit(cause),
        CatalogError::UnknownRegion(_) => Fault::bad_request(error),
        CatalogError::NoSuchRegion(_) => Fault::not_found(error),
        CatalogError::RegionExists(_)
        | CatalogError::RegionInUse { .. }
        | CatalogError::EndpointExists { .. }
        | CatalogError::PublicEndpointLast { .. } => Fault::conflict(error),
        CatalogError::NotFound(_)
        | CatalogError::MarkerNotFound(_)
        | CatalogError::NotAssociated { .. } => Fault::not_found(error),
        CatalogError::IdTaken(_)
        | CatalogError::RegionTaken { .. }
        | CatalogError::AlreadyAssociated { .. } => Fault::conflict(error),
        CatalogError::NotYourTenant(_) => Fault::unauthorized(error),
        CatalogError::Corrupt { .. } => Fault::internal(),
        CatalogError::Registry(cause) => registry(cause),
        CatalogError::Identity(cause) => identity(cause),
        CatalogError::Storage(cause) => database(cause),
        CatalogError::Census(cause) => live(cause),
        CatalogError::Shared(cause) => catalog(cause),
    }
}

/// Keystone v3's statuses: a level the route does not allow is 403 (the caller is known,
/// the action is not theirs), and a disabled principal or project refuses authentication
/// with 401, as Keystone answers; everything else as the subsystem's own mapping.
fn keystone(error: &KeystoneError) -> Fault {
    match error {
        KeystoneError::Invalid(_) | KeystoneError::MissingSubjectToken => Fault::bad_request(error),
        KeystoneError::Unauthenticated(_) => Fault::unauthorized(error),
        KeystoneError::Forbidden(_) => Fault::forbidden(error),
        KeystoneError::NotFound { .. } => Fault::not_found(error),
        KeystoneError::Http(cause) => http(cause),
        KeystoneError::Identity(cause @ IdentityError::MissingLevel(_)) => Fault::forbidden(cause),
        KeystoneError::Identity(
            cause @ (IdentityError::Disabled { .. } | IdentityError::TenantDisabled(_)),
        ) => Fault::unauthorized(cause),
        KeystoneError::Identity(cause) => identity(cause),
        KeystoneError::Catalog(cause) => catalog(cause),
        KeystoneError::Registry(cause) => registry(cause),
    }
}

/// The live registry's faults: RSR's types, messages and details.
fn live(error: &LiveError) -> Fault {
    let bad_request =
        |rsr_type, details: String| Fault::rsr(StatusCode::BAD_REQUEST, rsr_type, error, details);
    match error {
        LiveError::UnsupportedContentType(_) | LiveError::UnparsableBody(_) => {
            bad_request("badRequest", error.to_string())
        }
        LiveError::InvalidBody { rule, .. } | LiveError::InvalidParameter { rule, .. } => {
            bad_request("badRequest", rule.clone())
        }
        LiveError::InvalidType(..) => bad_request("badRequest", error.to_string()),
        LiveError::InvalidLimit(_) => bad_request("invalidLimit", error.to_string()),
        LiveError::ServiceExists(_) => bad_request("serviceWithThisIdExists", error.to_string()),
        LiveError::LimitReached { .. } => Fault::rsr(
            StatusCode::BAD_REQUEST,
            "limitReached",
            "Resource limit has been reached",
            error,
        ),
        LiveError::RateLimited { limit, retry_after } => bad_request(
            "rateLimitReached",
            format!("Limit of {limit} requests per window"),
        )
        .with_header(header::RETRY_AFTER, retry_after)
        .with_header(HeaderName::from_static("x-ratelimit-limit"), limit)
        .with_header(HeaderName::from_static("x-ratelimit-remaining"), 0),
        LiveError::NotFound { .. } => Fault::rsr(
            StatusCode::NOT_FOUND,
            "notFoundError",
            "object does not exist",
            error,
        ),
        LiveError::Corrupt { .. } => Fault::internal(),
        LiveError::Storage(cause) => database(cause),
        LiveError::Shared(cause) => live(cause),
    }
}

/// Lets handlers return these errors with `?`. The response carries the [`Fault`], which
/// the edge renders in the negotiated format and whose cause it logs once.
macro_rules! renders_as_fault {
    ($($error:ty => $map:ident),+ $(,)?) => {$(
        impl ResponseError for $error {
            fn status_code(&self) -> StatusCode {
                $map(self).status
            }

            fn error_response(&self) -> HttpResponse {
                $map(self).caused_by(self).into_response()
            }
        }
    )+};
}

renders_as_fault! {
    HttpError => http,
    DbError => database,
    RegistryError => registry,
    IdentityError => identity,
    CatalogError => catalog,
    KeystoneError => keystone,
    LiveError => live,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_failures_are_503_when_transient_and_500_otherwise_with_the_cause_kept() {
        let lost = RegistryError::Storage(DbError::Deadline(std::time::Duration::from_secs(1)));
        let fault = registry(&lost).caused_by(&lost);
        assert_eq!(fault.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(fault.cause().unwrap().contains("did not answer within 1s"));

        let broken = IdentityError::Storage(DbError::Query(diesel::result::Error::NotFound));
        let fault = identity(&broken).caused_by(&broken);
        assert_eq!(fault.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(fault.details, "the server could not complete the request");
        assert!(
            fault.cause().unwrap().contains("Record not found"),
            "{fault:?}"
        );
    }

    #[test]
    fn client_errors_show_their_text_and_log_no_cause() {
        let taken = RegistryError::NameTaken("CDN".into());
        let fault = registry(&taken).caused_by(&taken);
        assert_eq!(fault.status, StatusCode::CONFLICT);
        assert_eq!(
            fault.details,
            "a service named 'CDN' already exists (names are compared case-insensitively)"
        );
        assert_eq!(fault.cause(), None);
    }
}
