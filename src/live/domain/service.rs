//! A live service: a process that registered itself and heartbeats to stay listed.

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{BrokenRule, SERVICE_ID_RULE};

/// `^[a-zA-Z0-9_.-]{3,65}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceId(String);

impl ServiceId {
    pub const RULE: BrokenRule = BrokenRule("Must match ^[a-zA-Z0-9_.-]{3,65}$");

    pub fn parse(raw: &str) -> Option<Self> {
        SERVICE_ID_RULE.is_match(raw).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Seconds a service may go without heartbeating: 3 ..= 120.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatTimeout(i64);

impl HeartbeatTimeout {
    pub const MIN: i64 = 3;
    pub const MAX: i64 = 120;
    pub const RULE: BrokenRule = BrokenRule("Value out of range (3..120)");

    pub fn new(seconds: i64) -> Option<Self> {
        (Self::MIN..=Self::MAX)
            .contains(&seconds)
            .then_some(Self(seconds))
    }

    pub fn seconds(self) -> i64 {
        self.0
    }

    pub fn millis(self) -> i64 {
        self.0 * 1000
    }
}

/// 0..=10 tags of 1..=55 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<String>);

impl Tags {
    pub const MAX: usize = 10;
    pub const MAX_CHARS: usize = 55;

    pub fn new(tags: Vec<String>) -> Result<Self, BrokenRule> {
        if tags.len() > Self::MAX {
            return Err(BrokenRule("At most 10 tags"));
        }
        let fits = |tag: &String| (1..=Self::MAX_CHARS).contains(&tag.chars().count());
        if !tags.iter().all(fits) {
            return Err(BrokenRule("Each tag must be 1 to 55 characters long"));
        }
        Ok(Self(tags))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// 0..=20 pairs, keys and values of 1..=255 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata(BTreeMap<String, String>);

impl Metadata {
    pub const MAX: usize = 20;
    pub const MAX_CHARS: usize = 255;

    pub fn new(pairs: BTreeMap<String, String>) -> Result<Self, BrokenRule> {
        if pairs.len() > Self::MAX {
            return Err(BrokenRule("At most 20 keys"));
        }
        let fits = |text: &String| (1..=Self::MAX_CHARS).contains(&text.chars().count());
        if !pairs.iter().all(|(key, value)| fits(key) && fits(value)) {
            return Err(BrokenRule(
                "Keys and values must be 1 to 255 characters long",
            ));
        }
        Ok(Self(pairs))
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// A one-time heartbeat token: a random (v4) UUID, 122 random bits. Only its hash is
/// stored, so a copy of the database lets nobody heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatToken(Uuid);

impl HeartbeatToken {
    pub const RULE: BrokenRule = BrokenRule("Must be a UUID");

    pub fn generate() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Uuid::try_parse(raw).ok().map(Self)
    }

    /// SHA-256 of the hyphenated lower-case text, whatever case it was presented in.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.to_string().as_bytes()))
    }
}

impl fmt::Display for HeartbeatToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// A live service as reads show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub heartbeat_timeout: HeartbeatTimeout,
    pub tags: Tags,
    pub metadata: Metadata,
    /// Milliseconds since the epoch of the last heartbeat.
    pub last_seen: Option<i64>,
}

/// A service to create, every field valid.
pub struct NewService {
    pub id: ServiceId,
    pub heartbeat_timeout: HeartbeatTimeout,
    pub tags: Tags,
    pub metadata: Metadata,
}

/// The fields an update names, each valid; the others stay as they are.
pub struct ServiceChanges {
    pub heartbeat_timeout: Option<HeartbeatTimeout>,
    pub tags: Option<Tags>,
    pub metadata: Option<Metadata>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_rule() {
        assert!(ServiceId::parse("dfw1-api.v2_x").is_some());
        for bad in ["ab", "a b c", "ümlaut", &"x".repeat(66), "a/b/c"] {
            assert!(ServiceId::parse(bad).is_none(), "{bad}");
        }
        assert!(ServiceId::parse(&"x".repeat(65)).is_some());
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(HeartbeatTimeout::new(2).is_none());
        assert!(HeartbeatTimeout::new(3).is_some());
        assert!(HeartbeatTimeout::new(120).is_some());
        assert!(HeartbeatTimeout::new(121).is_none());
        assert!(Tags::new(vec!["t".into(); 10]).is_ok());
        assert_eq!(
            Tags::new(vec!["t".into(); 11]),
            Err(BrokenRule("At most 10 tags"))
        );
        assert!(Tags::new(vec![String::new()]).is_err());
        assert!(Tags::new(vec!["é".repeat(55)]).is_ok());
        assert!(Tags::new(vec!["é".repeat(56)]).is_err());
        let pairs = |n: usize, text: &str| {
            (0..n)
                .map(|i| (format!("{text}{i}"), text.to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(Metadata::new(pairs(20, "k")).is_ok());
        assert_eq!(
            Metadata::new(pairs(21, "k")),
            Err(BrokenRule("At most 20 keys"))
        );
        assert!(Metadata::new(pairs(1, &"v".repeat(256))).is_err());
    }

    #[test]
    fn tokens_hash_the_same_in_any_case() {
        let token = HeartbeatToken::generate();
        let upper = HeartbeatToken::parse(&token.to_string().to_uppercase()).unwrap();
        assert_eq!(token.hash(), upper.hash());
    }
}
