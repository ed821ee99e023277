//! The walkthroughs' console blocks, replayed in order in one shell against one real
//! server started as the first page starts it, each command's output matched against the
//! page's: exactly, except tokens, ids and times, which are matched by shape and then held
//! to (a token the page shows once and uses later must be the same token both times).

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use regex::Regex;

use super::places::Places;
use super::repository;
use super::shell::{Server, Shell};
use crate::helpers::node::BINARY;
use crate::helpers::{tools, Backend, TestDatabase};

/// The pages replayed, in the order a reader follows them, each with what it needs beside
/// bash and curl: each goes on from the state the one before left (the same server,
/// tenants, users and shell variables).
const PAGES: [(&str, &[Need]); 7] = [
    ("docs/walkthrough.md", &[]),
    ("docs/identity.md", &[]),
    (
        "docs/keystone-v3.md",
        &[Need::Tool("openstack", ".ci/openstack-venv installs it")],
    ),
    ("docs/live-registry.md", &[]),
    ("docs/settings.md", &[]),
    ("docs/client.md", &[Need::ClientPrograms]),
    (
        "docs/operations.md",
        &[Need::Tool("openssl", ".ci/run installs it"), Need::Postgres],
    ),
];

#[derive(Clone, Copy)]
enum Need {
    /// A program on the shell's PATH, and how to get it.
    Tool(&'static str, &'static str),
    /// `srctl` and the client's example, built by `cargo test` at the workspace's root.
    ClientPrograms,
    /// A PostgreSQL server the page's database is created in, as the tests' are.
    Postgres,
}

impl Need {
    /// What is missing, and how to get it.
    fn missing(self) -> Option<String> {
        match self {
            Need::Tool(tool, how) => (!have(tool)).then(|| format!("{tool} ({how})")),
            Need::ClientPrograms => (!client_programs_built()).then(|| {
                "srctl or the web_server example (`cargo test` at the workspace's root builds them)"
                    .to_owned()
            }),
            Need::Postgres => std::env::var("TEST_DATABASE_URL")
                .ok()
                .filter(|url| !url.is_empty())
                .is_none()
                .then(|| "TEST_DATABASE_URL (CI sets it)".to_owned()),
        }
    }
}

/// Where `.ci/keystoneauth` installs python-openstackclient (`.ci/run` does it before the
/// tests); else the `openstack` on the PATH.
const OPENSTACK_VENV: &str = "target/keystoneauth-venv/bin";

/// How the first page starts the server, and the address the pages show.
const SERVE: &str = "cargo run --release -- serve";
/// How the pages run the client's programs, and where `cargo test` builds them (beside the
/// server's binary): run from there, as `cargo run` would after building them.
const CLIENT_PROGRAMS: [(&str, &str); 2] = [
    (
        "cargo run -q -p service-registry-client --example web_server --",
        "examples/web_server",
    ),
    (
        "cargo run -q -p service-registry-client --bin srctl --",
        "srctl",
    ),
];
const DOCUMENTED_ADDRESS: &str = "127.0.0.1:35357";
/// The PostgreSQL database the operations page runs its nodes on, and its name.
const DOCUMENTED_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/registry";
const DOCUMENTED_DATABASE: &str = "registry";

/// The longest a page's command may take: its longest wait is a long poll of 30 s.
pub(super) const COMMAND_BOUND: Duration = Duration::from_secs(90);

/// Values that differ from run to run, by shape: tokens, UUIDs (heartbeat tokens, event
/// ids) and SHA-256 digests (of a snapshot), which are held to; ISO-8601 times, epoch
/// milliseconds, the live registry's 16-digit `txnId`s, the heartbeats of the last complete
/// minute (which depend on where the minute fell), v3's audit ids, generated project ids,
/// HTTP dates and how long a snapshot took. A line `…` stands for any lines (headers).
static VOLATILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<held>HPAuth_[0-9a-f]{64}",
        r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        r"|\b[0-9a-f]{64}\b)",
        r"|(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))",
        r"|(?P<millis>\b\d{13}\b)",
        r"|(?P<txn>\b[0-9a-f]{16}\b)",
        r#"|(?P<minute>"per_minute":\d+)"#,
        r"|(?P<audit>\b[0-9a-f]{22}\b)",
        r"|(?P<project>\b\d{14,19}\b)",
        r"|(?P<date>\b[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT)",
        r"|(?P<took>\brows in \d+(?:\.\d+)?(?:µs|ms|s)\b)",
        r"|(?P<elided>…\n)",
    ))
    .unwrap()
});

