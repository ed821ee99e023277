//! Tools some checks run beside the server (xmllint, bash and curl, the `openstack` CLI,
//! Chromium): outside CI a missing one skips its check with a line on stderr; under
//! `CI=true` it fails the test, so nothing is silently skipped there.

/// `present`, after failing the test in CI when it is not; `tool` names what is missing
/// (and how to install it), `without` says what goes unchecked.
pub fn present(present: bool, tool: &str, without: &str) -> bool {
    if !present {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but {tool} is missing: {without}"
        );
        eprintln!("{tool} is missing: {without}");
    }
    present
}
