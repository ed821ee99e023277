//! The bodies of v3's administrative writes, read into the subsystems' domain values.
//! A key may be absent (kept, in a PATCH) or `null` (cleared, where the field may be
//! empty); attributes Keystone would store as extras are ignored.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::DOMAIN_ID;
use crate::catalog::domain::{EndpointUrl, Interface, Region};
use crate::catalog::RegionChanges;
use crate::identity::{
    parse_description, parse_email, parse_user_description, NewUser, PrincipalName, Secret,
    TenantChanges, TenantId, TenantName, UserChanges,
};
use crate::keystone::error::{KeystoneError as Error, Result};
use crate::platform::http::strict_json;
use crate::platform::text::printable;
use crate::registry::domain::{Description, ServiceName, ServiceType};

/// A key that was present, `null` included (`Option<Value>` alone reads `null` as absent).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// `{"<key>": {...}}` as `T`.
fn envelope<T: DeserializeOwned>(body: &[u8], key: &str) -> Result<T> {
    let mut document = strict_json::parse(body)
        .map_err(|e| Error::invalid(format!("malformed JSON body: {e}")))?;
    let inner = document
        .as_object_mut()
        .and_then(|members| members.remove(key))
        .filter(Value::is_object)
        .ok_or_else(|| Error::invalid(format!("the body must be {{\"{key}\": {{...}}}}")))?;
    T::deserialize(strict_json::Strict(&inner)).map_err(|e| Error::invalid(format!("{key}: {e}")))
}

/// A field that is a string or `null`: `Some(None)` for `null`.
fn nullable_text(field: &str, value: Option<Value>) -> Result<Option<Option<String>>> {
    match value {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) => Ok(Some(Some(text))),
        Some(_) => Err(Error::invalid(format!("{field} must be a string or null"))),
    }
}

fn flag(field: &str, value: Option<Value>) -> Result<Option<bool>> {
    match value {
        None => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(flag)),
        Some(_) => Err(Error::invalid(format!("{field} must be true or false"))),
    }
}

/// `domain_id`, when given, must name the one domain: another id is a domain that is not
/// found (404, as Keystone answers), anything but a string a 400.
fn in_domain(value: Option<Value>) -> Result<()> {
    match value {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(id)) if id == DOMAIN_ID => Ok(()),
        Some(Value::String(id)) => Err(Error::not_found("domain", printable(&id))),
        Some(_) => Err(Error::invalid("domain_id must be a string")),
    }
}

#[derive(Deserialize)]
struct ServiceBody {
    #[serde(rename = "type")]
    service_type: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    enabled: Option<Value>,
}

/// A v3 service create or change, with the registry's rules.
pub struct ServiceFields {
    pub service_type: Option<ServiceType>,
    pub name: Option<ServiceName>,
    pub description: Option<Option<Description>>,
    pub enabled: Option<bool>,
}

pub fn decode_service(body: &[u8], creating: bool) -> Result<ServiceFields> {
    let body: ServiceBody = envelope(body, "service")?;
    if creating && body.service_type.is_none() {
        return Err(Error::invalid("service.type is required"));
    }
    if creating && body.name.is_none() {
        return Err(Error::invalid(
            "service.name is required: the registry's services are named, uniquely",
        ));
    }
    Ok(ServiceFields {
        service_type: body
            .service_type
            .as_deref()
            .map(ServiceType::parse)
            .transpose()?,
        name: body.name.as_deref().map(ServiceName::parse).transpose()?,
        description: nullable_text("service.description", body.description)?
            .map(|text| {
                text.filter(|t| !t.is_empty())
                    .map(|t| Description::parse(&t))
                    .transpose()
            })
            .transpose()?,
        enabled: flag("service.enabled", body.enabled)?,
    })
}

#[derive(Deserialize)]
struct EndpointBody {
    service_id: Option<String>,
    interface: Option<String>,
    url: Option<String>,
    region_id: Option<String>,
    region: Option<String>,
    #[serde(default, deserialize_with = "present")]
    enabled: Option<Value>,
}

/// A v3 endpoint create or change. `legacy_region`: named by `region` only, which
/// creates the region if need be (Keystone's behaviour for that attribute).
pub struct EndpointFields {
    pub service_id: Option<String>,
    pub interface: Option<Interface>,
    pub url: Option<EndpointUrl>,
    pub region: Option<Region>,
    pub legacy_region: bool,
    pub enabled: Option<bool>,
}