/// One `$ command` of a page and the output the page shows under it.
struct Step {
    at: String,
    command: String,
    expected: String,
}

fn steps(page: &str) -> Vec<Step> {
    let text = std::fs::read_to_string(repository().join(page)).unwrap();
    let mut steps = Vec::new();
    let mut block: Option<(usize, String)> = None;
    for (event, range) in Parser::new(&text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(language)))
                if language.as_ref() == "console" =>
            {
                block = Some((text[..range.start].lines().count() + 2, String::new()))
            }
            Event::Text(content) => {
                if let Some((_, body)) = block.as_mut() {
                    body.push_str(&content);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((line, body)) = block.take() {
                    steps.extend(commands(page, line, &body));
                }
            }
            _ => {}
        }
    }
    assert!(!steps.is_empty(), "{page} has no console block");
    steps
}

/// A block's commands: a line after `$ ` (continued while it ends in `\`), and the lines
/// under it up to the next prompt.
fn commands(page: &str, first_line: usize, block: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut continued = false;
    for (offset, line) in block.lines().enumerate() {
        if continued {
            let step = steps.last_mut().unwrap();
            step.command.push('\n');
            step.command.push_str(line);
            continued = line.ends_with('\\');
        } else if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                at: format!("{page}:{}", first_line + offset),
                command: command.to_owned(),
                expected: String::new(),
            });
            continued = command.ends_with('\\');
        } else {
            let step = steps.last_mut().unwrap_or_else(|| {
                panic!("{page}:{}: output before any command", first_line + offset)
            });
            step.expected.push_str(line);
            step.expected.push('\n');
        }
    }
    steps
}

/// The documented values seen so far and what this run has in their place.
#[derive(Default)]
struct Held(HashMap<String, String>);

