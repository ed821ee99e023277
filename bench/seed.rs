//! Seeds a benchmark database through the registry's own storage API: services with ids
//! FROM..=N in transactions of 10,000 and, when FROM is 1 (a new database), a principal
//! `bench` (SA) whose token is printed. A larger FROM grows a seeded table (bench/run
//! measures one table at several sizes); running servers see the new rows at once.
//!
//! Usage: bench-seed --database-url URL --services N [--from FROM]

use std::time::{Duration, Instant};

use service_registry::identity::{Admin, PrincipalName, PrivilegeLevel};
use service_registry::platform::db::{Database, DatabaseUrl};
use service_registry::registry::domain::{
    Description, ReleaseState, Service, ServiceId, ServiceName, ServiceType,
};
use service_registry::registry::ServiceStore;
use service_registry::settings::Settings;

const BATCH: u64 = 10_000;
const TYPES: [&str; 6] = [
    "compute",
    "image-service",
    "object-store",
    "identity",
    "hpext:block-store",
    "hpext:cdn",
];

fn argument(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn service(id: u64) -> Service {
    Service {
        id: ServiceId::parse("id", &id.to_string()).unwrap(),
        name: ServiceName::parse(&format!("Benchmark Service {id:07}")).unwrap(),
        service_type: ServiceType::parse(TYPES[(id % 6) as usize]).unwrap(),
        release_state: ReleaseState::Public,
        description: Some(Description::parse("Seeded for the benchmark").unwrap()),
        enabled: true,
    }
}

fn main() {
    let url = argument("--database-url").expect("--database-url URL");
    let count: u64 = argument("--services")
        .and_then(|n| n.parse().ok())
        .expect("--services N");
    let database = Database::open(
        DatabaseUrl::parse(&url).unwrap(),
        &Settings::default().database,
    )
    .expect("database opens");
    let from: u64 = argument("--from").map_or(1, |n| n.parse().expect("--from N"));
    let store = ServiceStore::standalone(database.clone());
    let started = Instant::now();
    let mut next = from;
    while next <= count {
        let last = (next + BATCH - 1).min(count);
        store
            .register_all((next..=last).map(service))
            .expect("seeding");
        next = last + 1;
    }
    eprintln!(
        "seeded services {from}..={count} in {:.1?}",
        started.elapsed()
    );
    if from > 1 {
        return;
    }
    let name = PrincipalName::parse("bench").unwrap();
    let directory = Admin::new(database);
    directory
        .create_principal(&name, &[PrivilegeLevel::Sa])
        .expect("principal");
    let token = directory
        .issue_token(&name, Duration::from_secs(24 * 3600))
        .expect("token");
    println!("{}", token.expose());
}
