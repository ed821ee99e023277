//! Decides whether the PostgreSQL test cases run: with `TEST_DATABASE_URL` set, or always in
//! CI (where a missing database must fail loudly). Otherwise they are listed as ignored,
//! never silently passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CI");
    let url_given = std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty());
    let in_ci = std::env::var("CI").is_ok_and(|ci| ci == "true");
    if url_given || in_ci {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
