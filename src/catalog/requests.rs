//! `endpointTemplate` request documents in JSON or XML, read into a [`TemplateDraft`].

use serde::Deserialize;
use serde_json::Value;

use super::domain::{TemplateDraft, TemplateId};
use super::error::{CatalogError as Error, Result};
use crate::platform::http::{query_string, strict_json, xml, Document};
use crate::platform::paging::{PageSize, HP_IDM};
use crate::registry::domain::ServiceName;
use crate::registry::SERVICES_NS;

pub const DOCUMENT: &str = "endpointTemplate";

/// The namespace of this project's own extension of templates: the `liveness` binding.
pub const LIVENESS_NS: &str = "urn:service-registry:liveness:1.0";

pub fn decode_template(document: &Document) -> Result<TemplateDraft> {
    document.decode(decode_json, decode_xml)
}

/// The template id of an association request: `{"endpointTemplate": {"id": N}}`.
pub fn decode_association(document: &Document) -> Result<TemplateId> {
    let draft = decode_template(document)?;
    let id = draft
        .id
        .ok_or_else(|| Error::invalid("endpointTemplate needs the id of the template"))?;
    TemplateId::parse("id", &id)
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "endpointTemplate")]
    template: Option<TemplateJson>,
    /// HP's own spelling.
    #[serde(rename = "EndpointTemplate")]
    hp_template: Option<TemplateJson>,
}

#[derive(Deserialize)]
struct TemplateJson {
    id: Option<Value>,
    name: Option<String>,
    #[serde(rename = "type")]
    service_type: Option<String>,
    region: Option<String>,
    #[serde(rename = "publicURL")]
    public_url: Option<String>,
    #[serde(rename = "publicURL2")]
    public_url2: Option<String>,
    #[serde(rename = "internalURL")]
    internal_url: Option<String>,
    #[serde(rename = "adminURL")]
    admin_url: Option<String>,
    global: Option<Value>,
    enabled: Option<Value>,
    #[serde(rename = "releaseState")]
    release_state: Option<String>,
    version: Option<VersionJson>,
    liveness: Option<LivenessJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LivenessJson {
    #[serde(rename = "tenantId")]
    tenant_id: Option<Value>,
    tag: Option<Value>,
    #[serde(rename = "minAlive")]
    min_alive: Option<Value>,
}

impl LivenessJson {
    /// Numbers may come as JSON numbers or strings of digits; anything else is refused.
    fn fields(self) -> Result<[Option<String>; 3]> {
        let text = |value: Option<Value>, field: &str| match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(Value::Number(number)) if field != "tag" => Ok(Some(number.to_string())),
            Some(_) => Err(Error::invalid(format!(
                "liveness {field} must be {}",
                if field == "tag" {
                    "a string"
                } else {
                    "a number or a string of digits"
                }
            ))),
        };
        Ok([
            text(self.tenant_id, "tenantId")?,
            text(self.tag, "tag")?,
            text(self.min_alive, "minAlive")?,
        ])
    }
}

#[derive(Deserialize)]
struct VersionJson {
    id: Option<String>,
    info: Option<String>,
    list: Option<String>,
}

fn decode_json(body: &[u8]) -> Result<TemplateDraft> {
    let envelope: Envelope = strict_json::from_slice(body)
        .map_err(|e| Error::invalid(format!("malformed JSON body: {e}")))?;
    let template = envelope.template.or(envelope.hp_template).ok_or_else(|| {
        Error::invalid("the JSON body must be an object with an endpointTemplate member")
    })?;
    let id = match template.id {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id),
        Some(Value::Number(id)) if id.is_u64() => Some(id.to_string()),
        Some(_) => {
            return Err(Error::invalid(
                "id must be a string of digits or an integer",
            ))
        }
    };
    let flag = |value: Option<Value>, field: &str| match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(flag)),
        Some(Value::String(text)) => parse_flag(field, &text).map(Some),
        Some(_) => Err(Error::invalid(format!("{field} must be true or false"))),
    };
    let version = template.version;
    Ok(TemplateDraft {
        id,
        name: template.name,
        service_type: template.service_type,
        region: template.region,
        public_url: template.public_url,
        public_url2: template.public_url2,
        internal_url: template.internal_url,
        admin_url: template.admin_url,
        global: flag(template.global, "global")?,
        enabled: flag(template.enabled, "enabled")?,
        release_state: template.release_state,
        version_id: version.as_ref().and_then(|v| v.id.clone()),
        version_info: version.as_ref().and_then(|v| v.info.clone()),
        version_list: version.and_then(|v| v.list),
        liveness: template.liveness.map(LivenessJson::fields).transpose()?,
    })
}

fn parse_flag(field: &str, text: &str) -> Result<bool> {
    match text {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::invalid(format!("{field} must be true or false"))),
    }
}

/// `<endpointTemplate>` of the HP-IDM namespace: the fields are attributes, the version a
/// `<version id info list/>` child, the binding a `<liveness tenantId tag minAlive/>` child
/// in [`LIVENESS_NS`].
fn decode_xml(body: &[u8]) -> Result<TemplateDraft> {
    let document = xml::read_shallow(body, &[(SERVICES_NS, DOCUMENT)])?;
    let root = &document.root;
    let flag = |field: &str| -> Result<Option<bool>> {
        root.attribute(field)?
            .map(|text| parse_flag(field, &text))
            .transpose()
    };
    let version = document
        .children
        .iter()
        .find(|child| child.is(SERVICES_NS, "version"));
    let liveness = match document
        .children
        .iter()
        .find(|child| child.is(LIVENESS_NS, "liveness"))
    {
        Some(binding) => Some([
            binding.attribute("tenantId")?,
            binding.attribute("tag")?,
            binding.attribute("minAlive")?,
        ]),
        None => None,
    };
    let version_field = |name: &str| -> Result<Option<String>> {
        Ok(match version {
            Some(version) => version.attribute(name)?,
            None => None,
        })
    };
    Ok(TemplateDraft {
        id: root.attribute("id")?,
        name: root.attribute("name")?,
        service_type: root.attribute("type")?,
        region: root.attribute("region")?,
        public_url: root.attribute("publicURL")?,
        public_url2: root.attribute("publicURL2")?,
        internal_url: root.attribute("internalURL")?,
        admin_url: root.attribute("adminURL")?,
        global: flag("global")?,
        enabled: flag("enabled")?,
        release_state: root.attribute("releaseState")?,
        version_id: version_field("id")?,
        version_info: version_field("info")?,
        version_list: version_field("list")?,
        liveness,
    })
}

/// The template list's query string: `limit`, `marker`, `serviceName` (empty: not given).
#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    #[serde(rename = "serviceName")]
    service_name: Option<String>,
}

/// The page of templates a list asks for.
pub struct TemplateListing {
    pub size: PageSize,
    pub marker: Option<TemplateId>,
    pub service_name: Option<ServiceName>,
}

pub fn template_listing(query: &str) -> Result<TemplateListing> {
    let query: ListQuery = query_string(query).map_err(|e| Error::invalid(e.to_string()))?;
    let given = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    Ok(TemplateListing {
        size: HP_IDM.limit(given(&query.limit).as_deref())?,
        marker: given(&query.marker)
            .map(|raw| TemplateId::parse("marker", &raw))
            .transpose()?,
        service_name: given(&query.service_name)
            .map(|raw| ServiceName::parse(&raw))
            .transpose()?,
    })
}
