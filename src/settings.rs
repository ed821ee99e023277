//! Every tunable of the application in one [`Settings`], loaded from (lowest precedence
//! first) built-in defaults, an optional TOML file (`--config FILE`), the environment
//! (`SERVICE_REGISTRY_*`, nested keys joined by `__`, plus `DATABASE_URL`), and flags.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Environment variables that set a setting: `SERVICE_REGISTRY_BIND`,
/// `SERVICE_REGISTRY_AUTH__CACHE_TTL=2s`, ...
pub const ENV_PREFIX: &str = "SERVICE_REGISTRY_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// An SQLite file (PATH or sqlite://PATH) or a PostgreSQL URL (postgres://...).
    pub database_url: String,
    /// Address `serve` listens on (port 0 picks a free port).
    pub bind: String,
    /// PEM certificate chain and private key: with both, `serve` speaks HTTPS only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<String>,
    /// Address of the admin listener, which serves `GET /metrics` (Prometheus) and
    /// nothing else; unset, metrics are not served. Keep it off the public network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_bind: Option<String>,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub live: LiveSettings,
    pub cache: CacheSettings,
    pub console: ConsoleSettings,
}

/// The web console (`/console`) on the public listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Off: `/console` is not served (404).
    pub enabled: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// The cache of rendered representations (see `crate::platform::freshness`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// Bytes of rendered bodies kept; 0 turns the cache off (every read renders anew).
    pub capacity_bytes: u64,
    /// How often each node reads the generation counters that other nodes' writes bump.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// The most a node serves from its cache after a write committed on another node; a
    /// node whose last successful poll is older bypasses its cache.
    #[serde(with = "humantime_serde")]
    pub max_staleness: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            capacity_bytes: 64 * 1024 * 1024,
            poll_interval: Duration::from_millis(250),
            max_staleness: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Largest request body read, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// On SIGTERM/SIGINT, how long requests in flight may take to finish.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// How long an idle connection is kept open for its next request: longer than a
    /// client's heartbeat interval, so that a fleet reuses its connections instead of
    /// opening one per heartbeat (RSR's clients beat every 0.6 to 0.8 of their timeout).
    #[serde(with = "humantime_serde")]
    pub keep_alive: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    pub sqlite_pool_size: u32,
    pub postgres_pool_size: u32,
    /// How long a request waits for a pooled connection before answering 503.
    #[serde(with = "humantime_serde")]
    pub checkout_timeout: Duration,
    /// Past this a database call answers 503 (PostgreSQL calls take milliseconds).
    #[serde(with = "humantime_serde")]
    pub postgres_deadline: Duration,
    /// SQLite writers queue on the file lock for up to the busy timeout, so its deadline
    /// only guards against the impossible.
    #[serde(with = "humantime_serde")]
    pub sqlite_deadline: Duration,
    #[serde(with = "humantime_serde")]
    pub sqlite_busy_timeout: Duration,
    /// Database threads per HTTP worker: SQLite calls are CPU work in this process
    /// (more threads only add context switches); PostgreSQL calls wait on the network.
    pub sqlite_blocking_threads: usize,
    pub postgres_blocking_threads: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// How long a node remembers a successful authentication: the bound on how late a
    /// revoked token or disabled principal is refused.
    #[serde(with = "humantime_serde")]
    pub cache_ttl: Duration,
    pub cache_capacity: u64,
    /// Lifetime of the token printed when `serve` bootstraps a brand-new database.
    #[serde(with = "humantime_serde")]
    pub bootstrap_token_ttl: Duration,
    /// How often expired tokens are deleted.
    #[serde(with = "humantime_serde")]
    pub token_purge_interval: Duration,
    /// Lifetime of tokens from `POST /v2.0/tokens`.
    #[serde(with = "humantime_serde")]
    pub token_ttl: Duration,
    /// Consecutive failures of one principal from one client address before its further
    /// attempts are refused for a while (never fewer than 5).
    pub failures_before_throttle: u32,
    /// The longest wait imposed; it doubles with each failure past the threshold.
    #[serde(with = "humantime_serde")]
    pub max_throttle: Duration,
}

