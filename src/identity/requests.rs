//! What `POST /v2.0/tokens` carries: one credential and an optional tenant scope, read
//! from JSON or XML into the same types.

use serde::Deserialize;
use serde_json::Value;

use super::domain::PrincipalName;
use super::error::{IdentityError as Error, Result};
use super::secrets::Secret;
use super::tenant::{TenantId, TenantName, TenantRef};
use crate::platform::http::xml::{self, XmlElement};
use crate::platform::http::{query_string, strict_json, Document};
use crate::platform::text::printable;

pub const IDENTITY_NS: &str = "http://docs.openstack.org/identity/api/v2.0";
pub const HP_IDM_NS: &str = "http://www.hp.com/identity/api/ext/HP-IDM/v1.0";
pub const RAX_KSKEY_NS: &str = "http://docs.rackspace.com/identity/api/ext/RAX-KSKEY/v1.0";
pub const DOCUMENT: &str = "auth";

/// A principal named by login name or (Keystone's `userId`) by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Name(PrincipalName),
    Id(i64),
}

#[derive(Debug)]
pub enum Credentials {
    Password {
        user: UserRef,
        password: Secret,
    },
    AccessKey {
        access_key: String,
        secret: Secret,
    },
    ApiKey {
        user: PrincipalName,
        api_key: Secret,
    },
    Token {
        id: String,
    },
}

/// What a token is to be scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Nothing asked: the principal's default tenant if it has one (as Keystone does).
    Default,
    /// Explicitly none (v3's `"scope": "unscoped"`).
    Unscoped,
    Tenant(TenantRef),
}

#[derive(Debug)]
pub struct AuthRequest {
    pub credentials: Credentials,
    pub scope: Scope,
}

pub fn decode(document: &Document) -> Result<AuthRequest> {
    document.decode(decode_json, decode_xml)
}

#[derive(Deserialize)]
struct Envelope {
    auth: Option<AuthJson>,
}

#[derive(Deserialize)]
struct AuthJson {
    #[serde(rename = "passwordCredentials")]
    password: Option<PasswordJson>,
    #[serde(rename = "apiAccessKeyCredentials")]
    access_key: Option<AccessKeyJson>,
    #[serde(rename = "RAX-KSKEY:apiKeyCredentials")]
    api_key: Option<ApiKeyJson>,
    token: Option<TokenJson>,
    #[serde(rename = "tenantId")]
    tenant_id: Option<Value>,
    #[serde(rename = "tenantName")]
    tenant_name: Option<String>,
}

#[derive(Deserialize)]
struct PasswordJson {
    username: Option<String>,
    #[serde(rename = "userId")]
    user_id: Option<Value>,
    password: Option<String>,
}

#[derive(Deserialize)]
struct AccessKeyJson {
    #[serde(rename = "accessKey")]
    access_key: Option<String>,
    #[serde(rename = "secretKey")]
    secret_key: Option<String>,
}

#[derive(Deserialize)]
struct ApiKeyJson {
    username: Option<String>,
    #[serde(rename = "apiKey")]
    api_key: Option<String>,
}

#[derive(Deserialize)]
struct TokenJson {
    id: Option<String>,
}

fn decode_json(body: &[u8]) -> Result<AuthRequest> {
    let envelope: Envelope = strict_json::from_slice(body)
        .map_err(|e| Error::invalid(format!("malformed JSON body: {e}")))?;
    let auth = envelope
        .auth
        .ok_or_else(|| Error::invalid("the JSON body must be an object with an auth member"))?;
    let mut found = Vec::new();
    if let Some(p) = auth.password {
        let user = match (p.username, p.user_id) {
            (Some(name), None) => Some(name),
            (None, Some(Value::String(id))) => Some(format!("#{id}")),
            (None, Some(Value::Number(id))) => Some(format!("#{id}")),
            _ => None,
        };
        found.push(password(user.as_deref(), p.password.as_deref())?);
    }
    if let Some(k) = auth.access_key {
        found.push(access_key(k.access_key, k.secret_key.as_deref())?);
    }
    if let Some(k) = auth.api_key {
        found.push(api_key(k.username.as_deref(), k.api_key.as_deref())?);
    }
    if let Some(t) = auth.token {
        found.push(token(t.id)?);
    }
    let tenant_id = match auth.tenant_id {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id),
        Some(Value::Number(id)) => Some(id.to_string()),
        Some(_) => return Err(Error::invalid("tenantId must be a string of digits")),
    };
    finish(found, tenant_id.as_deref(), auth.tenant_name.as_deref())
}