impl Held {
    /// Matches `actual` against `expected`, volatile values by shape; a held value must be
    /// the one this run has shown for it before.
    fn check(&mut self, expected: &str, actual: &str) -> Result<(), String> {
        let expected = normalized(expected);
        let actual = normalized(actual);
        let mut pattern = String::from("^");
        let mut documented = Vec::new();
        let mut last = 0;
        for found in VOLATILE.captures_iter(&expected) {
            let whole = found.get(0).unwrap();
            pattern.push_str(&regex::escape(&expected[last..whole.start()]));
            if found.name("held").is_some() {
                documented.push(whole.as_str().to_owned());
                pattern.push_str(
                    r"(HPAuth_[0-9a-f]{64}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{64})",
                );
            } else if found.name("time").is_some() {
                pattern.push_str(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)");
            } else if found.name("millis").is_some() {
                pattern.push_str(r"\d{13}");
            } else if found.name("txn").is_some() {
                pattern.push_str(r"[0-9a-f]{16}");
            } else if found.name("audit").is_some() {
                pattern.push_str(r"[0-9a-f]{22}");
            } else if found.name("project").is_some() {
                pattern.push_str(r"\d{14,19}");
            } else if found.name("date").is_some() {
                pattern.push_str(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT");
            } else if found.name("took").is_some() {
                pattern.push_str(r"rows in \d+(?:\.\d+)?(?:µs|ms|s)");
            } else if found.name("elided").is_some() {
                pattern.push_str(r"(?s:.*?\n)");
            } else {
                pattern.push_str(r#""per_minute":\d+"#);
            }
            last = whole.end();
        }
        pattern.push_str(&regex::escape(&expected[last..]));
        pattern.push('$');
        let matched = Regex::new(&pattern)
            .unwrap()
            .captures(&actual)
            .ok_or_else(|| {
                format!("the page shows:\n{expected}\nthe server answered:\n{actual}")
            })?;
        for (index, documented) in documented.into_iter().enumerate() {
            let seen = matched.get(index + 1).unwrap().as_str().to_owned();
            match self.0.get(&documented) {
                Some(held) if *held != seen => {
                    return Err(format!(
                        "the page shows {documented} again, where this run showed {held} before and now {seen}"
                    ))
                }
                _ => {
                    self.0.insert(documented, seen);
                }
            }
        }
        Ok(())
    }

    /// The command with this run's values in place of the page's.
    fn apply(&self, command: &str) -> String {
        let mut command = command.to_owned();
        for (documented, seen) in &self.0 {
            command = command.replace(documented, seen);
        }
        command
    }
}

/// Trailing blanks and blank last lines are not part of an answer.
fn normalized(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_owned()
}

/// The shell's PATH: the server's binary first, then python-openstackclient's, then ours.
pub(super) fn search_path() -> String {
    let binaries = Path::new(BINARY).parent().unwrap();
    let venv = repository().join(OPENSTACK_VENV);
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{}:{path}", binaries.display(), venv.display())
}

/// Whether the shell finds `tool` (a broken one fails the replay, loudly).
fn have(tool: &str) -> bool {
    std::env::split_paths(&search_path()).any(|directory| directory.join(tool).is_file())
}

#[test]
fn the_walkthroughs_answer_as_their_pages_show() {
    let shell_tools = have("bash") && have("curl");
    if !tools::present(
        shell_tools,
        "bash or curl",
        "the walkthroughs are not replayed",
    ) {
        return;
    }
    let directory = tempfile::tempdir().unwrap();
    // Dropped after the shell, whose jobs (nodes) use it.
    let mut database: Option<TestDatabase> = None;
    let mut shell = Shell::start(directory.path());
    let mut server: Option<Server> = None;
    let mut held = Held::default();
    let mut places = Places::new();
    for (page, needs) in PAGES {
        if let Some(missing) = needs.iter().find_map(|need| need.missing()) {
            tools::present(false, &missing, &format!("{page} is not replayed"));
            continue;
        }
        if needs.iter().any(|need| matches!(need, Need::Postgres)) && database.is_none() {
            let created = TestDatabase::new(Backend::Postgres);
            places.add(DOCUMENTED_DATABASE_URL, &created.url);
            let name = created.postgres_name().expect("a PostgreSQL database");
            places.add_shown(name, DOCUMENTED_DATABASE);
            database = Some(created);
        }
        for step in steps(page) {
            let actual = if step.command == SERVE {
                assert!(server.is_none(), "{}: a second server", step.at);
                let (started, printed) = Server::start(directory.path());
                // Where the page shows the default bind, as `config` does, the two agree.
                places.add(DOCUMENTED_ADDRESS, &started.address);
                server = Some(started);
                printed
            } else {
                assert!(
                    server.is_some(),
                    "{}: a command before the server starts",
                    step.at
                );
                let command = places.for_run(&held.apply(&built(&step.command)));
                shell.run(&step.at, &command)
            };
            // A job the page started in the background writes when it gets to it, as on a
            // terminal: while one may, the terminal is read again until it shows what the
            // page does, or the bound passes.
            let mut actual = actual;
            let due = Instant::now() + COMMAND_BOUND;
            loop {
                match held.check(&step.expected, &places.for_page(&actual)) {
                    Ok(()) => break,
                    Err(_) if shell.background && Instant::now() < due => {
                        std::thread::sleep(Duration::from_millis(50));
                        actual.push_str(&shell.shown());
                    }
                    Err(difference) => panic!(
                        "{}: $ {}\n{difference}\nthe commands' standard error ends:\n{}",
                        step.at,
                        step.command,
                        shell.errors()
                    ),
                }
            }
        }
    }
}

/// The command with the client's programs run from where `cargo test` built them.
fn built(command: &str) -> String {
    let directory = Path::new(BINARY).parent().unwrap();
    CLIENT_PROGRAMS
        .iter()
        .fold(command.to_owned(), |command, (documented, program)| {
            command.replace(documented, &directory.join(program).display().to_string())
        })
}

/// Whether `cargo test` built the client's programs (it does at the workspace's root).
fn client_programs_built() -> bool {
    let directory = Path::new(BINARY).parent().unwrap();
    CLIENT_PROGRAMS
        .iter()
        .all(|(_, program)| directory.join(program).is_file())
}
