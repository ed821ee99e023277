//! HTTPS for `serve`: a rustls server configuration from PEM files.

use std::sync::Arc;

use rustls::crypto::ring;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why the certificate or key cannot be used, for the operator.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("give both a TLS certificate and its key, or neither")]
    Incomplete,
    #[error("cannot read the TLS certificate chain {path}")]
    Certificate {
        path: String,
        #[source]
        cause: rustls_pki_types::pem::Error,
    },
    #[error("the file {0} holds no certificate")]
    NoCertificate(String),
    #[error("cannot read the TLS private key {path}")]
    Key {
        path: String,
        #[source]
        cause: rustls_pki_types::pem::Error,
    },
    #[error("the TLS certificate and key do not make a server configuration")]
    Config(#[source] rustls::Error),
}

/// The server configuration for a certificate chain and key, or `None` for plain HTTP.
pub fn server_config(
    cert: Option<&str>,
    key: Option<&str>,
) -> Result<Option<ServerConfig>, TlsError> {
    let (cert, key) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        _ => return Err(TlsError::Incomplete),
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|cause| TlsError::Certificate {
            path: cert.to_owned(),
            cause,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|cause| TlsError::Key {
        path: key.to_owned(),
        cause,
    })?;
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsError::Config)?;
    Ok(Some(config))
}
