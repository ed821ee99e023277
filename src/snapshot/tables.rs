//! Every table a snapshot holds, in an order that inserts parents before children, with
//! each column's kind. Every column of the schema is a 64-bit integer or text on both
//! backends, so a row travels as a JSON array and nothing is lost on the way.
//!
//! The list is checked against the database's own catalog before every save, restore and
//! copy ([`super::store::check_schema`]): a migration that adds a table or a column fails
//! there, loudly, until it is added here.

/// The kind of a column's values (NULL aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// Part of the primary key: rows are read in key order, page by page.
    pub key: bool,
}

#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    /// Migrations put rows in it, so an empty database already has them: a restore
    /// replaces them, and they do not count as data the target already holds.
    pub seeded: bool,
    /// What the table holds, in the words of `snapshot save`'s summary.
    pub holds: &'static str,
}

impl Table {
    pub fn keys(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|column| column.key)
    }

    pub fn column_names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|column| column.name).collect()
    }
}

const fn key(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        key: true,
    }
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
        key: false,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
        key: false,
    }
}

use Kind::{Int, Text};

pub const TABLES: &[Table] = &[
    Table {
        name: "generations",
        columns: &[key("name", Text), int("value")],
        seeded: true,
        holds: "cache generations",
    },
    Table {
        name: "live_watch",
        columns: &[
            key("id", Int),
            int("watched_at"),
            int("previous_watch"),
            int("outage_started"),
            int("outage_ended"),
            int("deadlines_moved"),
            int("behind_by"),
            int("behind_until"),
        ],
        seeded: true,
        holds: "registry watch",
    },
    Table {
        name: "tenants",
        columns: &[
            key("id", Int),
            text("name"),
            text("name_key"),
            text("description"),
            int("enabled"),
            int("created_at"),
        ],
        seeded: false,
        holds: "tenants",
    },
    Table {
        name: "principals",
        columns: &[
            key("id", Int),
            text("name"),
            text("status"),
            int("created_at"),
            int("default_tenant_id"),
            text("password_hash"),
            text("api_key_hash"),
            text("email"),
            text("description"),
            text("name_key"),
        ],
        seeded: false,
        holds: "principals",
    },
    Table {
        name: "principal_levels",
        columns: &[key("principal_id", Int), key("level", Text)],
        seeded: false,
        holds: "privilege levels",
    },
    Table {
        name: "principal_tenants",
        columns: &[key("principal_id", Int), key("tenant_id", Int)],
        seeded: false,
        holds: "tenant memberships",
    },
    Table {
        name: "access_keys",
        columns: &[
            key("access_key", Text),
            int("principal_id"),
            text("secret_hash"),
            int("enabled"),
            int("created_at"),
        ],
        seeded: false,
        holds: "access keys",
    },
    Table {
        name: "tokens",
        columns: &[
            key("token_hash", Text),
            int("principal_id"),
            int("expires_at"),
            int("created_at"),
            int("tenant_id"),
            text("method"),
        ],
        seeded: false,
        holds: "tokens",
    },
    Table {
        name: "auth_failures",
        columns: &[
            key("principal_id", Int),
            key("client", Text),
            int("failures"),
            int("last_failure_at"),
        ],
        seeded: false,
        holds: "authentication failure counts",
    },
    Table {
        name: "services",
        columns: &[
            key("id", Int),
            text("name"),
            text("name_key"),
            text("service_type"),
            text("release_state"),
            text("description"),
            int("created_at"),
            int("updated_at"),
            int("enabled"),
        ],
        seeded: false,
        holds: "registered services",
    },
    Table {
        name: "endpoint_templates",
        columns: &[
            key("id", Int),
            int("service_id"),
            text("region_key"),
            text("region"),
            text("public_url"),
            text("public_url2"),
            text("internal_url"),
            text("admin_url"),
            int("is_global"),
            int("enabled"),
            text("release_state"),
            text("version_id"),
            text("version_info"),
            text("version_list"),
            int("created_at"),
            int("updated_at"),
            int("liveness_tenant_id"),
            text("liveness_tag"),
            int("liveness_min_alive"),
            int("public_enabled"),
            int("internal_enabled"),
            int("admin_enabled"),
        ],
        seeded: false,
        holds: "endpoint templates",
    },
    Table {
        name: "regions",
        columns: &[
            key("id", Text),
            text("description"),
            text("parent_region_id"),
        ],
        seeded: false,
        holds: "regions",
    },
    Table {
        name: "tenant_endpoints",
        columns: &[key("tenant_id", Int), key("template_id", Int)],
        seeded: false,
        holds: "tenant endpoints",
    },
    Table {
        name: "live_limits",
        columns: &[
            key("tenant_id", Int),
            int("services"),
            int("configuration_values"),
            int("requests"),
            int("rate_window_ms"),
        ],
        seeded: false,
        holds: "live limits",
    },
    Table {
        name: "live_usage",
        columns: &[
            key("tenant_id", Int),
            int("services"),
            int("configuration_values"),
        ],
        seeded: false,
        holds: "live usage counts",
    },
    Table {
        name: "live_request_counts",
        columns: &[key("tenant_id", Int), key("window_start", Int), int("used")],
        seeded: false,
        holds: "request counts",
    },
    Table {
        name: "live_heartbeat_counts",
        columns: &[
            key("tenant_id", Int),
            key("bucket_start", Int),
            int("beats"),
        ],
        seeded: false,
        holds: "heartbeat counts",
    },
    Table {
        name: "live_services",
        columns: &[
            key("tenant_id", Int),
            key("id", Text),
            int("heartbeat_timeout"),
            text("tags"),
            text("metadata"),
            int("last_seen"),
            int("deadline"),
            text("token_hash"),
        ],
        seeded: false,
        holds: "live services",
    },
    Table {
        name: "live_service_tags",
        columns: &[
            key("tenant_id", Int),
            key("tag", Text),
            key("service_id", Text),
        ],
        seeded: false,
        holds: "live service tags",
    },
    Table {
        name: "live_configuration",
        columns: &[key("tenant_id", Int), key("id", Text), text("value")],
        seeded: false,
        holds: "configuration values",
    },
    Table {
        name: "event_feeds",
        columns: &[key("tenant_id", Int), text("last_event_id"), int("version")],
        seeded: false,
        holds: "event feeds",
    },
    Table {
        name: "events",
        columns: &[
            key("tenant_id", Int),
            key("id", Text),
            int("recorded_at"),
            int("occurred_at"),
            text("kind"),
            text("payload"),
        ],
        seeded: false,
        holds: "events",
    },
];

/// The table of that name.
#[cfg(test)]
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|table| table.name == name)
}
