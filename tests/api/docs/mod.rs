//! The documents cannot drift from the code: every relative link of every page resolves,
//! and the console blocks of the walkthroughs are replayed against a real server.

mod links;
mod places;
mod shell;
mod walkthroughs;

use std::path::{Path, PathBuf};

/// The repository's root: the server crate's manifest directory.
fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every Markdown file of the repository outside build outputs and tool environments.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(directory: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if path.is_dir() {
                if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                    walk(&path, found);
                }
            } else if name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(repository(), &mut found);
    found.sort();
    found
}
