//! Endpoint templates: where a registered service is reached, per region, and which
//! tenants see it. Types that can only hold valid values.

use std::fmt;

mod interface;
mod liveness;

pub use interface::{Interface, Switches};
pub use liveness::Liveness;

use super::error::{CatalogError as Error, Result};
use crate::platform::text::{forbidden_character, printable};
use crate::registry::domain::{ReleaseState, Service, ServiceName, ServiceType};

/// Longest URL, region or version field, in characters.
const MAX_URL_CHARS: usize = 2048;
const MAX_REGION_CHARS: usize = 255;

/// A client-chosen numeric id: 1 ..= i64::MAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TemplateId(i64);

impl TemplateId {
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        match raw.parse::<i64>() {
            Ok(value) if value > 0 && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(Self(value)),
            _ => Err(Error::invalid(format!(
                "{field} must be a positive integer made of digits only, got '{}'",
                printable(raw)
            ))),
        }
    }

    pub(in crate::catalog) fn from_stored(value: i64) -> Self {
        Self(value)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Text a catalog hands out: no control characters, no surrounding spaces, bounded.
fn catalog_text(field: &str, raw: &str, max: usize, spaces: bool) -> Result<String> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(Error::invalid(format!(
            "{field} must have 1 to {max} characters"
        )));
    }
    if forbidden_character(text, false).is_some() || (!spaces && text.contains(' ')) {
        return Err(Error::invalid(format!(
            "{field} may not contain control characters{}",
            if spaces { "" } else { " or spaces" }
        )));
    }
    Ok(text.to_owned())
}

/// Where an interface answers. `%tenant_id%` (or Keystone's `$(tenant_id)s`) becomes the
/// tenant's id in a scoped catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(String);

impl EndpointUrl {
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        catalog_text(field, raw, MAX_URL_CHARS, false).map(Self)
    }

    pub(in crate::catalog) fn from_stored(url: String) -> Self {
        Self(url)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL for `tenant`; without a tenant, as written.
    pub fn for_tenant(&self, tenant: Option<&str>) -> String {
        match tenant {
            Some(tenant) => self
                .0
                .replace("%tenant_id%", tenant)
                .replace("$(tenant_id)s", tenant),
            None => self.0.clone(),
        }
    }
}

/// Free text naming a region (`az-1.region-a.geo-1`); matched exactly by clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region(String);

impl Region {
    pub fn parse(raw: &str) -> Result<Self> {
        catalog_text("region", raw, MAX_REGION_CHARS, true).map(Self)
    }

    pub(in crate::catalog) fn from_stored(region: String) -> Self {
        Self(region)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version {
    pub id: Option<String>,
    pub info: Option<String>,
    pub list: Option<String>,
}

impl Version {
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.info.is_none() && self.list.is_none()
    }

    pub fn parse(id: Option<&str>, info: Option<&str>, list: Option<&str>) -> Result<Self> {
        let field = |name: &str, raw: Option<&str>| {
            raw.map(|raw| catalog_text(name, raw, MAX_URL_CHARS, true))
                .transpose()
        };
        Ok(Self {
            id: field("version id", id)?,
            info: field("version info", info)?,
            list: field("version list", list)?,
        })
    }
}

/// The registered service a template belongs to, as the registry has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateService {
    pub name: ServiceName,
    pub service_type: ServiceType,
    pub release_state: ReleaseState,
    pub enabled: bool,
}

impl From<&Service> for TemplateService {
    fn from(service: &Service) -> Self {
        Self {
            name: service.name.clone(),
            service_type: service.service_type.clone(),
            release_state: service.release_state,
            enabled: service.enabled,
        }
    }
}

/// The fields every template has, whatever its service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFields {
    pub id: TemplateId,
    pub region: Option<Region>,
    pub public_url: EndpointUrl,
    pub public_url2: Option<EndpointUrl>,
    pub internal_url: Option<EndpointUrl>,
    pub admin_url: Option<EndpointUrl>,
    pub global: bool,
    pub enabled: bool,
    pub version: Version,
    pub liveness: Option<Liveness>,
}

/// A stored template with its service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTemplate {
    pub fields: TemplateFields,
    pub service_id: crate::registry::domain::ServiceId,
    pub release_state: ReleaseState,
    pub service: TemplateService,
    /// Which of its interfaces (Keystone v3's endpoints) are enabled.
    pub switches: Switches,
    /// How many of its fleet's services are alive, when it is bound and was counted.
    pub alive: Option<u64>,
}

impl EndpointTemplate {
    /// Templates whose service (or themselves) are decommissioned stay out of catalogs;
    /// disabled ones too, and those of a disabled service or with the public interface
    /// disabled (a v2.0 entry is its public URL first).
    pub fn in_catalog(&self) -> bool {
        self.fields.enabled
            && self.service.enabled
            && self.switches.public
            && self.service.release_state != ReleaseState::Decommissioned
            && self.release_state != ReleaseState::Decommissioned
    }

    /// The URL of an interface, if the template has it.
    pub fn url(&self, interface: Interface) -> Option<&EndpointUrl> {
        match interface {
            Interface::Public => Some(&self.fields.public_url),
            Interface::Internal => self.fields.internal_url.as_ref(),
            Interface::Admin => self.fields.admin_url.as_ref(),
        }
    }

    /// v3's `enabled` of an interface's endpoint: its own switch, and the template's
    /// (neither decommissioned nor disabled through HP-IDM).
    pub fn endpoint_enabled(&self, interface: Interface) -> bool {
        self.switches.get(interface)
            && self.fields.enabled
            && self.release_state != ReleaseState::Decommissioned
            && self.service.release_state != ReleaseState::Decommissioned
    }

