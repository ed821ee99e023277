//! Version discovery: `GET /` lists both versions (300), `GET /v3` and `GET /v2.0` each
//! describe their own (v2.0 also in XML, in the common API namespace), and `GET
//! /v2.0/extensions` lists v2.0's extensions. Links are absolute, from the request's host.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::platform::http::xml::XmlWriter;
use crate::platform::http::Representation;

pub const COMMON_NS: &str = "http://docs.openstack.org/common/api/v1.0";

/// One version of the API, as both documents describe it.
#[derive(Clone, Copy)]
pub struct Version {
    pub id: &'static str,
    pub status: &'static str,
    pub updated: &'static str,
    /// Where it lives, under the server's URL (`/v3/`).
    pub path: &'static str,
    pub media_type: &'static str,
}

impl Version {
    pub const V3: Version = Version {
        id: "v3.14",
        status: "stable",
        updated: "2020-04-07T00:00:00Z",
        path: "/v3/",
        media_type: "application/vnd.openstack.identity-v3+json",
    };

    pub const V2: Version = Version {
        id: "v2.0",
        status: "stable",
        updated: "2014-04-17T00:00:00Z",
        path: "/v2.0/",
        media_type: "application/vnd.openstack.identity-v2.0+json",
    };

    fn json(&self, base: &str) -> VersionJson {
        VersionJson {
            id: self.id,
            status: self.status,
            updated: self.updated,
            links: [Link {
                rel: "self",
                href: format!("{base}{}", self.path),
            }],
            media_types: [MediaType {
                base: "application/json",
                media_type: self.media_type,
            }],
        }
    }
}

#[derive(Serialize)]
struct VersionJson {
    id: &'static str,
    status: &'static str,
    updated: &'static str,
    links: [Link; 1],
    #[serde(rename = "media-types")]
    media_types: [MediaType; 1],
}

#[derive(Serialize)]
struct Link {
    rel: &'static str,
    href: String,
}

#[derive(Serialize)]
struct MediaType {
    base: &'static str,
    #[serde(rename = "type")]
    media_type: &'static str,
}

/// `{"versions": {"values": [...]}}`, newest first.
pub struct Versions {
    pub base: String,
}

impl Serialize for Versions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Values {
            values: [VersionJson; 2],
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(
            "versions",
            &Values {
                values: [Version::V3.json(&self.base), Version::V2.json(&self.base)],
            },
        )?;
        map.end()
    }
}

/// `{"version": {...}}` / `<version xmlns=common>`: one version's own document.
pub struct VersionDocument {
    pub version: Version,
    pub base: String,
}

impl Serialize for VersionDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("version", &self.version.json(&self.base))?;
        map.end()
    }
}

impl Representation for VersionDocument {
    fn write_xml(&self, xml: &mut XmlWriter) {
        let version = &self.version;
        xml.open("version", Some(COMMON_NS))
            .attribute("id", version.id)
            .attribute("status", version.status)
            .attribute("updated", version.updated)
            .close_start();
        xml.open("media-types", None).close_start();
        xml.open("media-type", None)
            .attribute("base", "application/json")
            .attribute("type", version.media_type)
            .empty();
        xml.open("media-type", None)
            .attribute("base", "application/xml")
            .attribute("type", &version.media_type.replace("+json", "+xml"))
            .empty();
        xml.end("media-types");
        xml.open("links", None).close_start();
        xml.open("link", None)
            .attribute("rel", "self")
            .attribute("href", &format!("{}{}", self.base, version.path))
            .empty();
        xml.end("links").end("version");
    }
}

/// One extension of v2.0.
struct Extension {
    name: &'static str,
    alias: &'static str,
    namespace: &'static str,
    updated: &'static str,
    description: &'static str,
}

const EXTENSIONS: [Extension; 2] = [
    Extension {
        name: "HP Identity Management",
        alias: "HP-IDM",
        namespace: crate::identity::HP_IDM_NS,
        updated: "2012-03-01T00:00:00Z",
        description: "Registered services, endpoint templates and tenants' endpoints \
                      (/v2.0/HP-IDM/v1.0), access-key credentials and token revocation.",
    },
    Extension {
        name: "Rackspace API Key Authentication",
        alias: "RAX-KSKEY",
        namespace: crate::identity::RAX_KSKEY_NS,
        updated: "2011-01-22T13:25:27-06:00",
        description: "Authentication with a user name and an API key \
                      (RAX-KSKEY:apiKeyCredentials).",
    },
];

/// `{"extensions": {"values": [...]}}` / `<extensions xmlns=common>`.
pub struct Extensions;

impl Serialize for Extensions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct ExtensionJson {
            name: &'static str,
            alias: &'static str,
            namespace: &'static str,
            updated: &'static str,
            description: &'static str,
            links: [(); 0],
        }
        #[derive(Serialize)]
        struct Values {
            values: Vec<ExtensionJson>,
        }
        let values = EXTENSIONS
            .iter()
            .map(|e| ExtensionJson {
                name: e.name,
                alias: e.alias,
                namespace: e.namespace,
                updated: e.updated,
                description: e.description,
                links: [],
            })
            .collect();
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("extensions", &Values { values })?;
        map.end()
    }
}

impl Representation for Extensions {
    fn write_xml(&self, xml: &mut XmlWriter) {
        xml.open("extensions", Some(COMMON_NS)).close_start();
        for extension in &EXTENSIONS {
            xml.open("extension", None)
                .attribute("name", extension.name)
                .attribute("alias", extension.alias)
                .attribute("namespace", extension.namespace)
                .attribute("updated", extension.updated)
                .close_start()
                .text_element("description", extension.description)
                .end("extension");
        }
        xml.end("extensions");
    }
}
