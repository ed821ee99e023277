//! The application: the HTTP server with every subsystem composed into it, and the
//! background workers, started and stopped together. Binding port 0 gives a free port,
//! which is how the tests run the real server.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::console::Console;
use crate::identity::{Directory, Identity, IdentityError};
use crate::keystone::Keystone;
use crate::live::{Live, LiveError};
use crate::platform::db::{Database, DatabaseUrl, InvalidDatabaseUrl, OpenError};
use crate::platform::http::{self, BodyLimit, PathRules};
use crate::platform::intake::IntakeLag;
use crate::platform::metrics::{Metrics, PROMETHEUS_TEXT};
use crate::platform::probe::{self, ProbeListener};
use crate::platform::tls::{self, TlsError};
use crate::platform::workers::Workers;
use crate::registry::Registry;
use crate::settings::Settings;

pub struct Application {
    address: SocketAddr,
    probe: ProbeListener,
    admin: Option<AdminListener>,
    https: bool,
    database: Database,
    server: Server,
    workers: Workers,
    jobs: Jobs,
    settings: Settings,
}

/// The node's background jobs, each a plain async function: its worker runs it every
/// period; a test runs it at once, so that it need not wait a period out.
#[derive(Clone)]
pub struct Jobs {
    live: Live,
    directory: Directory,
}

impl Jobs {
    /// The live registry's reaper: how many services it timed out.
    pub async fn reap(&self) -> Result<usize, LiveError> {
        self.live.store().reap().await
    }

    /// The rate limit's sync of this node's request counts with every node's.
    pub async fn sync_request_counts(&self) -> Result<(), LiveError> {
        self.live.sync_request_counts().await
    }

    /// The sync of this node's heartbeat counts with every node's (`GET /limits`).
    pub async fn sync_heartbeat_counts(&self) -> Result<(), LiveError> {
        self.live.store().sync_heartbeat_counts().await
    }

    /// The purge of the events past their retention: how many it deleted.
    pub async fn purge_events(&self) -> Result<usize, LiveError> {
        self.live.events().purge().await
    }

    /// The purge of expired tokens: how many it deleted.
    pub async fn purge_expired_tokens(&self) -> Result<usize, IdentityError> {
        self.directory.purge_expired_tokens().await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Url(#[from] InvalidDatabaseUrl),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot listen on {bind}")]
    Bind {
        bind: String,
        #[source]
        cause: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] TlsError),
}

impl Application {
    /// Opens (and migrates) the database, binds, and starts the server and the workers on
    /// the current runtime. Nothing is served until the caller awaits
    /// [`Self::run_until_stopped`].
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let url = DatabaseUrl::parse(&settings.database_url)?;
        let database_settings = settings.database.clone();
        let database =
            actix_web::rt::task::spawn_blocking(move || Database::open(url, &database_settings))
                .await
                .expect("opening the database does not panic")?;
        Self::serve(database, settings)
    }

