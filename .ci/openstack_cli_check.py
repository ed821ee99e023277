"""python-openstackclient (the `openstack` command, from PyPI) against a live server with
its default v3 settings: OS_AUTH_URL the bare root or /v3, the Default domain for the
user and the project. Each command's output is checked, not just its exit code; then
the v2.0 API with --os-identity-api-version 2. Any difference fails."""

import json
import os
import subprocess

from checks import check, fail, finish

BASE = os.environ["REGISTRY_URL"]
OPENSTACK = os.environ["OPENSTACK"]

V3_ENV = {
    "OS_USERNAME": "alice",
    "OS_PASSWORD": os.environ["ALICE_PASSWORD"],
    "OS_PROJECT_NAME": "acme",
    "OS_USER_DOMAIN_NAME": "Default",
    "OS_PROJECT_DOMAIN_NAME": "Default",
}


def run(args, auth_url, extra, token=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    if token is None:
        env.update(V3_ENV)
    else:
        # The token plugin takes a project, not a user.
        env.update(OS_AUTH_TYPE="v3token", OS_TOKEN=token, OS_PROJECT_NAME="acme",
                   OS_PROJECT_DOMAIN_NAME="Default")
    env.update(OS_AUTH_URL=auth_url, **(extra or {}))
    return subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True, timeout=60)


def openstack(*args, auth_url=BASE, extra=None):
    done = run(args, auth_url, extra)
    if done.returncode != 0:
        fail(f"openstack {' '.join(args)}", f"exited {done.returncode}: {done.stderr.strip()}")
        return None
    return done.stdout


def listed(*args, auth_url=BASE, extra=None):
    out = openstack(*args, "-f", "json", auth_url=auth_url, extra=extra)
    return json.loads(out) if out is not None else []


for auth_url in [BASE, BASE + "/v3"]:
    issued = listed("token", "issue", auth_url=auth_url)
    check(f"token issue ({auth_url}): project", issued and issued["project_id"], "7")
    check(f"token issue ({auth_url}): a token of ours",
          bool(issued) and issued["id"].startswith("HPAuth_"), True)

catalog = listed("catalog", "list")
check("catalog list: services", sorted((s["Name"], s["Type"]) for s in catalog),
      [("Keystone", "identity"), ("Nova", "compute")])
nova = [s for s in catalog if s["Name"] == "Nova"]
check("catalog list: compute's endpoints, tenant substituted",
      nova and sorted((e["interface"], e["url"]) for e in nova[0]["Endpoints"]),
      [("internal", "http://nova.internal/v1.1/7"), ("public", "https://nova.example.com/v1.1/7")])
shown = listed("catalog", "show", "compute")
check("catalog show compute: name", shown and shown["name"], "Nova")

services = listed("service", "list")
check("service list", sorted((s["ID"], s["Name"], s["Type"]) for s in services),
      [("100", "Nova", "compute"), ("101", "Keystone", "identity")])

endpoints = listed("endpoint", "list")
check("endpoint list: ids", sorted(e["ID"] for e in endpoints), ["1-internal", "1-public", "2-public"])
check("endpoint list: service names", sorted({e["Service Name"] for e in endpoints}), ["Keystone", "Nova"])
by_service = listed("endpoint", "list", "--service", "compute")
check("endpoint list --service compute", sorted(e["ID"] for e in by_service), ["1-internal", "1-public"])
by_interface = listed("endpoint", "list", "--interface", "internal")
check("endpoint list --interface internal", [e["URL"] for e in by_interface],
      ["http://nova.internal/v1.1/%tenant_id%"])
by_region = listed("endpoint", "list", "--service", "Nova", "--interface", "public", "--region", "region-a")
check("endpoint list --service --interface --region", [e["ID"] for e in by_region], ["1-public"])

projects = listed("project", "list")
check("project list", [(p["ID"], p["Name"]) for p in projects], [("7", "acme")])
regions = listed("region", "list")
check("region list", [r["Region"] for r in regions], ["region-a"])

# token revoke: a fresh token revokes an older one of the same user; the older is gone.
older = listed("token", "issue")
if older:
    before = run(["project", "list"], BASE, None, token=older["id"])
    check("token revoke: the older token works before", before.returncode, 0)
    openstack("token", "revoke", older["id"])
    after = run(["project", "list"], BASE, None, token=older["id"])
    check("token revoke: the revoked token is refused", after.returncode != 0, True)
    # Keystone answers a token method naming a revoked token with 404 (TokenNotFound).
    check("token revoke: the revoked token is not found", "HTTP 404" in after.stderr, True)

# The v2.0 API, asked for explicitly.
V2_URL = BASE + "/v2.0"
v2 = {"OS_IDENTITY_API_VERSION": "2"}
issued = listed("--os-identity-api-version", "2", "token", "issue", auth_url=V2_URL, extra=v2)
check("v2.0 token issue: project", issued and issued["project_id"], "7")
catalog = listed("--os-identity-api-version", "2", "catalog", "list", auth_url=V2_URL, extra=v2)
check("v2.0 catalog list", sorted(s["Name"] for s in catalog), ["Keystone", "Nova"])

finish("openstack CLI")
