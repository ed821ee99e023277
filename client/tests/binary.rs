//! The `srctl` binary itself: it runs `cli::run` (tested in depth through the API suite)
//! and exits with its code. Building this test also builds the binary, which the replay of
//! docs/client.md runs.

use std::process::Command;

const SRCTL: &str = env!("CARGO_BIN_EXE_srctl");

#[test]
fn srctl_exits_with_the_code_of_its_run() {
    let help = Command::new(SRCTL).arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("services"));

    let unknown = Command::new(SRCTL)
        .args(["--url", "http://127.0.0.1:9", "no-such-command"])
        .env_remove("SRCTL_USERNAME")
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-command"));
}