    /// Starts on a database already open (the command line opens it first to bootstrap).
    pub fn serve(database: Database, settings: Settings) -> Result<Self, StartError> {
        let bind_error = |cause| StartError::Bind {
            bind: settings.bind.clone(),
            cause,
        };
        let listener = TcpListener::bind(&settings.bind).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;

        let metrics = Metrics::new(database.clone());
        let admin = match &settings.admin_bind {
            Some(bind) => Some(AdminListener::start(bind, metrics.clone())?),
            None => None,
        };
        let registry = Registry::new(database.clone(), &settings.cache, &metrics);
        let intake = IntakeLag::new(metrics.gauge(
            "http_intake_lag_seconds",
            "How far behind its intake this node is: how late its HTTP workers get to work \
             that is due, or the age of the oldest heartbeat not yet committed",
        ));
        let live = Live::new(database.clone(), &settings.live, &metrics, intake.clone());
        let catalog = Catalog::new(
            database.clone(),
            registry.store(),
            Directory::new(database.clone()),
            live.store(),
        );
        let identity = Identity::new(
            database.clone(),
            &settings.auth,
            Arc::new(catalog.clone()),
            &metrics,
        );
        let keystone = Keystone::new(identity.directory(), catalog.clone(), registry.store());
        let mut workers = Workers::default();
        registry.start_workers(&mut workers);
        identity.start_workers(&mut workers);
        live.start_workers(&mut workers);
        let jobs = Jobs {
            live: live.clone(),
            directory: identity.directory(),
        };

        let body_limit = BodyLimit(settings.http.max_body_bytes);
        let console = Console::new(&settings.console);
        let path_rules = Console::path_rules(Keystone::path_rules(Identity::path_rules(
            live.path_rules(PathRules::default()),
        )));
        let shared_database = web::Data::new(database.clone());
        let (probe_listener, probe_socket) = ProbeListener::bind().map_err(bind_error)?;
        let probed = intake.clone();
        let probes = metrics.counter_vec(
            "http_intake_probes_total",
            "The node's requests to itself that measure how long a request waits to be read, \
             by outcome",
            &["outcome"],
        );
        let mut server = HttpServer::new(move || {
            // Built once on each worker's thread: each watches its own lateness.
            intake.watch_this_worker();
            // The last `wrap` is the outermost: observe sees every answer, faults included.
            App::new()
                .wrap(from_fn(http::conditional_get))
                .wrap(from_fn(http::speak))
                .wrap(from_fn(http::observe))
                .wrap(from_fn(probe::answer))
                .app_data(probe_listener)
                .app_data(shared_database.clone())
                .app_data(metrics.clone())
                .app_data(intake.clone())
                .app_data(body_limit)
                .app_data(path_rules.clone())
                .configure(http::configure)
                .configure(|config| identity.configure(config))
                .configure(|config| registry.configure(config))
                .configure(|config| catalog.configure(config))
                .configure(|config| keystone.configure(config))
                .configure(|config| live.configure(config))
                .configure(|config| console.configure(config))
                .default_service(web::to(http::no_route))
        })
        .worker_max_blocking_threads(database.blocking_threads_per_worker())
        .keep_alive(settings.http.keep_alive)
        .shutdown_timeout(settings.http.shutdown_timeout.as_secs_f64().ceil() as u64);
        let http_workers = match settings.http.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            workers => workers,
        };
        server = server.workers(http_workers);
        let tls = tls::server_config(settings.tls_cert.as_deref(), settings.tls_key.as_deref())?;
        let https = tls.is_some();
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config),
            None => server.listen(listener),
        }
        .map_err(bind_error)?
        .listen(probe_socket)
        .map_err(bind_error)?
        .run();
        probe_listener.start(&mut workers, &probed, http_workers, &probes);
        Ok(Self {
            address,
            probe: probe_listener,
            admin,
            https,
            database,
            server,
            workers,
            jobs,
            settings,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://ADDRESS` or, with TLS, `https://ADDRESS`.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// The loopback listener the node's intake probes go to (`platform::probe`).
    pub fn probe_url(&self) -> String {
        format!("http://{}", self.probe.0)
    }

    /// Where `GET /metrics` is served, when `admin_bind` is set.
    pub fn admin_url(&self) -> Option<String> {
        self.admin
            .as_ref()
            .map(|admin| format!("http://{}", admin.address))
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    pub fn jobs(&self) -> Jobs {
        self.jobs.clone()
    }

    /// Serves until SIGINT/SIGTERM: the server stops accepting, lets requests in flight
    /// finish (at most `http.shutdown_timeout`), then the workers are stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(admin) = self.admin {
            admin.handle.stop(true).await;
        }
        self.workers.stop(self.settings.http.shutdown_timeout).await;
        served
    }
}

/// The admin listener: `GET /metrics` in Prometheus text format, on its own address so
/// that the public listener never exposes it. One worker: a scrape is a few microseconds.
struct AdminListener {
    address: SocketAddr,
    handle: ServerHandle,
}

impl AdminListener {
    fn start(bind: &str, metrics: Metrics) -> Result<Self, StartError> {
        let bind_error = |cause| StartError::Bind {
            bind: bind.to_owned(),
            cause,
        };
        let listener = TcpListener::bind(bind).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(metrics.clone())
                .service(http::Routes::at("/metrics").get(scrape))
                .default_service(web::to(http::no_route))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .map_err(bind_error)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { address, handle })
    }
}

async fn scrape(request: HttpRequest) -> HttpResponse {
    let metrics = request
        .app_data::<Metrics>()
        .expect("the admin listener carries the metrics");
    HttpResponse::Ok()
        .content_type(PROMETHEUS_TEXT)
        .body(metrics.render())
}
