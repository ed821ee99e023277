//! The seed's wire shapes of registered services. JSON field order is the seed's
//! (alphabetical), `id` is a string, `otherAttributes` is always `{}` and the list wrapper
//! carries `"anies": null`. XML attribute order follows the seed too.

use serde::{Serialize, Serializer};

use super::domain::{Service, ServiceId};
use crate::platform::http::xml::XmlWriter;
use crate::platform::http::Representation;

pub const SERVICES_NS: &str = "http://www.hp.com/identity/api/ext/HP-IDM/v1.0";

/// Typical size of one service on the wire, to size the output buffer once.
const SERVICE_BYTES: usize = 200;

/// One service: `{"registerService": {...}}` or `<registerService .../>`.
pub struct ServiceView(pub Service);

/// A page of services: `{"registerServices": {...}}` or `<registerServices>...`.
pub struct ServicePage(pub Vec<Service>);

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct ServiceJson<'a> {
    description: Option<&'a str>,
    #[serde(serialize_with = "as_string")]
    id: ServiceId,
    #[serde(rename = "otherAttributes")]
    other_attributes: Empty,
    #[serde(rename = "releaseState")]
    release_state: &'a str,
    #[serde(rename = "serviceName")]
    service_name: &'a str,
    #[serde(rename = "serviceType")]
    service_type: &'a str,
}

impl<'a> From<&'a Service> for ServiceJson<'a> {
    fn from(service: &'a Service) -> Self {
        Self {
            description: service.description.as_ref().map(|d| d.as_str()),
            id: service.id,
            other_attributes: Empty {},
            release_state: service.release_state.as_str(),
            service_name: service.name.as_str(),
            service_type: service.service_type.as_str(),
        }
    }
}

/// The id as a JSON string, written straight into the output (no String per row).
fn as_string<S: Serializer>(id: &ServiceId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

impl Serialize for ServiceView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Envelope<'a> {
            #[serde(rename = "registerService")]
            register_service: ServiceJson<'a>,
        }
        Envelope {
            register_service: (&self.0).into(),
        }
        .serialize(serializer)
    }
}

impl Representation for ServiceView {
    fn write_xml(&self, xml: &mut XmlWriter) {
        write_service(xml, &self.0, Some(SERVICES_NS));
    }
}

impl Serialize for ServicePage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct List<'a> {
            anies: Option<()>,
            #[serde(rename = "otherAttributes")]
            other_attributes: Empty,
            #[serde(rename = "registerService", serialize_with = "each_service")]
            register_service: &'a [Service],
        }
        #[derive(Serialize)]
        struct Envelope<'a> {
            #[serde(rename = "registerServices")]
            register_services: List<'a>,
        }
        Envelope {
            register_services: List {
                anies: None,
                other_attributes: Empty {},
                register_service: &self.0,
            },
        }
        .serialize(serializer)
    }
}

fn each_service<S: Serializer>(services: &&[Service], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(services.iter().map(ServiceJson::from))
}

impl Representation for ServicePage {
    fn write_xml(&self, xml: &mut XmlWriter) {
        xml.list(
            "registerServices",
            Some(SERVICES_NS),
            &self.0,
            |xml, service| {
                write_service(xml, service, None);
            },
        );
    }

    fn size_hint(&self) -> usize {
        128 + self.0.len() * SERVICE_BYTES
    }
}

/// Attribute order follows the seed: id, description, serviceName, serviceType,
/// releaseState. An absent description is an absent attribute.
fn write_service(xml: &mut XmlWriter, service: &Service, namespace: Option<&str>) {
    xml.open("registerService", namespace)
        .attribute_display("id", service.id);
    if let Some(description) = &service.description {
        xml.attribute("description", description.as_str());
    }
    xml.attribute("serviceName", service.name.as_str())
        .attribute("serviceType", service.service_type.as_str())
        .attribute("releaseState", service.release_state.as_str())
        .empty();
}
