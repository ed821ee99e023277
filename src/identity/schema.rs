// Identity's tables, written to match both migration folders: only types MultiConnection
// supports (BigInt, Text), so one schema serves SQLite and PostgreSQL.

diesel::table! {
    principals (id) {
        id -> BigInt,
        name -> Text,
        status -> Text,
        created_at -> BigInt,
        default_tenant_id -> Nullable<BigInt>,
        password_hash -> Nullable<Text>,
        api_key_hash -> Nullable<Text>,
        email -> Nullable<Text>,
        description -> Nullable<Text>,
        name_key -> Nullable<Text>,
    }
}

diesel::table! {
    principal_levels (principal_id, level) {
        principal_id -> BigInt,
        level -> Text,
    }
}

diesel::table! {
    tokens (token_hash) {
        token_hash -> Text,
        principal_id -> BigInt,
        expires_at -> BigInt,
        created_at -> BigInt,
        tenant_id -> Nullable<BigInt>,
        method -> Nullable<Text>,
    }
}

diesel::table! {
    tenants (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
        description -> Nullable<Text>,
        enabled -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    principal_tenants (principal_id, tenant_id) {
        principal_id -> BigInt,
        tenant_id -> BigInt,
    }
}

diesel::table! {
    access_keys (access_key) {
        access_key -> Text,
        principal_id -> BigInt,
        secret_hash -> Text,
        enabled -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    auth_failures (principal_id, client) {
        principal_id -> BigInt,
        client -> Text,
        failures -> BigInt,
        last_failure_at -> BigInt,
    }
}

diesel::joinable!(principal_levels -> principals (principal_id));
diesel::joinable!(tokens -> principals (principal_id));
diesel::joinable!(principal_tenants -> principals (principal_id));
diesel::joinable!(principal_tenants -> tenants (tenant_id));
diesel::joinable!(access_keys -> principals (principal_id));

diesel::allow_tables_to_appear_in_same_query!(
    principals,
    principal_levels,
    tokens,
    tenants,
    principal_tenants,
    access_keys,
    auth_failures,
);
