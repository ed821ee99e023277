//! Registered services. Each type here can only hold a value the contract allows, so code
//! that receives a `Service` never re-checks it.

use std::fmt;

use crate::platform::text::{fold_key, forbidden_character, printable};
use crate::registry::error::{RegistryError as Error, Result};

/// Longest `serviceName`/`serviceType`, in characters. The seed sets no bound; 255 keeps
/// every name usable as a catalog key and in an XML attribute.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest `description`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

/// A client-chosen numeric id: 1 ..= i64::MAX, so it fits a BIGINT in every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(i64);

impl ServiceId {
    /// The smallest id: what a service to be registered under the next free id holds
    /// until [`ServiceStore::register_next`](crate::registry::ServiceStore) assigns it.
    pub const FIRST: Self = Self(1);

    /// Accepts ASCII digits only: no sign, no spaces, no exponent.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(format!(
                "{field} must be a positive integer made of digits only, got '{}'",
                printable(raw)
            )));
        }
        match raw.parse::<i64>() {
            Ok(0) => Err(Error::invalid(format!("{field} must be greater than zero"))),
            Ok(value) => Ok(Self(value)),
            Err(_) => Err(Error::invalid(format!(
                "{field} is out of range; the largest allowed value is {}",
                i64::MAX
            ))),
        }
    }

    /// For values read back from storage, where the CHECK constraint already holds.
    pub fn from_stored(value: i64) -> Result<Self> {
        if value > 0 {
            Ok(Self(value))
        } else {
            Err(Error::Corrupt {
                id: value,
                reason: "the id is not positive".into(),
            })
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A trimmed, non-blank service name.
///
/// Names are unique by [`ServiceName::key`]: the Unicode full case fold of the canonically
/// decomposed name, recomposed (NFC). `ÆGIR Öl`, `ægir öl` and a decomposed `ægir öl`
/// share one key, and `STRASSE` matches `straße`. SQLite's `lower()`/`NOCASE` fold ASCII
/// only, so the key is computed here and a UNIQUE constraint on it makes the database the
/// arbiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName(String);

impl ServiceName {
    pub fn parse(raw: &str) -> Result<Self> {
        required_text("serviceName", raw).map(Self)
    }

    /// A name read back from storage, which only ever holds names that went through
    /// [`Self::parse`]; not checking again keeps reading a page cheap.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value stored in the UNIQUE `name_key` column; computed when writing only.
    pub fn key(&self) -> String {
        fold_key(&self.0)
    }
}

/// Free-form service type (`compute`, `hpext:cdn`, ...): the predefined values are
/// examples, not a closed set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceType(String);

impl ServiceType {
    pub fn parse(raw: &str) -> Result<Self> {
        required_text("serviceType", raw).map(Self)
    }

    /// A type read back from storage (see [`ServiceName::from_stored`]).
    pub fn from_stored(service_type: String) -> Self {
        Self(service_type)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseState {
    Restricted,
    Preview,
    Beta,
    Public,
    Decommissioned,
}

impl ReleaseState {
    pub const ALL: [ReleaseState; 5] = [
        Self::Restricted,
        Self::Preview,
        Self::Beta,
        Self::Public,
        Self::Decommissioned,
    ];

    /// Exact, case-sensitive match against the fixed set.
    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == raw)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "releaseState '{}' is not one of: restricted, preview, beta, public, decommissioned",
                    printable(raw)
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restricted => "restricted",
            Self::Preview => "preview",
            Self::Beta => "beta",
            Self::Public => "public",
            Self::Decommissioned => "decommissioned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Kept verbatim (not trimmed); tab, LF and CR are allowed, other controls are not.
    pub fn parse(raw: &str) -> Result<Self> {
        check_characters("description", raw, true)?;
        if raw.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Error::invalid(format!(
                "description is longer than {MAX_DESCRIPTION_CHARS} characters"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A description read back from storage (see [`ServiceName::from_stored`]).
    pub fn from_stored(description: String) -> Self {
        Self(description)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registered service, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub name: ServiceName,
    pub service_type: ServiceType,
    pub release_state: ReleaseState,
    pub description: Option<Description>,
    /// Keystone v3's reversible switch: a disabled service leaves catalogs. HP-IDM's
    /// views do not show it, and its writes leave it as it is.
    pub enabled: bool,
}

/// Trims, then requires 1..=MAX_NAME_CHARS characters with no control characters.
fn required_text(field: &str, raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(format!("{field} must not be blank")));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(format!(
            "{field} is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    check_characters(field, trimmed, false)?;
    Ok(trimmed.to_owned())
}

/// Every stored text must survive a round trip through both JSON and XML 1.0.
fn check_characters(field: &str, text: &str, allow_line_breaks: bool) -> Result<()> {
    match forbidden_character(text, allow_line_breaks) {
        Some(c) => Err(Error::invalid(format!(
            "{field} contains the character U+{:04X}, which is not allowed",
            c as u32
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_digit_strings_within_i64() {
        assert_eq!(ServiceId::parse("id", "240").unwrap().get(), 240);
        assert_eq!(ServiceId::parse("id", "0240").unwrap().get(), 240);
        assert_eq!(
            ServiceId::parse("id", "9223372036854775807").unwrap().get(),
            i64::MAX
        );
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            " 1",
            "1.0",
            "1e3",
            "abc",
            "9223372036854775808",
            "١٢",
        ] {
            assert!(ServiceId::parse("id", bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn name_keys_fold_unicode_case_and_normalization() {
        let key = |s: &str| ServiceName::parse(s).unwrap().key();
        assert_eq!(key("ÆGIR Öl"), key("ægir öl"));
        assert_eq!(key("ægir o\u{308}l"), key("ÆGIR Öl"));
        assert_eq!(key("STRASSE"), key("straße"));
        assert_eq!(key("  Compute "), key("compute"));
        assert_ne!(key("Compute"), key("Compute 2"));
    }

    #[test]
    fn names_are_trimmed_and_must_not_be_blank_or_hold_controls() {
        assert_eq!(ServiceName::parse(" CDN \t").unwrap().as_str(), "CDN");
        assert!(ServiceName::parse("  ").is_err());
        assert!(ServiceName::parse("a\u{0}b").is_err());
        assert!(ServiceName::parse("a\nb").is_err());
        assert!(ServiceName::parse("a\u{FFFF}").is_err());
        assert!(ServiceName::parse(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(ServiceName::parse(&"é".repeat(MAX_NAME_CHARS)).is_ok());
    }

    #[test]
    fn release_states_are_a_fixed_case_sensitive_set() {
        for state in ReleaseState::ALL {
            assert_eq!(ReleaseState::parse(state.as_str()).unwrap(), state);
        }
        assert!(ReleaseState::parse("Public").is_err());
        assert!(ReleaseState::parse("retired").is_err());
    }

    #[test]
    fn descriptions_keep_line_breaks_but_not_other_controls() {
        assert_eq!(Description::parse(" a\tb\n").unwrap().as_str(), " a\tb\n");
        assert!(Description::parse("a\u{7}b").is_err());
    }
}