/// `<auth>` in the identity namespace (or, as in HP's sample, the HP-IDM one) with the
/// credential as a child: `passwordCredentials` and `token` in the identity namespace,
/// `apiAccessKeyCredentials` in HP-IDM's, `apiKeyCredentials` in RAX-KSKEY's.
fn decode_xml(body: &[u8]) -> Result<AuthRequest> {
    let document = xml::read_shallow(body, &[(IDENTITY_NS, DOCUMENT), (HP_IDM_NS, DOCUMENT)])?;
    let mut found = Vec::new();
    for child in &document.children {
        let attribute = |name| child.attribute(name);
        if child.is(IDENTITY_NS, "passwordCredentials") {
            let user = match (attribute("username")?, attribute("userId")?) {
                (Some(name), None) => Some(name),
                (None, Some(id)) => Some(format!("#{id}")),
                _ => None,
            };
            found.push(password(
                user.as_deref(),
                attribute("password")?.as_deref(),
            )?);
        } else if is_access_key(child) {
            found.push(access_key(
                attribute("accessKey")?,
                attribute("secretKey")?.as_deref(),
            )?);
        } else if child.is(RAX_KSKEY_NS, "apiKeyCredentials") {
            found.push(api_key(
                attribute("username")?.as_deref(),
                attribute("apiKey")?.as_deref(),
            )?);
        } else if child.is(IDENTITY_NS, "token") {
            found.push(token(attribute("id")?)?);
        }
    }
    let root = &document.root;
    finish(
        found,
        root.attribute("tenantId")?.as_deref(),
        root.attribute("tenantName")?.as_deref(),
    )
}

fn is_access_key(element: &XmlElement) -> bool {
    element.is(HP_IDM_NS, "apiAccessKeyCredentials")
}

fn finish(
    mut found: Vec<Credentials>,
    tenant_id: Option<&str>,
    tenant_name: Option<&str>,
) -> Result<AuthRequest> {
    let credentials = match found.len() {
        1 => found.remove(0),
        0 => {
            return Err(Error::invalid(
                "auth must carry one of passwordCredentials, apiAccessKeyCredentials, \
                 RAX-KSKEY:apiKeyCredentials or token",
            ))
        }
        _ => return Err(Error::invalid("auth must carry exactly one credential")),
    };
    let scope = match (tenant_id, tenant_name) {
        (Some(_), Some(_)) => return Err(Error::invalid("give tenantId or tenantName, not both")),
        (Some(id), None) => Scope::Tenant(TenantRef::Id(TenantId::parse(id)?)),
        (None, Some(name)) => Scope::Tenant(TenantRef::Name(TenantName::parse(name)?)),
        (None, None) => Scope::Default,
    };
    Ok(AuthRequest { credentials, scope })
}

fn required<'a>(value: Option<&'a str>, what: &str) -> Result<&'a str> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::invalid(format!("{what} is required")))
}

/// `user` is a login name, or `#ID` for Keystone's `userId`.
fn password(user: Option<&str>, password: Option<&str>) -> Result<Credentials> {
    let user = required(user, "passwordCredentials needs username (or userId); it")?;
    let user = match user.strip_prefix('#') {
        Some(id) => UserRef::Id(
            id.parse()
                .map_err(|_| Error::invalid("userId must be a principal's numeric id"))?,
        ),
        None => UserRef::Name(PrincipalName::parse(user)?),
    };
    let password = Secret::presented(required(password, "password")?);
    Ok(Credentials::Password { user, password })
}

fn access_key(access: Option<String>, secret: Option<&str>) -> Result<Credentials> {
    let access_key = required(access.as_deref(), "accessKey")?.to_owned();
    let secret = Secret::presented(required(secret, "secretKey")?);
    Ok(Credentials::AccessKey { access_key, secret })
}

fn api_key(user: Option<&str>, key: Option<&str>) -> Result<Credentials> {
    let user = PrincipalName::parse(required(user, "username")?)?;
    let api_key = Secret::presented(required(key, "apiKey")?);
    Ok(Credentials::ApiKey { user, api_key })
}

fn token(id: Option<String>) -> Result<Credentials> {
    let id = required(id.as_deref(), "token id")?.to_owned();
    Ok(Credentials::Token { id })
}

