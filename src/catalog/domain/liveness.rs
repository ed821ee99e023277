//! The fleet a template is backed by.

use crate::catalog::error::{CatalogError as Error, Result};
use crate::identity::TenantId;
use crate::platform::text::printable;

/// A template backed by a fleet: its endpoints are in a catalog only while at least
/// `min_alive` live services of `tenant` that carry `tag` are alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liveness {
    pub tenant: TenantId,
    pub tag: String,
    pub min_alive: u16,
}

impl Liveness {
    pub const MAX_ALIVE: u16 = 1000;
    /// The live registry's longest tag.
    const MAX_TAG_CHARS: usize = 55;

    /// The tenant's existence is checked against identity by the catalog, not here.
    pub fn parse(tenant: Option<&str>, tag: Option<&str>, min_alive: Option<&str>) -> Result<Self> {
        let tenant = tenant.ok_or_else(|| Error::invalid("liveness needs a tenantId"))?;
        let tenant = TenantId::parse(tenant).map_err(|_| {
            Error::invalid(format!(
                "liveness tenantId must be a tenant's numeric id, got '{}'",
                printable(tenant)
            ))
        })?;
        let tag = tag.ok_or_else(|| Error::invalid("liveness needs a tag"))?;
        if !(1..=Self::MAX_TAG_CHARS).contains(&tag.chars().count()) {
            return Err(Error::invalid(format!(
                "liveness tag must have 1 to {} characters, as the live registry's tags do",
                Self::MAX_TAG_CHARS
            )));
        }
        let min_alive = match min_alive {
            None => 1,
            Some(raw) => raw
                .parse::<u16>()
                .ok()
                .filter(|n| (1..=Self::MAX_ALIVE).contains(n))
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "liveness minAlive must be an integer from 1 to {}, got '{}'",
                        Self::MAX_ALIVE,
                        printable(raw)
                    ))
                })?,
        };
        Ok(Self {
            tenant,
            tag: tag.to_owned(),
            min_alive,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_needs_a_tenant_and_a_tag_and_at_most_a_thousand() {
        let parsed = Liveness::parse(Some("7"), Some("nova-api"), None).unwrap();
        assert_eq!((parsed.tenant.get(), parsed.min_alive), (7, 1));
        assert_eq!(
            Liveness::parse(Some("7"), Some("t"), Some("1000"))
                .unwrap()
                .min_alive,
            1000
        );
        for (tenant, tag, min) in [
            (None, Some("t"), None),
            (Some("7"), None, None),
            (Some("x"), Some("t"), None),
            (Some("7"), Some(""), None),
            (Some("7"), Some(&"t".repeat(56)[..]), None),
            (Some("7"), Some("t"), Some("0")),
            (Some("7"), Some("t"), Some("1001")),
            (Some("7"), Some("t"), Some("-1")),
        ] {
            assert!(
                Liveness::parse(tenant, tag, min).is_err(),
                "{tenant:?} {tag:?} {min:?}"
            );
        }
        assert!(
            Liveness::parse(Some("7"), Some(&"é".repeat(55)[..]), None).is_ok(),
            "characters, not bytes"
        );
    }
}
