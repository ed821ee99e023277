//! Credentials that are not tokens: passwords, API keys and access keys. Stored as salted
//! argon2id hashes (PHC strings) and compared in constant time by the argon2 crate; the
//! secrets themselves exist only in memory, and their `Debug` shows no secret.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;

use super::error::{IdentityError as Error, Result};

/// A secret presented or generated: a password, an API key, an access key's secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Passwords: 8 to 1,024 characters. The bound keeps hashing cost bounded.
    pub fn password(raw: &str) -> Result<Self> {
        let length = raw.chars().count();
        if !(8..=1024).contains(&length) {
            return Err(Error::invalid("a password has 8 to 1,024 characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A secret as presented by a client, checked only against a stored hash.
    pub fn presented(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// 256 random bits, hex encoded: API keys and secret keys.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A salted argon2id hash in PHC form.
    pub fn hash(&self) -> String {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).expect("16 bytes are a valid salt");
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .expect("argon2 with default parameters hashes any input up to 4 GiB")
            .to_string()
    }

    /// Whether this secret is the one `stored` was made from. A stored value that is not
    /// a PHC string matches nothing.
    pub fn matches(&self, stored: &str) -> bool {
        PasswordHash::new(stored).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(self.0.as_bytes(), &hash)
                .is_ok()
        })
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// An access key id: public, 20 upper-case hex digits (HP's access keys are of that kind).
pub fn generate_access_key() -> String {
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode_upper(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_matches_its_secret_only_and_never_contains_it() {
        let secret = Secret::password("correct horse").unwrap();
        let stored = secret.hash();
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains("correct horse"));
        assert!(secret.matches(&stored));
        assert!(!Secret::presented("correct horsE").matches(&stored));
        assert!(!secret.matches("not a hash"));
        assert_ne!(stored, secret.hash(), "salted");
        assert_eq!(format!("{secret:?}"), "Secret(****)");
    }

    #[test]
    fn passwords_have_bounded_length() {
        assert!(Secret::password("short").is_err());
        assert!(Secret::password(&"x".repeat(1025)).is_err());
        assert_eq!(Secret::generate().expose().len(), 64);
        assert_eq!(generate_access_key().len(), 20);
    }
}
