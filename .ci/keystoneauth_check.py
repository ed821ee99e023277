"""A real OpenStack client against a live server: keystoneauth1 authenticates with
v2.Password (by tenant name and by tenant id), finds endpoints in the catalog, uses the
session's token on the HP-IDM API, and rescopes with v2.Token. Any difference fails."""

import os
import sys

from keystoneauth1 import exceptions, session
from keystoneauth1.identity import v2

BASE = os.environ["REGISTRY_URL"]
AUTH_URL = BASE + "/v2.0"
PASSWORD = os.environ["ALICE_PASSWORD"]
failures = []


def check(what, actual, expected):
    status = "ok" if actual == expected else "FAILED"
    print(f"{status}: {what}: {actual!r}" + ("" if actual == expected else f" (expected {expected!r})"))
    if actual != expected:
        failures.append(what)


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
check("services listed", names, ["Nova"])

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

print(f"keystoneauth1: {len(failures)} failed")
sys.exit(1 if failures else 0)
