// The registry's table, written to match both migration folders: only types
// MultiConnection supports (BigInt, Text), so one schema serves SQLite and PostgreSQL.

diesel::table! {
    services (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
        service_type -> Text,
        release_state -> Text,
        description -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        enabled -> BigInt,
    }
}