pub fn decode_endpoint(body: &[u8]) -> Result<EndpointFields> {
    let body: EndpointBody = envelope(body, "endpoint")?;
    let (region, legacy_region) = match (body.region_id, body.region) {
        (Some(id), _) => (Some(Region::parse(&id)?), false),
        (None, Some(legacy)) => (Some(Region::parse(&legacy)?), true),
        (None, None) => (None, false),
    };
    Ok(EndpointFields {
        service_id: body.service_id,
        interface: body
            .interface
            .as_deref()
            .map(Interface::parse)
            .transpose()?,
        url: body
            .url
            .as_deref()
            .map(|url| EndpointUrl::parse("endpoint.url", url))
            .transpose()?,
        region,
        legacy_region,
        enabled: flag("endpoint.enabled", body.enabled)?,
    })
}

#[derive(Deserialize)]
struct RegionBody {
    id: Option<String>,
    description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    parent_region_id: Option<Value>,
}

pub struct RegionFields {
    pub id: Option<Region>,
    pub description: Option<String>,
    pub parent: Option<Option<Region>>,
}

impl RegionFields {
    pub fn changes(self) -> RegionChanges {
        RegionChanges {
            description: self.description,
            parent: self.parent,
        }
    }
}

pub fn decode_region(body: &[u8]) -> Result<RegionFields> {
    let body: RegionBody = envelope(body, "region")?;
    let description = body
        .description
        .map(|text| parse_description(&text))
        .transpose()
        .map_err(Error::Identity)?;
    let parent = nullable_text("region.parent_region_id", body.parent_region_id)?
        .map(|parent| parent.as_deref().map(Region::parse).transpose())
        .transpose()?;
    Ok(RegionFields {
        id: body.id.as_deref().map(Region::parse).transpose()?,
        description,
        parent,
    })
}

#[derive(Deserialize)]
struct ProjectBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    enabled: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    domain_id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    parent_id: Option<Value>,
    #[serde(default)]
    is_domain: bool,
}

/// A project (tenant) create or change, with the tenants' rules for both APIs.
pub fn decode_project(body: &[u8]) -> Result<TenantChanges> {
    let body: ProjectBody = envelope(body, "project")?;
    in_domain(body.domain_id)?;
    in_domain(body.parent_id)?;
    if body.is_domain {
        return Err(Error::invalid(
            "the registry has one domain: a project cannot be a domain",
        ));
    }
    let description = nullable_text("project.description", body.description)?
        .map(|text| {
            text.filter(|t| !t.is_empty())
                .map(|t| parse_description(&t))
                .transpose()
        })
        .transpose()?;
    Ok(TenantChanges {
        name: body.name.as_deref().map(TenantName::parse).transpose()?,
        description,
        enabled: flag("project.enabled", body.enabled)?,
    })
}

#[derive(Deserialize)]
struct UserBody {
    name: Option<String>,
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    default_project_id: Option<Value>,
    /// Keystone's older name for `default_project_id`, still sent by some clients.
    #[serde(default, deserialize_with = "present")]
    project_id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    enabled: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    domain_id: Option<Value>,
}

/// A user create or change, with the principals' rules (names of 1 to 64 letters,
/// digits, `_ . @ -`, unique case-insensitively).
pub fn decode_user(body: &[u8]) -> Result<UserChanges> {
    let body: UserBody = envelope(body, "user")?;
    in_domain(body.domain_id)?;
    let text =
        |field: &str,
         value,
         parse: fn(&str) -> std::result::Result<String, crate::identity::IdentityError>| {
            nullable_text(field, value)?
                .map(|text| {
                    text.filter(|t| !t.is_empty())
                        .map(|t| parse(&t))
                        .transpose()
                })
                .transpose()
                .map_err(Error::Identity)
        };
    let default_project = body.default_project_id.or(body.project_id);
    let default_tenant = nullable_text("user.default_project_id", default_project)?
        .map(|id| id.as_deref().map(TenantId::parse).transpose())
        .transpose()?;
    Ok(UserChanges {
        name: body.name.as_deref().map(PrincipalName::parse).transpose()?,
        password: body.password.as_deref().map(Secret::password).transpose()?,
        email: text("user.email", body.email, parse_email)?,
        description: text("user.description", body.description, parse_user_description)?,
        default_tenant,
        enabled: flag("user.enabled", body.enabled)?,
    })
}

/// A create's fields: a name is required.
pub fn new_user(changes: UserChanges) -> Result<NewUser> {
    Ok(NewUser {
        name: changes
            .name
            .ok_or_else(|| Error::invalid("user.name is required"))?,
        password: changes.password,
        email: changes.email.flatten(),
        description: changes.description.flatten(),
        default_tenant: changes.default_tenant.flatten(),
        enabled: changes.enabled.unwrap_or(true),
    })
}

#[derive(Deserialize)]
struct PasswordBody {
    password: String,
    original_password: String,
}

/// `{"user": {"password", "original_password"}}`: the new password and the proof.
pub fn decode_password_change(body: &[u8]) -> Result<(Secret, Secret)> {
    let body: PasswordBody = envelope(body, "user")?;
    Ok((
        Secret::password(&body.password)?,
        Secret::presented(&body.original_password),
    ))
}
