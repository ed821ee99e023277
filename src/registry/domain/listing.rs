//! Paging rules of the list operation: keyset pages after a marker id.

use super::{ServiceId, ServiceType};
use crate::registry::error::{RegistryError as Error, Result};

/// Number of services on one page: 1 ..= [`PageLimit::MAX`], default [`PageLimit::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageLimit(u16);

impl PageLimit {
    pub const DEFAULT: PageLimit = PageLimit(100);
    pub const MAX: u16 = 1000;

    /// Non-numeric or non-positive → 400; above the maximum → 413 `overLimit`, as the
    /// API family does for oversized limits.
    pub fn parse(raw: &str) -> Result<Self> {
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(format!(
                "limit must be a positive integer, got '{}'",
                raw.chars().take(32).collect::<String>()
            )));
        }
        let trimmed = raw.trim_start_matches('0');
        match trimmed.parse::<u64>() {
            _ if trimmed.is_empty() => Err(Error::invalid("limit must be greater than zero")),
            Ok(value) if value <= u64::from(Self::MAX) => Ok(Self(value as u16)),
            _ => Err(Error::LimitTooLarge { max: Self::MAX }),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// One page request of `GET /services`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// Id of the last service of the previous page; the page starts after it.
    pub marker: Option<ServiceId>,
    pub limit: PageLimit,
    pub service_type: Option<ServiceType>,
}

impl PageRequest {
    /// Empty values count as absent: the seed says "for getting list from beginning, pass
    /// no value", and clients send `marker=` for that.
    pub fn parse(
        limit: Option<&str>,
        marker: Option<&str>,
        service_type: Option<&str>,
    ) -> Result<Self> {
        Ok(Self {
            limit: non_empty(limit)
                .map(PageLimit::parse)
                .transpose()?
                .unwrap_or(PageLimit::DEFAULT),
            marker: non_empty(marker)
                .map(|m| ServiceId::parse("marker", m))
                .transpose()?,
            service_type: non_empty(service_type)
                .map(ServiceType::parse)
                .transpose()?,
        })
    }
}

/// A page of services in id order, and whether more follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_to_100_and_stop_at_1000() {
        let parse = |l| PageRequest::parse(l, None, None).map(|r| r.limit.get());
        assert_eq!(parse(None).unwrap(), 100);
        assert_eq!(parse(Some("")).unwrap(), 100);
        assert_eq!(parse(Some("1000")).unwrap(), 1000);
        assert_eq!(parse(Some("007")).unwrap(), 7);
        assert!(matches!(
            parse(Some("1001")),
            Err(Error::LimitTooLarge { .. })
        ));
        assert!(matches!(
            parse(Some("99999999999999999999999")),
            Err(Error::LimitTooLarge { .. })
        ));
        for bad in ["0", "000", "-1", "ten", "1.5", " 5"] {
            assert!(
                matches!(parse(Some(bad)), Err(Error::Invalid(_))),
                "accepted {bad:?}"
            );
        }
    }

    #[test]
    fn markers_are_service_ids() {
        let parse = |m| PageRequest::parse(None, m, None).map(|r| r.marker.map(ServiceId::get));
        assert_eq!(parse(Some("120")).unwrap(), Some(120));
        assert_eq!(parse(Some("")).unwrap(), None);
        assert!(parse(Some("0")).is_err());
        assert!(parse(Some("abc")).is_err());
    }
}
