//! Configuration values: ids of namespace segments and a key (`/production/cassandra/port`).

use std::fmt;

use super::{BrokenRule, CONFIGURATION_ID_RULE};

/// 3..=500 characters matching [`CONFIGURATION_ID_RULE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationId(String);

impl ConfigurationId {
    pub const RULE: BrokenRule = BrokenRule(
        "Must be 3 to 500 characters matching ^(/[a-zA-Z0-9_-]{3,50}/?){0,10}([a-zA-Z0-9_.-]{3,170})?$",
    );

    pub fn parse(raw: &str) -> Option<Self> {
        ((3..=500).contains(&raw.len()) && CONFIGURATION_ID_RULE.is_match(raw))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConfigurationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A namespace to list: `/production/cassandra/` holds `/production/cassandra/x` and
/// `/production/cassandra/a/b`, never `/production/cassandra2/x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace(String);

impl Namespace {
    /// A valid id that starts and ends with `/`.
    pub fn parse(raw: &str) -> Option<Self> {
        let shaped = raw.len() > 1 && raw.starts_with('/') && raw.ends_with('/');
        (shaped && ConfigurationId::parse(raw).is_some()).then(|| Self(raw.to_owned()))
    }

    /// The ids inside: from the namespace itself (inclusive) to the first text after
    /// every id that starts with it (exclusive). `/` + 1 is `0`, in byte order.
    pub fn id_range(&self) -> (String, String) {
        let mut end = self.0[..self.0.len() - 1].to_owned();
        end.push('0');
        (self.0.clone(), end)
    }
}

/// 1..=1024 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationValue(String);

impl ConfigurationValue {
    pub const MAX_CHARS: usize = 1024;
    pub const RULE: BrokenRule = BrokenRule("Must be 1 to 1024 characters long");

    pub fn new(raw: String) -> Option<Self> {
        (1..=Self::MAX_CHARS)
            .contains(&raw.chars().count())
            .then_some(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_namespaces() {
        for good in [
            "abc",
            "/production/cassandra/listen_ip",
            "/prod/",
            "/aaa/bbb/key.x",
        ] {
            assert!(ConfigurationId::parse(good).is_some(), "{good}");
        }
        for bad in ["ab", "a/b", "/ab/", "key with space", &"k".repeat(171)] {
            assert!(ConfigurationId::parse(bad).is_none(), "{bad}");
        }
        let namespace = Namespace::parse("/production/cassandra/").unwrap();
        let (from, to) = namespace.id_range();
        let inside = |id: &str| from.as_str() <= id && id < to.as_str();
        assert!(inside("/production/cassandra/x"));
        assert!(inside("/production/cassandra/a/b"));
        assert!(!inside("/production/cassandra2/x"));
        assert!(!inside("/production/cassandra"));
        assert!(Namespace::parse("/production").is_none());
        assert!(Namespace::parse("production/").is_none());
    }
}
