//! The shell the walkthroughs are typed into, and the server the first page starts.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use super::walkthroughs::{search_path, COMMAND_BOUND};
use crate::helpers::node::BINARY;

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

/// One bash, fed a command at a time, with job control (a job started with `&` gets
/// `kill -INT %1` as on a terminal, where the prompt forgets ended jobs as `jobs` does) and
/// aliases; every command's standard output, and any background job's, goes to one file,
/// the terminal, read on from where the last step stopped.
pub(super) struct Shell {
    process: Child,
    input: ChildStdin,
    done: Receiver<String>,
    terminal: PathBuf,
    read: u64,
    /// Whether a command started a job in the background: it may write at any time.
    pub(super) background: bool,
}

impl Shell {
    pub(super) fn start(directory: &Path) -> Self {
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
    pub(super) fn run(&mut self, at: &str, command: &str) -> String {
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
    pub(super) fn errors(&self) -> String {
        let log = self.terminal.with_file_name("command-errors.log");
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// What the terminal shows that was not read yet.
    pub(super) fn shown(&mut self) -> String {
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
pub(super) struct Server {
    process: Child,
    pub(super) address: String,
}

impl Server {
    /// Starts it; what it printed up to the address it listens on.
    pub(super) fn start(directory: &Path) -> (Self, String) {
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
