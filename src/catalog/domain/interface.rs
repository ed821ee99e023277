//! Keystone v3's view of a template: one endpoint per interface, each with its own
//! `enabled` switch.

use std::fmt;

use crate::catalog::error::{CatalogError as Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Interface {
    Public,
    Internal,
    Admin,
}

impl Interface {
    pub const ALL: [Interface; 3] = [Interface::Public, Interface::Internal, Interface::Admin];

    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "public" => Ok(Self::Public),
            "internal" => Ok(Self::Internal),
            "admin" => Ok(Self::Admin),
            _ => Err(Error::invalid(format!(
                "interface is public, internal or admin, got '{}'",
                crate::platform::text::printable(raw)
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which interfaces of a template are enabled. HP-IDM's writes leave them as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switches {
    pub public: bool,
    pub internal: bool,
    pub admin: bool,
}

impl Default for Switches {
    fn default() -> Self {
        Self {
            public: true,
            internal: true,
            admin: true,
        }
    }
}

impl Switches {
    pub fn get(self, interface: Interface) -> bool {
        match interface {
            Interface::Public => self.public,
            Interface::Internal => self.internal,
            Interface::Admin => self.admin,
        }
    }
}
