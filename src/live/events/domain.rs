//! Events: what happened to a tenant's live registry, in the one order every reader sees.

use std::fmt;

use uuid::Uuid;

/// What an event records. The names are RSR's wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    ServiceJoin,
    ServiceTimeout,
    ServiceRemove,
    ConfigurationValueUpdate,
    ConfigurationValueRemove,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        Self::ServiceJoin,
        Self::ServiceTimeout,
        Self::ServiceRemove,
        Self::ConfigurationValueUpdate,
        Self::ConfigurationValueRemove,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceJoin => "service.join",
            Self::ServiceTimeout => "service.timeout",
            Self::ServiceRemove => "service.remove",
            Self::ConfigurationValueUpdate => "configuration_value.update",
            Self::ConfigurationValueRemove => "configuration_value.remove",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// `service.join, service.timeout, ...` for the fault naming the valid types.
    pub fn valid_names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|kind| kind.as_str()).collect();
        names.join(", ")
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event's id: a UUIDv7 whose text (lower-case, hyphenated) sorts like its value, so
/// the database orders the feed by comparing ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(Uuid);

impl EventId {
    /// Any UUID (a marker need not be one of ours to be compared); `None` if not a UUID.
    pub fn parse(raw: &str) -> Option<Self> {
        Uuid::try_parse(raw).ok().map(Self)
    }

    /// A fresh id, strictly after `previous` even if this node's clock is behind the node
    /// that wrote `previous`.
    pub fn next_after(previous: Option<EventId>) -> Self {
        let fresh = Uuid::now_v7();
        match previous {
            Some(EventId(last)) if fresh <= last => {
                Self(Uuid::from_u128(last.as_u128().wrapping_add(1)))
            }
            _ => Self(fresh),
        }
    }

    /// The smallest v7 id of millisecond `millis`: where a feed starting then begins.
    pub fn first_at(millis: i64) -> Self {
        let millis = u128::try_from(millis.max(0)).unwrap_or(0) & ((1 << 48) - 1);
        Self(Uuid::from_u128((millis << 80) | (0x7 << 76) | (0b10 << 62)))
    }

    /// When the id says it was made (v7 and v1 carry a time; others do not).
    pub fn millis(self) -> Option<i64> {
        let (seconds, nanos) = self.0.get_timestamp()?.to_unix();
        i64::try_from(seconds)
            .ok()
            .map(|s| s * 1000 + i64::from(nanos / 1_000_000))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// An event to append: its kind, when it happened, and its payload (JSON).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub occurred_at: i64,
    pub payload: serde_json::Value,
}

/// An event of the feed.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub occurred_at: i64,
    pub kind: String,
    pub payload: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_as_text_in_time_order_and_never_repeat() {
        let first = EventId::next_after(None);
        let far_future = EventId::first_at(first.millis().unwrap() + 60_000);
        let after_future = EventId::next_after(Some(far_future));
        assert!(after_future > far_future);
        assert!(after_future.to_string() > far_future.to_string());
        assert_eq!(after_future.millis(), far_future.millis());
        assert!(EventId::first_at(1_000).to_string() < EventId::first_at(1_001).to_string());
        assert_eq!(EventId::first_at(1_234).millis(), Some(1_234));
    }

    #[test]
    fn kinds_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("service.joined"), None);
    }
}
