// The live registry's tables (see migrations/*/2026-11-30-000003_live_registry and
// 2026-12-02-000001_tenant_rate_limits, 2026-12-02-000003_heartbeat_counts).

diesel::table! {
    live_services (tenant_id, id) {
        tenant_id -> BigInt,
        id -> Text,
        heartbeat_timeout -> BigInt,
        tags -> Text,
        metadata -> Text,
        last_seen -> Nullable<BigInt>,
        deadline -> BigInt,
        token_hash -> Text,
    }
}

diesel::table! {
    live_service_tags (tenant_id, tag, service_id) {
        tenant_id -> BigInt,
        service_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    live_configuration (tenant_id, id) {
        tenant_id -> BigInt,
        id -> Text,
        value -> Text,
    }
}

diesel::table! {
    live_limits (tenant_id) {
        tenant_id -> BigInt,
        services -> Nullable<BigInt>,
        configuration_values -> Nullable<BigInt>,
        requests -> Nullable<BigInt>,
        rate_window_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    live_request_counts (tenant_id, window_start) {
        tenant_id -> BigInt,
        window_start -> BigInt,
        used -> BigInt,
    }
}

diesel::table! {
    live_heartbeat_counts (tenant_id, bucket_start) {
        tenant_id -> BigInt,
        bucket_start -> BigInt,
        beats -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(live_services, live_service_tags);

diesel::table! {
    live_usage (tenant_id) {
        tenant_id -> BigInt,
        services -> BigInt,
        configuration_values -> BigInt,
    }
}
