//! Identity's guard with Keystone v3's answers: a level the policy does not allow is 403
//! (v2.0 and HP-IDM answer 401), so the permission stays in the handler's signature.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::{dev::Payload, FromRequest, HttpRequest};

use super::error::KeystoneError;
use crate::identity::{Guarded, Policy};

pub struct V3<P, D>(Guarded<P, D>);

impl<P, D> Deref for V3<P, D> {
    type Target = Guarded<P, D>;

    fn deref(&self) -> &Guarded<P, D> {
        &self.0
    }
}

impl<P: Policy + 'static, D: Clone + 'static> FromRequest for V3<P, D> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let admitted = Guarded::<P, D>::admit(request);
        Box::pin(async move {
            admitted
                .await
                .map(Self)
                .map_err(|error| KeystoneError::from(error).into())
        })
    }
}
