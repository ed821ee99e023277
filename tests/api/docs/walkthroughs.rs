//! The walkthroughs' console blocks, replayed in order in one shell against one real
//! server started as the first page starts it, each command's output matched against the
//! page's: exactly, except tokens, ids and times, which are matched by shape and then held
//! to (a token the page shows once and uses later must be the same token both times).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use regex::Regex;

use super::repository;
use crate::helpers::node::BINARY;
use crate::helpers::tools;

/// The pages replayed, in the order a reader follows them, each with what it needs beside
/// bash and curl: each goes on from the state the one before left (the same server,
/// tenants, users and shell variables).
const PAGES: [(&str, Needs); 6] = [
    ("docs/walkthrough.md", Needs::Nothing),
    ("docs/identity.md", Needs::Nothing),
    ("docs/keystone-v3.md", Needs::Tool("openstack")),
    ("docs/live-registry.md", Needs::Nothing),
    ("docs/settings.md", Needs::Nothing),
    ("docs/client.md", Needs::ClientPrograms),
];

#[derive(Clone, Copy)]
enum Needs {
    Nothing,
    /// A program on the shell's PATH.
    Tool(&'static str),
    /// `srctl` and the client's example, built by `cargo test` at the workspace's root.
    ClientPrograms,
}

impl Needs {
    /// What is missing, and how to get it.
    fn missing(self) -> Option<String> {
        match self {
            Needs::Nothing => None,
            Needs::Tool(tool) => {
                (!have(tool)).then(|| format!("{tool} (.ci/openstack-venv installs it)"))
            }
            Needs::ClientPrograms => (!client_programs_built()).then(|| {
                "srctl or the web_server example (`cargo test` at the workspace's root builds them)"
                    .to_owned()
            }),
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

/// The longest a page's command may take: its longest wait is a long poll of 30 s.
const COMMAND_BOUND: Duration = Duration::from_secs(90);

/// Values that differ from run to run, by shape: tokens, UUIDs (heartbeat tokens, event
/// ids), ISO-8601 times, epoch milliseconds, the live registry's 16-digit `txnId`s, the
/// heartbeats of the last complete minute (which depend on where the minute fell), v3's
/// audit ids and generated project ids. A line `…` stands for any lines (headers).
static VOLATILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<held>HPAuth_[0-9a-f]{64}",
        r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        r"|(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))",
        r"|(?P<millis>\b\d{13}\b)",
        r"|(?P<txn>\b[0-9a-f]{16}\b)",
        r#"|(?P<minute>"per_minute":\d+)"#,
        r"|(?P<audit>\b[0-9a-f]{22}\b)",
        r"|(?P<project>\b\d{14,19}\b)",
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

/// Lines of a process's output, read on a thread so that a wait can be bounded.
fn lines_of(output: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
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
                pattern
                    .push_str(r"(HPAuth_[0-9a-f]{64}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})");
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
    fn apply(&self, command: &str, address: &str) -> String {
        let mut command = command.replace(DOCUMENTED_ADDRESS, address);
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

/// One bash, fed a command at a time, with job control (a job started with `&` gets
/// `kill -INT %1` as on a terminal, where the prompt forgets ended jobs as `jobs` does) and
/// aliases; every command's standard output, and any background job's, goes to one file,
/// the terminal, read on from where the last step stopped.
struct Shell {
    process: Child,
    input: ChildStdin,
    done: Receiver<String>,
    terminal: PathBuf,
    read: u64,
    /// Whether a command started a job in the background: it may write at any time.
    background: bool,
}

impl Shell {
    fn start(directory: &Path) -> Self {
        let mut process = Command::new("bash")
            .args(["--noprofile", "--norc"])
            .current_dir(directory)
            .env("PATH", search_path())
            .env_remove("DATABASE_URL")
            .env_remove("SERVICE_REGISTRY_CONFIG")
            .env_remove("RUST_LOG")
            .env_remove("SRCTL_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(directory.join("shell.log")).unwrap())
            .spawn()
            .expect("bash runs");
        let mut input = process.stdin.take().unwrap();
        writeln!(input, "set -m; shopt -s expand_aliases").unwrap();
        let done = lines_of(process.stdout.take().unwrap());
        let terminal = directory.join("terminal");
        std::fs::File::create(&terminal).unwrap();
        Self {
            process,
            input,
            done,
            terminal,
            read: 0,
            background: false,
        }
    }

    /// Runs `command` as the page's reader would type it; what the terminal showed since
    /// the last step.
    fn run(&mut self, at: &str, command: &str) -> String {
        let line = command.lines().last().unwrap_or_default().trim_end();
        self.background |= line.ends_with('&') && !line.ends_with("&&");
        writeln!(
            self.input,
            "{{ {command}\n}} >> '{}' 2>> command-errors.log; jobs > /dev/null; echo replayed",
            self.terminal.display()
        )
        .unwrap();
        match self.done.recv_timeout(COMMAND_BOUND) {
            Ok(line) if line == "replayed" => {}
            other => panic!("{at}: the shell did not finish the command ({other:?})"),
        }
        self.shown()
    }

    /// The last lines the commands wrote to standard error.
    fn errors(&self) -> String {
        let log = self.terminal.with_file_name("command-errors.log");
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// What the terminal shows that was not read yet.
    fn shown(&mut self) -> String {
        let mut file = std::fs::File::open(&self.terminal).unwrap();
        file.seek(SeekFrom::Start(self.read)).unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        self.read += bytes.len() as u64;
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        // Jobs have process groups of their own: they outlive the shell unless killed.
        let _ = writeln!(
            self.input,
            "kill -KILL $(jobs -p) 2>/dev/null; echo replayed"
        );
        let _ = self.done.recv_timeout(Duration::from_secs(5));
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The server as the first page starts it, in the shell's directory so that the command
/// line of the pages finds its database; killed on drop.
struct Server {
    process: Child,
    address: String,
}

impl Server {
    /// Starts it; what it printed up to the address it listens on.
    fn start(directory: &Path) -> (Self, String) {
        let process = Command::new(BINARY)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(directory)
            .env_remove("DATABASE_URL")
            .env_remove("SERVICE_REGISTRY_CONFIG")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(directory.join("server.log")).unwrap())
            .spawn()
            .expect("the server starts");
        // Owned before anything can fail, so that its Drop kills it whatever happens.
        let mut server = Self {
            process,
            address: String::new(),
        };
        // Later lines (none expected) are drained by the reading thread.
        let lines = lines_of(server.process.stdout.take().unwrap());
        let mut printed = String::new();
        while server.address.is_empty() {
            let line = lines
                .recv_timeout(COMMAND_BOUND)
                .expect("the server reports its address");
            printed.push_str(&line);
            printed.push('\n');
            if let Some(url) = line.strip_prefix("listening on ") {
                server.address = url.trim_start_matches("http://").to_owned();
            }
        }
        (server, printed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The shell's PATH: the server's binary first, then python-openstackclient's, then ours.
fn search_path() -> String {
    let binaries = Path::new(BINARY).parent().unwrap();
    let venv = repository().join(OPENSTACK_VENV);
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{}:{path}", binaries.display(), venv.display())
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .env("PATH", search_path())
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
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
    let mut shell = Shell::start(directory.path());
    let mut server: Option<Server> = None;
    let mut held = Held::default();
    for (page, needs) in PAGES {
        if let Some(missing) = needs.missing() {
            tools::present(false, &missing, &format!("{page} is not replayed"));
            continue;
        }
        for step in steps(page) {
            let actual = if step.command == SERVE {
                assert!(server.is_none(), "{}: a second server", step.at);
                let (started, printed) = Server::start(directory.path());
                server = Some(started);
                printed
            } else {
                let address = server
                    .as_ref()
                    .unwrap_or_else(|| panic!("{}: a command before the server starts", step.at))
                    .address
                    .clone();
                shell.run(&step.at, &held.apply(&built(&step.command), &address))
            };
            // A job the page started in the background writes when it gets to it, as on a
            // terminal: while one may, the terminal is read again until it shows what the
            // page does, or the bound passes.
            let mut actual = actual;
            let due = Instant::now() + COMMAND_BOUND;
            loop {
                // This run's address reads as the page's (where the page shows the default
                // bind, as `config` does, the two agree as well).
                let shown = match &server {
                    Some(server) => actual.replace(&server.address, DOCUMENTED_ADDRESS),
                    None => actual.clone(),
                };
                match held.check(&step.expected, &shown) {
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
