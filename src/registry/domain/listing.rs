//! Paging rules of the list operation: HP-IDM's keyset pages after a marker id.

use super::{ServiceId, ServiceType};
use crate::platform::paging::{PageSize, HP_IDM};
use crate::registry::error::Result;

/// One page request of `GET /services`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// Id of the last service of the previous page; the page starts after it.
    pub marker: Option<ServiceId>,
    pub size: PageSize,
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
            size: HP_IDM.limit(non_empty(limit))?,
            marker: non_empty(marker)
                .map(|m| ServiceId::parse("marker", m))
                .transpose()?,
            service_type: non_empty(service_type)
                .map(ServiceType::parse)
                .transpose()?,
        })
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::paging::LimitError;
    use crate::registry::RegistryError as Error;

    #[test]
    fn limits_default_to_100_and_stop_at_1000() {
        let parse = |l| PageRequest::parse(l, None, None).map(|r| r.size.get());
        assert_eq!(parse(None).unwrap(), 100);
        assert_eq!(parse(Some("")).unwrap(), 100);
        assert_eq!(parse(Some("1000")).unwrap(), 1000);
        assert_eq!(parse(Some("007")).unwrap(), 7);
        assert!(matches!(
            parse(Some("1001")),
            Err(Error::Limit(LimitError::TooLarge { .. }))
        ));
        assert!(matches!(
            parse(Some("99999999999999999999999")),
            Err(Error::Limit(LimitError::TooLarge { .. }))
        ));
        for bad in ["0", "000", "-1", "ten", "1.5", " 5"] {
            assert!(
                matches!(parse(Some(bad)), Err(Error::Limit(_) | Error::Invalid(_))),
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
