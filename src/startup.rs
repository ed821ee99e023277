//! Builds the HTTP server around a [`Database`]. Binding `127.0.0.1:0` gives a free port,
//! which is how the tests run the real server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

use crate::http::{edge::edge, routes, TokenCache};
use crate::storage::Database;

pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
}

impl Application {
    pub fn build(database: Database, bind: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind)?;
        let address = listener.local_addr()?;
        let blocking_threads = database.blocking_threads_per_worker();
        let database = web::Data::new(database);
        let token_cache = web::Data::new(TokenCache::default());
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(edge))
                .app_data(database.clone())
                .app_data(token_cache.clone())
                .configure(routes)
        })
        .worker_max_blocking_threads(blocking_threads)
        .listen(listener)?
        .run();
        Ok(Self { address, server })
    }

    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// Serves until SIGINT/SIGTERM (graceful) or until the runtime ends.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
