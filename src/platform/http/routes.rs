//! A path's routes, declared once: the methods it answers, and for any other method a 405
//! whose `Allow` lists exactly those (derived, so it cannot drift from the routes).

use std::sync::Arc;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::{web, FromRequest, Handler, HttpResponse, Resource, Responder, Route};

use super::refusal::HttpError;

pub struct Routes {
    resource: Resource,
    allowed: Vec<&'static str>,
}

macro_rules! method {
    ($($name:ident => $method:literal),+ $(,)?) => {$(
        #[doc = concat!("Answers `", $method, "` with `handler`.")]
        pub fn $name<F, Args>(self, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.route($method, web::$name().to(handler))
        }
    )+};
}

impl Routes {
    pub fn at(path: impl Into<String>) -> Self {
        Self {
            resource: web::resource(path.into()),
            allowed: Vec::new(),
        }
    }

    /// Names the path, for `url_for`.
    pub fn name(mut self, name: &str) -> Self {
        self.resource = self.resource.name(name);
        self
    }

    method!(get => "GET", post => "POST", put => "PUT", patch => "PATCH", delete => "DELETE", head => "HEAD");

    fn route(mut self, method: &'static str, route: Route) -> Self {
        self.resource = self.resource.route(route);
        self.allowed.push(method);
        self
    }
}

impl HttpServiceFactory for Routes {
    fn register(self, config: &mut AppService) {
        let allow: Arc<str> = self.allowed.join(", ").into();
        let refuse = web::to(move || {
            let allow = Arc::clone(&allow);
            async move { Err::<HttpResponse, _>(HttpError::MethodNotAllowed { allow }) }
        });
        self.resource.default_service(refuse).register(config)
    }
}