    /// Whether an interface's URL is in catalogs: the template is, and the interface is
    /// switched on.
    pub fn serves(&self, interface: Interface) -> bool {
        self.in_catalog() && self.switches.get(interface) && self.url(interface).is_some()
    }
}

/// A request document's fields as they arrived, before any rule.
#[derive(Debug, Clone, Default)]
pub struct TemplateDraft {
    pub id: Option<String>,
    pub name: Option<String>,
    pub service_type: Option<String>,
    pub region: Option<String>,
    pub public_url: Option<String>,
    pub public_url2: Option<String>,
    pub internal_url: Option<String>,
    pub admin_url: Option<String>,
    pub global: Option<bool>,
    pub enabled: Option<bool>,
    pub release_state: Option<String>,
    pub version_id: Option<String>,
    pub version_info: Option<String>,
    pub version_list: Option<String>,
    /// The binding's fields (tenantId, tag, minAlive) when the document has one.
    pub liveness: Option<[Option<String>; 3]>,
}

/// A template request that passed every rule that needs no database: the service is
/// named, not yet looked up.
#[derive(Debug, Clone)]
pub struct TemplateRequest {
    pub fields: TemplateFields,
    pub name: ServiceName,
    pub service_type: ServiceType,
    pub release_state: Option<ReleaseState>,
}

impl TemplateDraft {
    /// `path_id`: the id of the URL for PUT (a body id must then match it); POST needs a
    /// body id.
    pub fn parse(self, path_id: Option<TemplateId>) -> Result<TemplateRequest> {
        let body_id = self
            .id
            .as_deref()
            .map(|raw| TemplateId::parse("id", raw))
            .transpose()?;
        let id = match (path_id, body_id) {
            (Some(path), Some(body)) if path != body => {
                return Err(Error::invalid(format!(
                    "id {body} in the body does not match id {path} in the URL"
                )))
            }
            (Some(path), _) => path,
            (None, Some(body)) => body,
            (None, None) => {
                return Err(Error::invalid(
                    "id is required: a numeric id chosen by the client",
                ))
            }
        };
        let required = |value: Option<String>, field: &str| {
            value.ok_or_else(|| Error::invalid(format!("{field} is required")))
        };
        let url = |value: Option<String>, field: &str| {
            value.map(|raw| EndpointUrl::parse(field, &raw)).transpose()
        };
        let name = ServiceName::parse(&required(self.name, "name")?)
            .map_err(|e| Error::invalid(e.to_string().replace("serviceName", "name")))?;
        let service_type = ServiceType::parse(&required(self.service_type, "type")?)
            .map_err(|e| Error::invalid(e.to_string().replace("serviceType", "type")))?;
        let release_state = self
            .release_state
            .as_deref()
            .map(ReleaseState::parse)
            .transpose()?;
        Ok(TemplateRequest {
            fields: TemplateFields {
                id,
                region: self.region.as_deref().map(Region::parse).transpose()?,
                public_url: EndpointUrl::parse(
                    "publicURL",
                    &required(self.public_url, "publicURL")?,
                )?,
                public_url2: url(self.public_url2, "publicURL2")?,
                internal_url: url(self.internal_url, "internalURL")?,
                admin_url: url(self.admin_url, "adminURL")?,
                global: self.global.unwrap_or(false),
                enabled: self.enabled.unwrap_or(true),
                version: Version::parse(
                    self.version_id.as_deref(),
                    self.version_info.as_deref(),
                    self.version_list.as_deref(),
                )?,
                liveness: self
                    .liveness
                    .map(|[tenant, tag, min]| {
                        Liveness::parse(tenant.as_deref(), tag.as_deref(), min.as_deref())
                    })
                    .transpose()?,
            },
            name,
            service_type,
            release_state,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_take_the_tenant_in_either_placeholder() {
        let url =
            EndpointUrl::parse("publicURL", "https://a/v1/%tenant_id%/x/$(tenant_id)s").unwrap();
        assert_eq!(url.for_tenant(Some("7")), "https://a/v1/7/x/7");
        assert_eq!(
            url.for_tenant(None),
            "https://a/v1/%tenant_id%/x/$(tenant_id)s"
        );
        assert!(EndpointUrl::parse("publicURL", "https://a b").is_err());
        assert!(EndpointUrl::parse("publicURL", "").is_err());
        assert!(
            EndpointUrl::parse("publicURL", "https://a\n").is_ok(),
            "trimmed"
        );
        assert!(EndpointUrl::parse("publicURL", "https://a\u{7}b").is_err());
    }

    #[test]
    fn drafts_need_an_id_a_service_and_a_public_url() {
        let draft = || TemplateDraft {
            id: Some("1".into()),
            name: Some("Nova".into()),
            service_type: Some("compute".into()),
            public_url: Some("https://nova/v1/%tenant_id%".into()),
            ..TemplateDraft::default()
        };
        let parsed = draft().parse(None).unwrap();
        assert!(!parsed.fields.global && parsed.fields.enabled);
        let without_id = TemplateDraft {
            id: None,
            ..draft()
        };
        assert!(without_id.clone().parse(None).is_err());
        assert!(without_id.parse(Some(TemplateId(1))).is_ok());
        assert!(draft().parse(Some(TemplateId(2))).is_err());
        let broken = [
            TemplateDraft {
                public_url: None,
                ..draft()
            },
            TemplateDraft {
                name: None,
                ..draft()
            },
            TemplateDraft {
                release_state: Some("gone".into()),
                ..draft()
            },
        ];
        for draft in broken {
            assert!(draft.parse(None).is_err());
        }
    }
}
