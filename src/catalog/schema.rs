// The catalog's tables, written to match both migration folders (BigInt and Text only).

diesel::table! {
    endpoint_templates (id) {
        id -> BigInt,
        service_id -> BigInt,
        region_key -> Text,
        region -> Nullable<Text>,
        public_url -> Text,
        public_url2 -> Nullable<Text>,
        internal_url -> Nullable<Text>,
        admin_url -> Nullable<Text>,
        is_global -> BigInt,
        enabled -> BigInt,
        release_state -> Text,
        version_id -> Nullable<Text>,
        version_info -> Nullable<Text>,
        version_list -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        liveness_tenant_id -> Nullable<BigInt>,
        liveness_tag -> Nullable<Text>,
        liveness_min_alive -> Nullable<BigInt>,
        public_enabled -> BigInt,
        internal_enabled -> BigInt,
        admin_enabled -> BigInt,
    }
}

diesel::table! {
    regions (id) {
        id -> Text,
        description -> Text,
        parent_region_id -> Nullable<Text>,
    }
}

diesel::table! {
    tenant_endpoints (tenant_id, template_id) {
        tenant_id -> BigInt,
        template_id -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(endpoint_templates, tenant_endpoints, regions);
