//! Where the pages' servers and databases are, and where this run's are: a page names fixed
//! ports and a database `registry`, which a test running beside others cannot take, so each
//! gets a place of this run's, written into the commands and read back in their output.

use std::net::TcpListener;

use regex::{NoExpand, Regex};

/// Ports of the servers the pages start beside the first one (operations.md's TLS node,
/// its two nodes on PostgreSQL and the first node's admin listener).
const SPARE_PORTS: [&str; 4] = ["35443", "35371", "35372", "9464"];

#[derive(Default)]
pub(super) struct Places {
    /// The page's value in a command, and this run's.
    to_run: Vec<(Regex, String)>,
    /// This run's value in an answer, and the page's.
    to_page: Vec<(Regex, String)>,
}

impl Places {
    /// The spare ports, each mapped to a port free now.
    pub(super) fn new() -> Self {
        let mut places = Self::default();
        for documented in SPARE_PORTS {
            let free = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free port")
                .port();
            places.add(documented, &free.to_string());
        }
        places
    }

    /// `documented` stands for `actual`, in commands and in answers.
    pub(super) fn add(&mut self, documented: &str, actual: &str) {
        self.to_run.push((whole(documented), actual.to_owned()));
        self.add_shown(actual, documented);
    }

    /// An answer showing `actual` reads as the page's `documented` (where the command names
    /// it otherwise, as a database's name in its URL).
    pub(super) fn add_shown(&mut self, actual: &str, documented: &str) {
        self.to_page.push((whole(actual), documented.to_owned()));
    }

    pub(super) fn for_run(&self, command: &str) -> String {
        replaced(&self.to_run, command)
    }

    pub(super) fn for_page(&self, answer: &str) -> String {
        replaced(&self.to_page, answer)
    }
}

/// `value` where it stands alone (not inside a longer number, token or name).
fn whole(value: &str) -> Regex {
    Regex::new(&format!(r"\b{}\b", regex::escape(value))).unwrap()
}

fn replaced(places: &[(Regex, String)], text: &str) -> String {
    places.iter().fold(text.to_owned(), |text, (from, to)| {
        from.replace_all(&text, NoExpand(to)).into_owned()
    })
}