/// `belongsTo` of a token validation (empty: not given). Anything but the token's own
/// tenant id is a 401, as Keystone answers: a tenant's name or an id that is no tenant's
/// does not name the token's tenant either.
pub fn belongs_to(query: &str) -> Result<Option<TenantId>> {
    #[derive(Deserialize)]
    struct ValidateQuery {
        #[serde(rename = "belongsTo")]
        belongs_to: Option<String>,
    }
    let query: ValidateQuery = query_string(query).map_err(|e| Error::invalid(e.to_string()))?;
    query
        .belongs_to
        .as_deref()
        .filter(|tenant| !tenant.is_empty())
        .map(|raw| TenantId::parse(raw).map_err(|_| Error::NotBelongsTo(printable(raw))))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::http::Format;
    use actix_web::web::BytesMut;

    fn json(body: &str) -> Result<AuthRequest> {
        decode(&Document {
            format: Format::Json,
            bytes: BytesMut::from(body.as_bytes()),
        })
    }

    fn xml(body: &str) -> Result<AuthRequest> {
        decode(&Document {
            format: Format::Xml,
            bytes: BytesMut::from(body.as_bytes()),
        })
    }

    #[test]
    fn each_credential_kind_reads_the_same_in_json_and_xml() {
        let request = json(
            r#"{"auth":{"passwordCredentials":{"username":"alice","password":"pw"},"tenantName":"acme"}}"#,
        )
        .unwrap();
        assert!(matches!(
            request.credentials,
            Credentials::Password {
                user: UserRef::Name(_),
                ..
            }
        ));
        assert!(matches!(request.scope, Scope::Tenant(TenantRef::Name(_))));
        let request = xml(&format!(
            r#"<auth xmlns="{IDENTITY_NS}" tenantId="7"><passwordCredentials username="alice" password="pw"/></auth>"#
        ))
        .unwrap();
        assert!(matches!(request.credentials, Credentials::Password { .. }));
        assert!(matches!(request.scope, Scope::Tenant(TenantRef::Id(_))));

        let keys =
            json(r#"{"auth":{"apiAccessKeyCredentials":{"accessKey":"A","secretKey":"S"}}}"#);
        assert!(matches!(
            keys.unwrap().credentials,
            Credentials::AccessKey { .. }
        ));
        for root_ns in [IDENTITY_NS, HP_IDM_NS] {
            let keys = xml(&format!(
                r#"<auth xmlns="{root_ns}"><hp:apiAccessKeyCredentials xmlns:hp="{HP_IDM_NS}" accessKey="A" secretKey="S"/></auth>"#
            ));
            assert!(matches!(
                keys.unwrap().credentials,
                Credentials::AccessKey { .. }
            ));
        }

        let rax =
            json(r#"{"auth":{"RAX-KSKEY:apiKeyCredentials":{"username":"alice","apiKey":"K"}}}"#);
        assert!(matches!(
            rax.unwrap().credentials,
            Credentials::ApiKey { .. }
        ));
        let rax = xml(&format!(
            r#"<auth xmlns="{IDENTITY_NS}"><apiKeyCredentials xmlns="{RAX_KSKEY_NS}" username="alice" apiKey="K"/></auth>"#
        ));
        assert!(matches!(
            rax.unwrap().credentials,
            Credentials::ApiKey { .. }
        ));

        let rescope = json(r#"{"auth":{"token":{"id":"HPAuth_x"},"tenantId":7}}"#).unwrap();
        assert!(matches!(rescope.credentials, Credentials::Token { .. }));
        let by_id = json(r#"{"auth":{"passwordCredentials":{"userId":"3","password":"pw"}}}"#);
        assert!(matches!(
            by_id.unwrap().credentials,
            Credentials::Password {
                user: UserRef::Id(3),
                ..
            }
        ));
    }

    #[test]
    fn malformed_requests_are_refused() {
        for body in [
            r#"{}"#,
            r#"{"auth":{}}"#,
            r#"{"auth":{"passwordCredentials":{"username":"alice"}}}"#,
            r#"{"auth":{"passwordCredentials":{"username":"a","password":"p"},"token":{"id":"t"}}}"#,
            r#"{"auth":{"token":{"id":"t"},"tenantId":"1","tenantName":"x"}}"#,
            r#"{"auth":{"token":{"id":"t"},"tenantId":"x1"}}"#,
            r#"{"auth":{"token":{"id":"t"},"tenantId":true}}"#,
        ] {
            assert!(matches!(json(body), Err(Error::Invalid(_))), "{body}");
        }
        let wrong_ns = xml(r#"<auth><passwordCredentials username="a" password="p"/></auth>"#);
        assert!(matches!(wrong_ns, Err(Error::Invalid(_))));
        let foreign_credential = xml(&format!(
            r#"<auth xmlns="{IDENTITY_NS}"><apiAccessKeyCredentials accessKey="A" secretKey="S"/></auth>"#
        ));
        assert!(matches!(foreign_credential, Err(Error::Invalid(_))));
    }
}
