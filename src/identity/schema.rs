// Identity's tables, written to match both migration folders: only types MultiConnection
// supports (BigInt, Text), so one schema serves SQLite and PostgreSQL.

diesel::table! {
    principals (id) {
        id -> BigInt,
        name -> Text,
        status -> Text,
        created_at -> BigInt,
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
    }
}

diesel::joinable!(principal_levels -> principals (principal_id));
diesel::joinable!(tokens -> principals (principal_id));

diesel::allow_tables_to_appear_in_same_query!(principals, principal_levels, tokens);
