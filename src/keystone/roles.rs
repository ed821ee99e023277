//! v3's roles are the privilege levels (`SA`, `SVC`, `DA`, `DU`), plus Keystone's default
//! role names, which tools and conformance suites look roles up by: `admin` is SA,
//! `member` and `reader` are DU. Assigning an alias assigns its level; assignments are
//! listed with the level's own role.

use crate::identity::PrivilegeLevel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    id: &'static str,
    level: PrivilegeLevel,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::level_role(PrivilegeLevel::Sa),
        Role::level_role(PrivilegeLevel::Svc),
        Role::level_role(PrivilegeLevel::Da),
        Role::level_role(PrivilegeLevel::Du),
        Role {
            id: "admin",
            level: PrivilegeLevel::Sa,
        },
        Role {
            id: "member",
            level: PrivilegeLevel::Du,
        },
        Role {
            id: "reader",
            level: PrivilegeLevel::Du,
        },
    ];

    const fn level_role(level: PrivilegeLevel) -> Self {
        let id = match level {
            PrivilegeLevel::Sa => "SA",
            PrivilegeLevel::Svc => "SVC",
            PrivilegeLevel::Da => "DA",
            PrivilegeLevel::Du => "DU",
        };
        Self { id, level }
    }

    /// The role with this id (exactly as listed).
    pub fn find(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.id == id)
    }

    /// The level's own role.
    pub fn of_level(level: PrivilegeLevel) -> Self {
        Self::level_role(level)
    }

    pub fn id(self) -> &'static str {
        self.id
    }

    pub fn level(self) -> PrivilegeLevel {
        self.level
    }

    pub fn is_alias(self) -> bool {
        self != Self::of_level(self.level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_found_by_its_id_and_aliases_name_their_level() {
        for role in Role::ALL {
            assert_eq!(Role::find(role.id()), Some(role));
        }
        assert_eq!(Role::find("admin").unwrap().level(), PrivilegeLevel::Sa);
        assert_eq!(Role::find("member").unwrap().level(), PrivilegeLevel::Du);
        assert!(Role::find("member").unwrap().is_alias());
        assert!(!Role::find("DU").unwrap().is_alias());
        assert_eq!(Role::find("Admin"), None);
    }
}
