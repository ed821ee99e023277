//! An event as RSR's feed shows it.

use serde::Serialize;

use super::domain::Event;

#[derive(Serialize)]
pub struct EventView<'a> {
    pub id: &'a str,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub payload: &'a serde_json::Value,
}

impl<'a> From<&'a Event> for EventView<'a> {
    fn from(event: &'a Event) -> Self {
        Self {
            id: &event.id,
            timestamp: event.occurred_at,
            kind: &event.kind,
            payload: &event.payload,
        }
    }
}
