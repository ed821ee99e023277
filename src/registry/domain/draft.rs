//! Request documents before and after the rules: what a client sent, in any wire format,
//! and the service (or replacement) it describes once every field has parsed.

use super::service::{Description, ReleaseState, Service, ServiceId, ServiceName, ServiceType};
use crate::registry::error::{RegistryError as Error, Result};

/// The fields of a `registerService` document as they arrived, in any wire format, before
/// any rule is applied. `None` means the field was absent (or JSON `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceDraft {
    pub id: Option<String>,
    pub service_name: Option<String>,
    pub service_type: Option<String>,
    pub release_state: Option<String>,
    pub description: Option<String>,
}

/// A validated PUT body: the path id is authoritative and `release_state: None` keeps the
/// stored state (so editing a decommissioned service need not restate it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUpdate {
    pub id: ServiceId,
    pub name: ServiceName,
    pub service_type: ServiceType,
    pub release_state: Option<ReleaseState>,
    pub description: Option<Description>,
    /// Keystone v3's switch; `None` (HP-IDM's writes) leaves it as it is.
    pub enabled: Option<bool>,
}

impl ServiceDraft {
    /// Rules for `POST`: id required, release state defaults to `restricted`.
    pub fn into_new_service(self) -> Result<Service> {
        let raw_id = self
            .id
            .as_deref()
            .ok_or_else(|| Error::invalid("id is required: a numeric id chosen by the client"))?;
        let id = ServiceId::parse("id", raw_id)?;
        let fields = self.common_fields()?;
        Ok(Service {
            id,
            name: fields.name,
            service_type: fields.service_type,
            release_state: fields.release_state.unwrap_or(ReleaseState::Restricted),
            description: fields.description,
            enabled: true,
        })
    }

    /// Rules for `PUT`: a full replacement of the service at `path_id`; a body id, when
    /// present, must name the same service.
    pub fn into_update(self, path_id: ServiceId) -> Result<ServiceUpdate> {
        if let Some(raw_id) = self.id.as_deref() {
            let body_id = ServiceId::parse("id", raw_id)?;
            if body_id != path_id {
                return Err(Error::invalid(format!(
                    "id {body_id} in the body does not match id {path_id} in the URL"
                )));
            }
        }
        let fields = self.common_fields()?;
        Ok(ServiceUpdate {
            id: path_id,
            name: fields.name,
            service_type: fields.service_type,
            release_state: fields.release_state,
            description: fields.description,
            enabled: None,
        })
    }

    fn common_fields(&self) -> Result<CommonFields> {
        let name = self
            .service_name
            .as_deref()
            .ok_or_else(|| Error::invalid("serviceName is required"))
            .and_then(ServiceName::parse)?;
        let service_type = self
            .service_type
            .as_deref()
            .ok_or_else(|| Error::invalid("serviceType is required"))
            .and_then(ServiceType::parse)?;
        let release_state = self
            .release_state
            .as_deref()
            .map(ReleaseState::parse)
            .transpose()?;
        let description = self
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?;
        Ok(CommonFields {
            name,
            service_type,
            release_state,
            description,
        })
    }
}

struct CommonFields {
    name: ServiceName,
    service_type: ServiceType,
    release_state: Option<ReleaseState>,
    description: Option<Description>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(id: &str, name: &str) -> ServiceDraft {
        ServiceDraft {
            id: Some(id.into()),
            service_name: Some(name.into()),
            service_type: Some("compute".into()),
            ..ServiceDraft::default()
        }
    }

    #[test]
    fn register_defaults_state_and_requires_fields() {
        let service = draft("5", "Nova").into_new_service().unwrap();
        assert_eq!(service.release_state, ReleaseState::Restricted);
        let no_id = ServiceDraft {
            id: None,
            ..draft("5", "Nova")
        };
        assert!(no_id.into_new_service().is_err());
        let no_type = ServiceDraft {
            service_type: None,
            ..draft("5", "Nova")
        };
        assert!(no_type.into_new_service().is_err());
    }

    #[test]
    fn update_rejects_a_body_id_that_differs_from_the_path() {
        let path = ServiceId::parse("serviceId", "5").unwrap();
        assert!(draft("5", "Nova").into_update(path).is_ok());
        assert!(draft("6", "Nova").into_update(path).is_err());
        let no_id = ServiceDraft {
            id: None,
            ..draft("5", "Nova")
        };
        assert_eq!(no_id.into_update(path).unwrap().release_state, None);
    }
}
