//! Who may call the API: principals, their privilege levels and status, and their tokens.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::error::{IdentityError as Error, Result};
use super::tenant::TenantId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrivilegeLevel {
    /// System administrator.
    Sa,
    /// Service on-boarding principal.
    Svc,
    /// Domain administrator.
    Da,
    /// Domain user.
    Du,
}

impl PrivilegeLevel {
    pub const ALL: [PrivilegeLevel; 4] = [Self::Sa, Self::Svc, Self::Da, Self::Du];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sa => "SA",
            Self::Svc => "SVC",
            Self::Da => "DA",
            Self::Du => "DU",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "'{raw}' is not a privilege level (SA, SVC, DA, DU)"
                ))
            })
    }
}

/// `SA or SVC`, as faults name the levels an action needs.
pub fn describe_levels(levels: &[PrivilegeLevel]) -> String {
    let names: Vec<&str> = levels.iter().map(|level| level.as_str()).collect();
    names.join(" or ")
}

impl fmt::Display for PrivilegeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalStatus {
    Enabled,
    Disabled,
    Suspended,
}

impl PrincipalStatus {
    pub const ALL: [PrincipalStatus; 3] = [Self::Enabled, Self::Disabled, Self::Suspended];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Suspended => "suspended",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| Error::invalid(format!("'{raw}' is not a principal status")))
    }
}

impl fmt::Display for PrincipalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A principal's login name: 1..=64 characters of `[A-Za-z0-9_.@-]`, so it is safe in
/// logs, shells and URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalName(String);

impl PrincipalName {
    pub fn parse(raw: &str) -> Result<Self> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-');
        if raw.is_empty() || raw.len() > 64 || !raw.chars().all(valid_char) {
            return Err(Error::invalid(format!(
                "principal name '{raw}' must be 1 to 64 characters of letters, digits, '_', '.', '@' or '-'"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What names are unique by: names are ASCII, so folding is lowercasing.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for PrincipalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The authenticated principal behind a request's token, and the tenant the token is
/// scoped to (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: i64,
    pub name: PrincipalName,
    pub status: PrincipalStatus,
    pub levels: Vec<PrivilegeLevel>,
    pub tenant: Option<TenantId>,
}

impl Caller {
    /// SA and SVC act in any tenant; DA and DU only in their own.
    pub fn acts_in_any_tenant(&self) -> bool {
        self.levels
            .iter()
            .any(|level| matches!(level, PrivilegeLevel::Sa | PrivilegeLevel::Svc))
    }

    /// Status first (a disabled principal is refused whatever its levels: 403), then level
    /// (the seed's table answers a missing level with 401).
    pub fn authorize(&self, allowed: &'static [PrivilegeLevel]) -> Result<()> {
        if self.status != PrincipalStatus::Enabled {
            return Err(Error::Disabled {
                name: self.name.clone(),
                status: self.status,
            });
        }
        if self.levels.iter().any(|level| allowed.contains(level)) {
            Ok(())
        } else {
            Err(Error::MissingLevel(allowed))
        }
    }
}

/// How a token was obtained: what Keystone v3 shows as the token's `methods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    /// Rescoped from another token.
    Token,
    ApiKey,
    AccessKey,
    /// Issued by the server's command line (and the bootstrap admin's first token).
    CommandLine,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Token => "token",
            Self::ApiKey => "api_key",
            Self::AccessKey => "access_key",
            Self::CommandLine => "cli",
        }
    }

    /// The stored column; tokens issued before it existed read as the command line's.
    pub(super) fn from_stored(stored: Option<&str>) -> Self {
        [Self::Password, Self::Token, Self::ApiKey, Self::AccessKey]
            .into_iter()
            .find(|method| Some(method.as_str()) == stored)
            .unwrap_or(Self::CommandLine)
    }
}

/// A bearer token as handed to a client. Only its [`TokenHash`] is ever stored.
pub struct Token(String);

impl Token {
    const PREFIX: &'static str = "HPAuth_";

    /// 256 random bits from the OS generator, hex encoded behind the seed's `HPAuth_` prefix.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!("{}{}", Self::PREFIX, hex::encode(bytes)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

/// SHA-256 of a token. Tokens carry 256 bits of entropy, so a fast hash is enough: nothing
/// can be brute-forced from a leaked table, and lookups stay a single indexed equality.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn of(presented: &str) -> Self {
        Self(hex::encode(Sha256::digest(presented.as_bytes())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(super) fn from_stored(hash: String) -> Self {
        Self(hash)
    }

    /// Keystone's audit id: names the token in logs and audit trails without being it.
    /// Derived from the hash (22 hex digits of a second SHA-256), so nothing is stored and
    /// the token cannot be recovered from it.
    pub fn audit_id(&self) -> String {
        let digest = Sha256::digest(format!("audit:{}", self.0).as_bytes());
        hex::encode(&digest[..11])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(status: PrincipalStatus, levels: &[PrivilegeLevel]) -> Caller {
        Caller {
            id: 1,
            name: PrincipalName::parse("alice").unwrap(),
            status,
            levels: levels.to_vec(),
            tenant: None,
        }
    }

    #[test]
    fn a_caller_needs_one_of_the_allowed_levels() {
        use PrivilegeLevel::*;
        let du = caller(PrincipalStatus::Enabled, &[Du]);
        assert!(du.authorize(&PrivilegeLevel::ALL).is_ok());
        assert!(matches!(
            du.authorize(&[Sa, Svc]),
            Err(Error::MissingLevel(_))
        ));
        assert!(caller(PrincipalStatus::Enabled, &[Da, Svc])
            .authorize(&[Sa, Svc])
            .is_ok());
    }

    #[test]
    fn disabled_or_suspended_principals_are_refused_before_levels() {
        for status in [PrincipalStatus::Disabled, PrincipalStatus::Suspended] {
            let c = caller(status, &[PrivilegeLevel::Sa]);
            assert!(matches!(
                c.authorize(&PrivilegeLevel::ALL),
                Err(Error::Disabled { .. })
            ));
        }
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (Token::generate(), Token::generate());
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("HPAuth_") && a.expose().len() == 7 + 64);
        assert_eq!(a.hash(), TokenHash::of(a.expose()));
        assert!(!a.hash().as_str().contains(a.expose()));
    }

    #[test]
    fn principal_names_are_restricted() {
        assert!(PrincipalName::parse("svc.nova-1@hp").is_ok());
        for bad in ["", "a b", "ä", "x;rm", &"a".repeat(65)] {
            assert!(PrincipalName::parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
