//! Tenants: the scopes a token can be issued for.

use std::fmt;

use super::error::{IdentityError as Error, Result};
use crate::platform::text::{fold_key, forbidden_character, printable};

/// Longest tenant name and description, in characters.
const MAX_NAME_CHARS: usize = 255;
const MAX_DESCRIPTION_CHARS: usize = 1024;

/// A tenant's numeric id: 1 ..= i64::MAX, written as digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(i64);

impl TenantId {
    pub fn parse(raw: &str) -> Result<Self> {
        match raw.parse::<i64>() {
            Ok(value) if value > 0 && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(Self(value)),
            _ => Err(Error::invalid(format!(
                "a tenant id is a positive integer made of digits, got '{}'",
                printable(raw)
            ))),
        }
    }

    /// A fresh id for a tenant created without one: 14 random digits, like HP's.
    pub fn generate() -> Self {
        Self(rand::random_range(10_000_000_000_000..100_000_000_000_000))
    }

    /// An id read back as a number (another subsystem's rows): `None` unless positive.
    pub fn new(value: i64) -> Option<Self> {
        (value > 0).then_some(Self(value))
    }

    pub(super) fn from_stored(value: i64) -> Self {
        Self(value)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A trimmed tenant name, unique case-insensitively by [`TenantName::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(raw: &str) -> Result<Self> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().count() > MAX_NAME_CHARS {
            return Err(Error::invalid(format!(
                "a tenant name has 1 to {MAX_NAME_CHARS} characters, got '{}'",
                printable(raw)
            )));
        }
        if let Some(c) = forbidden_character(trimmed, false) {
            return Err(Error::invalid(format!(
                "a tenant name may not contain U+{:04X}",
                c as u32
            )));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub(super) fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        fold_key(&self.0)
    }
}

impl fmt::Display for TenantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant description: up to 1,024 characters, line breaks allowed.
pub fn parse_description(raw: &str) -> Result<String> {
    bounded_text("a tenant description", raw, MAX_DESCRIPTION_CHARS, true)
}

/// Free text as identity keeps it (descriptions, e-mail addresses): at most `max`
/// characters, no control characters (line breaks only where `line_breaks`).
pub(super) fn bounded_text(
    field: &str,
    raw: &str,
    max: usize,
    line_breaks: bool,
) -> Result<String> {
    if raw.chars().count() > max {
        return Err(Error::invalid(format!(
            "{field} has at most {max} characters"
        )));
    }
    if let Some(c) = forbidden_character(raw, line_breaks) {
        return Err(Error::invalid(format!(
            "{field} may not contain U+{:04X} ('{}')",
            c as u32,
            printable(raw)
        )));
    }
    Ok(raw.to_owned())
}

/// A tenant named on the command line or in a request: by id (all digits) or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantRef {
    Id(TenantId),
    Name(TenantName),
}

impl TenantRef {
    pub fn parse(raw: &str) -> Result<Self> {
        if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
            TenantId::parse(raw).map(Self::Id)
        } else {
            TenantName::parse(raw).map(Self::Name)
        }
    }
}

impl fmt::Display for TenantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => id.fmt(f),
            Self::Name(name) => name.fmt(f),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: TenantName,
    pub description: Option<String>,
    pub enabled: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_named_by_id_or_by_name() {
        assert_eq!(
            TenantRef::parse("42").unwrap(),
            TenantRef::Id(TenantId::parse("42").unwrap())
        );
        assert!(matches!(
            TenantRef::parse("acme-42").unwrap(),
            TenantRef::Name(_)
        ));
        assert!(TenantRef::parse("0").is_err());
        assert!(TenantRef::parse("").is_err());
        assert!(TenantId::parse("-1").is_err());
        assert!(TenantId::parse("+1").is_err());
    }

    #[test]
    fn names_compare_case_insensitively() {
        let key = |s: &str| TenantName::parse(s).unwrap().key();
        assert_eq!(key(" ACME Straße "), key("acme strasse"));
        assert!(TenantName::parse("a\u{0}b").is_err());
        let generated = TenantId::generate().to_string();
        assert_eq!(generated.len(), 14);
    }
}