/// The live registry (`/v1.0/{tenantId}`) and its events feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// How often each node removes services past their deadline: the detection lag.
    #[serde(with = "humantime_serde")]
    pub reaper_interval: Duration,
    /// A gap this long between two reaper runs of any node is an outage of the registry:
    /// the deadlines that fell inside it move to the resumption plus each service's
    /// timeout. Shorter than the margin RSR's clients keep (a heartbeat at 0.6 of a 3 s
    /// timeout leaves 1.2 s), longer than a few reaper runs.
    #[serde(with = "humantime_serde")]
    pub outage_threshold: Duration,
    /// Resource limits of a tenant without its own (`tenant limits`).
    pub default_service_limit: u32,
    pub default_configuration_value_limit: u32,
    /// Requests a tenant may make per window, counted on every node.
    pub rate_limit: u64,
    #[serde(with = "humantime_serde")]
    pub rate_window: Duration,
    /// How often a node adds its request counts to the shared ones and reads the others':
    /// with N nodes a tenant may overshoot by what N-1 nodes serve it in this time.
    #[serde(with = "humantime_serde")]
    pub rate_sync_interval: Duration,
    /// How long events are kept, and how often older ones are purged.
    #[serde(with = "humantime_serde")]
    pub event_retention: Duration,
    #[serde(with = "humantime_serde")]
    pub event_purge_interval: Duration,
    /// How often a node looks for events appended by other nodes while long polls wait:
    /// the bound on how late such a waiter wakes. Also how long a long poll coming back
    /// may wait on the last read of its page instead of reading (docs/contract.md).
    #[serde(with = "humantime_serde")]
    pub feed_poll_interval: Duration,
    /// The most writes (heartbeats, creates, removals, configuration changes, the reaper's
    /// timeouts) one transaction commits together: those that arrive while a commit is in
    /// flight are gathered for the next.
    pub write_batch_size: usize,
    /// How long a write waits for others to share its commit when none are queued. Zero
    /// (the default): it goes at once, and only writes that queue behind a commit in
    /// flight are gathered.
    #[serde(with = "humantime_serde")]
    pub write_batch_wait: Duration,
    /// Batches of writes that record no event (heartbeats, updates) a node on PostgreSQL
    /// commits at once, each gathered while the others commit. Writes behind a feed lock
    /// have one writer per node; SQLite admits one writer for everything.
    pub postgres_writers: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            reaper_interval: Duration::from_millis(250),
            outage_threshold: Duration::from_secs(1),
            default_service_limit: 200,
            default_configuration_value_limit: 1000,
            rate_limit: 50_000,
            rate_window: Duration::from_secs(24 * 3600),
            rate_sync_interval: Duration::from_secs(1),
            event_retention: Duration::from_secs(30 * 24 * 3600),
            event_purge_interval: Duration::from_secs(60),
            feed_poll_interval: Duration::from_millis(250),
            write_batch_size: 512,
            write_batch_wait: Duration::ZERO,
            postgres_writers: 4,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "service-registry.db".into(),
            bind: "127.0.0.1:35357".into(),
            tls_cert: None,
            tls_key: None,
            admin_bind: None,
            http: HttpSettings::default(),
            database: DatabaseSettings::default(),
            auth: AuthSettings::default(),
            live: LiveSettings::default(),
            cache: CacheSettings::default(),
            console: ConsoleSettings::default(),
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            shutdown_timeout: Duration::from_secs(10),
            workers: 0,
            keep_alive: Duration::from_secs(75),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            sqlite_pool_size: 8,
            postgres_pool_size: 16,
            checkout_timeout: Duration::from_millis(1000),
            postgres_deadline: Duration::from_millis(1500),
            sqlite_deadline: Duration::from_secs(10),
            sqlite_busy_timeout: Duration::from_secs(5),
            sqlite_blocking_threads: 2,
            postgres_blocking_threads: 8,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            cache_ttl: Duration::from_secs(1),
            cache_capacity: 10_000,
            bootstrap_token_ttl: Duration::from_secs(12 * 3600),
            token_purge_interval: Duration::from_secs(60),
            token_ttl: Duration::from_secs(12 * 3600),
            failures_before_throttle: 5,
            max_throttle: Duration::from_secs(300),
        }
    }
}

/// Settings given as command-line flags: the highest precedence.
#[derive(Debug, Default)]
pub struct Flags {
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub admin_bind: Option<String>,
}

impl Flags {
    /// The flags given, by setting: a flag not given leaves its setting to the file and
    /// the environment.
    fn given(&self) -> BTreeMap<&'static str, &str> {
        [
            ("database_url", &self.database_url),
            ("bind", &self.bind),
            ("tls_cert", &self.tls_cert),
            ("tls_key", &self.tls_key),
            ("admin_bind", &self.admin_bind),
        ]
        .into_iter()
        .filter_map(|(setting, value)| Some((setting, value.as_deref()?)))
        .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the settings file {path}")]
    Read {
        path: String,
        #[source]
        cause: std::io::Error,
    },
    #[error("invalid settings")]
    Invalid(#[source] Box<figment::Error>),
}

impl Settings {
    pub fn load(file: Option<&Path>, flags: &Flags) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|cause| SettingsError::Read {
                path: path.display().to_string(),
                cause,
            })?;
            figment = figment.merge(Toml::string(&text));
        }
        figment
            // SERVICE_REGISTRY_CONFIG names the file (a flag's variable), not a setting.
            .merge(Env::prefixed(ENV_PREFIX).ignore(&["config"]).split("__"))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(Serialized::defaults(flags.given()))
            .extract()
            .map_err(|e| SettingsError::Invalid(Box::new(e)))
    }

    /// The settings as TOML, with the database password masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = mask_password(&self.database_url);
        toml::to_string(&shown).expect("settings are plain values")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:****@host/db`.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_and_nothing_else_changes() {
        assert_eq!(
            mask_password("postgres://reg:s3cr:et@db:5432/reg?sslmode=require"),
            "postgres://reg:****@db:5432/reg?sslmode=require"
        );
        assert_eq!(
            mask_password("postgres://reg@db/reg"),
            "postgres://reg@db/reg"
        );
        assert_eq!(mask_password("service-registry.db"), "service-registry.db");
    }

    #[test]
    fn the_masked_toml_reads_back_as_the_same_settings_but_the_password() {
        let settings = Settings {
            database_url: "postgres://u:pw@h/db".into(),
            ..Settings::default()
        };
        let text = settings.to_masked_toml();
        assert!(text.contains("cache_ttl = \"1s\""), "{text}");
        assert!(!text.contains("pw"), "{text}");
        let read: Settings = toml::from_str(&text).unwrap();
        assert_eq!(
            read,
            Settings {
                database_url: "postgres://u:****@h/db".into(),
                ..settings
            }
        );
    }
}
