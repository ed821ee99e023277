use super::ListTenants;
use crate::identity::views::TenantsView;
use crate::identity::{Directory, Guarded};
use crate::platform::http::{HandlerResult, Reply};

/// `GET /v2.0/tenants`: the tenants the caller belongs to.
pub async fn list_tenants(
    directory: Guarded<ListTenants, Directory>,
) -> HandlerResult<Reply<TenantsView>> {
    let tenants = directory.tenants_of(directory.caller().id).await?;
    Ok(Reply::ok(TenantsView(tenants)))
}
