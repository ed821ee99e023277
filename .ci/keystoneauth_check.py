"""A real OpenStack client against a live server: keystoneauth1 authenticates with
v2.Password (by tenant name and by tenant id), finds endpoints in the catalog, uses the
session's token on the HP-IDM API, and rescopes with v2.Token; then v3.Password,
v3.Token and generic.Password (discovery from the bare root URL, and from /v3). Any
difference fails."""

import os

from keystoneauth1 import exceptions, session
from keystoneauth1.identity import generic, v2, v3

from checks import check, finish

BASE = os.environ["REGISTRY_URL"]
AUTH_URL = BASE + "/v2.0"
PASSWORD = os.environ["ALICE_PASSWORD"]


def endpoints(sess, label):
    public = sess.get_endpoint(service_type="compute", interface="public", region_name="region-a")
    check(f"{label}: public compute URL", public, "https://nova.example.com/v1.1/7")
    internal = sess.get_endpoint(service_type="compute", interface="internal", region_name="region-a")
    check(f"{label}: internal compute URL", internal, "http://nova.internal/v1.1/7")
    try:
        found = sess.get_endpoint(service_type="compute", interface="public", region_name="nowhere")
        check(f"{label}: a wrong region", found, "EndpointNotFound")
    except exceptions.EndpointNotFound:
        check(f"{label}: a wrong region raises EndpointNotFound", True, True)


by_name = session.Session(
    auth=v2.Password(auth_url=AUTH_URL, username="alice", password=PASSWORD, tenant_name="acme")
)
endpoints(by_name, "by tenant name")
check("by tenant name: project id", by_name.get_project_id(), "7")

by_id = session.Session(
    auth=v2.Password(auth_url=AUTH_URL, username="alice", password=PASSWORD, tenant_id="7")
)
endpoints(by_id, "by tenant id")

listed = by_id.get(BASE + "/v2.0/HP-IDM/v1.0/services", authenticated=True)
check("the session's token on GET /v2.0/HP-IDM/v1.0/services", listed.status_code, 200)
names = [s["serviceName"] for s in listed.json()["registerServices"]["registerService"]]
check("services listed", names, ["Nova", "Keystone"])

unscoped = session.Session(auth=v2.Password(auth_url=AUTH_URL, username="alice", password=PASSWORD))
token = unscoped.get_token()
check("unscoped: no project", unscoped.get_project_id(), None)
rescoped = session.Session(auth=v2.Token(auth_url=AUTH_URL, token=token, tenant_id="7"))
endpoints(rescoped, "rescoped with v2.Token")
check("rescoped: a new token", rescoped.get_token() != token, True)

try:
    session.Session(
        auth=v2.Password(auth_url=AUTH_URL, username="alice", password="wrong password!", tenant_id="7")
    ).get_token()
    check("a wrong password", "accepted", "Unauthorized")
except exceptions.Unauthorized:
    check("a wrong password raises Unauthorized", True, True)

# Keystone v3 beside v2.0: the same principals, tenants (projects), tokens and catalog.
V3_URL = BASE + "/v3"
v3_password = session.Session(
    auth=v3.Password(
        auth_url=V3_URL, username="alice", password=PASSWORD, user_domain_name="Default",
        project_name="acme", project_domain_name="Default",
    )
)
endpoints(v3_password, "v3.Password")
check("v3.Password: project id", v3_password.get_project_id(), "7")
v3_token = v3_password.get_token()
check("v3.Password: a token of ours", v3_token.startswith("HPAuth_"), True)
check("v3.Password: the token works on HP-IDM",
      v3_password.get(BASE + "/v2.0/HP-IDM/v1.0/services", authenticated=True).status_code, 200)

unscoped_v3 = session.Session(
    auth=v3.Password(auth_url=V3_URL, username="alice", password=PASSWORD,
                     user_domain_id="default", unscoped=True)
)
check("v3.Password unscoped: no project", unscoped_v3.get_project_id(), None)
rescoped_v3 = session.Session(
    auth=v3.Token(auth_url=V3_URL, token=unscoped_v3.get_token(), project_id="7")
)
endpoints(rescoped_v3, "v3.Token")
check("v3.Token: a new token", rescoped_v3.get_token() != unscoped_v3.get_token(), True)

for label, url in [("the bare root", BASE), ("/v3", V3_URL)]:
    discovered = session.Session(
        auth=generic.Password(
            auth_url=url, username="alice", password=PASSWORD, user_domain_name="Default",
            project_name="acme", project_domain_name="Default",
        )
    )
    endpoints(discovered, f"generic.Password from {label}")
    check(f"generic.Password from {label}: speaks v3",
          type(discovered.auth._plugin).__module__, "keystoneauth1.identity.v3.password")

# A v2.0 token validates on v3 and a v3 token on v2.0, through keystoneauth's own calls.
access = v3_password.auth.get_access(v3_password)
check("v3 access: user name", access.username, "alice")
check("v3 access: roles", access.role_names, ["DU"])
check("v3 access: catalog has compute",
      access.service_catalog.url_for(service_type="compute", interface="public",
                                     region_name="region-a"),
      "https://nova.example.com/v1.1/7")
v2_token = by_id.get_token()
validated = by_id.get(V3_URL + "/auth/tokens", headers={"X-Subject-Token": v2_token},
                      authenticated=True)
check("a v2.0 token validates on v3", validated.json()["token"]["project"]["id"], "7")

try:
    session.Session(
        auth=v3.Password(auth_url=V3_URL, username="alice", password="wrong password!",
                         user_domain_name="Default", project_id="7")
    ).get_token()
    check("v3: a wrong password", "accepted", "Unauthorized")
except exceptions.Unauthorized:
    check("v3: a wrong password raises Unauthorized", True, True)

finish("keystoneauth1")
