//! Relative links and the anchors they name, as GitHub renders them.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::{markdown_files, repository};

/// The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to
/// hyphens, and `-1`, `-2` … after a repeated one.
fn anchors(markdown: &str) -> HashSet<String> {
    let mut anchors = HashSet::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut heading: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(heading) = heading.as_mut() {
                    heading.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let text = heading.take().unwrap_or_default();
                let slug: String = text
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect();
                let count = seen.entry(slug.clone()).or_insert(0);
                anchors.insert(match *count {
                    0 => slug.clone(),
                    n => format!("{slug}-{n}"),
                });
                *count += 1;
            }
            _ => {}
        }
    }
    anchors
}

/// Every link and image destination of a page, code spans and blocks left out.
fn destinations(markdown: &str) -> Vec<String> {
    Parser::new(markdown)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => Some(dest_url.into_string()),
            _ => None,
        })
        .collect()
}

/// What is wrong with one relative link of `page`, if anything.
fn broken(page: &Path, destination: &str) -> Option<String> {
    let (file, anchor) = match destination.split_once('#') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (destination, None),
    };
    let target: PathBuf = if file.is_empty() {
        page.to_path_buf()
    } else {
        page.parent().unwrap().join(file)
    };
    if !target.exists() {
        return Some(format!("{destination}: no such file"));
    }
    let inside = target.canonicalize().unwrap();
    if !inside.starts_with(repository().canonicalize().unwrap()) {
        return Some(format!("{destination}: outside the repository"));
    }
    match anchor {
        Some(anchor) if target.extension().is_some_and(|e| e == "md") => {
            let text = std::fs::read_to_string(&target).unwrap();
            (!anchors(&text).contains(anchor)).then(|| format!("{destination}: no such heading"))
        }
        _ => None,
    }
}

#[test]
fn every_relative_link_of_every_page_resolves() {
    let mut faults = Vec::new();
    let pages = markdown_files();
    assert!(pages.len() > 10, "found only {pages:?}");
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for destination in destinations(&text) {
            let external = ["http://", "https://", "mailto:"]
                .iter()
                .any(|scheme| destination.starts_with(scheme));
            if external {
                continue;
            }
            if let Some(fault) = broken(page, &destination) {
                let shown = page.strip_prefix(repository()).unwrap().display();
                faults.push(format!("{shown}: {fault}"));
            }
        }
    }
    assert!(faults.is_empty(), "broken links:\n{}", faults.join("\n"));
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    let page = "# Keystone v3 and the `openstack` CLI\n## Caching, conditional GETs and metrics\n## A b\n## A b\n";
    let made = anchors(page);
    for anchor in [
        "keystone-v3-and-the-openstack-cli",
        "caching-conditional-gets-and-metrics",
        "a-b",
        "a-b-1",
    ] {
        assert!(made.contains(anchor), "{anchor} not in {made:?}");
    }
}
