//! What a call can fail with: the registry's fault (RSR's `{type, code, message, details,
//! txnId}`, or an HP-IDM fault), or the way there.

/// A fault the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// HTTP status (RSR's `code`).
    pub status: u16,
    /// RSR's `type` (`notFoundError`, `serviceWithThisIdExists`, ...), or the HP-IDM fault's
    /// element (`itemNotFound`, ...).
    pub kind: String,
    pub message: String,
    pub details: String,
    /// RSR's transaction id (`X-Response-Id`), when there is one.
    pub txn_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} {}: {} ({})", .0.status, .0.kind, .0.message, .0.details)]
    Api(Fault),
    #[error("the request did not complete")]
    Transport(#[source] reqwest::Error),
    /// The answer is not the JSON the API defines.
    #[error("the answer could not be read")]
    Decode(#[source] serde_json::Error),
    /// The answer is JSON, but lacks what the API promises (`what`).
    #[error("the answer has no {0}")]
    Missing(&'static str),
    /// The client was built or called without what it needs (credentials, a tenant).
    #[error("{0}")]
    Usage(&'static str),
    /// Writing output (srctl) failed.
    #[error("the output could not be written")]
    Output(#[source] std::io::Error),
    #[error("authentication failed: {0}")]
    Auth(Box<Error>),
}

impl Error {
    /// The fault, if the server answered one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            Self::Api(fault) => Some(fault),
            Self::Auth(inner) => inner.fault(),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.fault().map(|fault| fault.status)
    }

    /// Worth retrying: the request may not have arrived, or the server is briefly unable.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Api(fault) => fault.status >= 500,
            Self::Decode(_)
            | Self::Missing(_)
            | Self::Usage(_)
            | Self::Output(_)
            | Self::Auth(_) => false,
        }
    }

    /// The registry no longer knows the thing asked for (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Reads a fault body of either dialect.
pub(crate) fn fault_of(status: u16, txn_id: Option<String>, body: &str) -> Fault {
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text =
        |value: &serde_json::Value, key: &str| value[key].as_str().unwrap_or_default().to_owned();
    if parsed.get("type").is_some() {
        return Fault {
            status,
            kind: text(&parsed, "type"),
            message: text(&parsed, "message"),
            details: text(&parsed, "details"),
            txn_id: parsed["txnId"].as_str().map(str::to_owned).or(txn_id),
        };
    }
    if let Some((element, inner)) = parsed.as_object().and_then(|o| o.iter().next()) {
        return Fault {
            status,
            kind: element.clone(),
            message: text(inner, "message"),
            details: text(inner, "details"),
            txn_id,
        };
    }
    Fault {
        status,
        kind: "unknown".into(),
        message: body.chars().take(200).collect(),
        details: String::new(),
        txn_id,
    }
}
