// The events feed's tables (see migrations/*/2026-11-30-000003_live_registry).

diesel::table! {
    events (tenant_id, id) {
        tenant_id -> BigInt,
        id -> Text,
        recorded_at -> BigInt,
        occurred_at -> BigInt,
        kind -> Text,
        payload -> Text,
    }
}

diesel::table! {
    event_feeds (tenant_id) {
        tenant_id -> BigInt,
        last_event_id -> Text,
        version -> BigInt,
    }
}
