"""The `openstack` CLI (python-openstackclient, from PyPI) administering the registry
through Keystone v3 as an SA: regions, services, endpoints, projects, users and role
assignments, each created, changed, shown, listed and deleted, with every answer checked.
In between, keystoneauth1 authenticates as the user just created, scoped to the project
just created, and finds the endpoint just created in its catalog; the user changes its
own password; and HP-IDM (curl-free: urllib) shows the service and template v3 wrote.
Any difference fails."""

import json
import os
import subprocess
import urllib.request

from keystoneauth1 import exceptions, session
from keystoneauth1.identity import v3

from checks import check, fail, finish

BASE = os.environ["REGISTRY_URL"]
OPENSTACK = os.environ["OPENSTACK"]
ADMIN_TOKEN = os.environ["ADMIN_TOKEN"]
PASSWORD = "carol's first passphrase"
NEW_PASSWORD = "carol's second passphrase"


def run(args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_AUTH_URL=BASE, **env_extra)
    return subprocess.run([OPENSTACK, *args], env=env, capture_output=True, text=True, timeout=60)


AS_ADMIN = {"OS_AUTH_TYPE": "v3token", "OS_TOKEN": ADMIN_TOKEN, "OS_PROJECT_NAME": "acme",
            "OS_PROJECT_DOMAIN_NAME": "Default"}


def openstack(*args, env=None, json_out=True):
    done = run([*args, *(["-f", "json"] if json_out else [])], env or AS_ADMIN)
    if done.returncode != 0:
        fail(f"openstack {' '.join(args)}", f"exited {done.returncode}: {done.stderr.strip()}")
        return None
    return json.loads(done.stdout) if json_out and done.stdout.strip() else done.stdout


def quiet(*args, env=None):
    """A command that prints nothing on success (set, delete, add, remove)."""
    return openstack(*args, env=env, json_out=False)


def hp_idm(path):
    request = urllib.request.Request(BASE + "/v2.0/HP-IDM/v1.0" + path,
                                     headers={"X-Auth-Token": ADMIN_TOKEN, "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def names(kind, column):
    return sorted(item[column] for item in openstack(kind, "list") or [])


# What the server held before: the checks below add to it and take it back.
BEFORE = {kind: names(kind, column) for kind, column in
          [("region", "Region"), ("service", "Name"), ("project", "Name"), ("user", "Name")]}

# Regions.
region = openstack("region", "create", "--description", "Europe", "eu-1") or {}
check("region create", (region.get("region"), region.get("description")), ("eu-1", "Europe"))
child = openstack("region", "create", "--parent-region", "eu-1", "eu-1a") or {}
check("region create --parent-region", child.get("parent_region"), "eu-1")
quiet("region", "set", "--description", "Europe, first", "eu-1")
check("region set / show", (openstack("region", "show", "eu-1") or {}).get("description"), "Europe, first")
check("region list", names("region", "Region"), sorted(BEFORE["region"] + ["eu-1", "eu-1a"]))

# Services: the registry's, numbered next.
service = openstack("service", "create", "--name", "Swift", "--description", "objects",
                    "object-store") or {}
check("service create", (service.get("name"), service.get("type"), service.get("enabled")),
      ("Swift", "object-store", True))
swift = service.get("id")
quiet("service", "set", "--description", "object storage", "--disable", "Swift")
shown = openstack("service", "show", "Swift") or {}
check("service set / show", (shown.get("description"), shown.get("enabled")), ("object storage", False))
quiet("service", "set", "--enable", "Swift")
check("service list", names("service", "Name"), sorted(BEFORE["service"] + ["Swift"]))
registered = hp_idm(f"/services/{swift}")["registerService"]
check("HP-IDM shows the v3 service", (registered["serviceName"], registered["releaseState"]),
      ("Swift", "public"))

# Endpoints: one per template and interface.
public = openstack("endpoint", "create", "--region", "eu-1", "Swift", "public",
                   "https://swift.example/v1/AUTH_$(tenant_id)s") or {}
check("endpoint create public", (public.get("interface"), public.get("region"), public.get("enabled")),
      ("public", "eu-1", True))
internal = openstack("endpoint", "create", "--region", "eu-1", "Swift", "internal",
                     "http://swift.internal/v1/AUTH_$(tenant_id)s") or {}
check("endpoint create internal", internal.get("interface"), "internal")
duplicate = run(["endpoint", "create", "--region", "eu-1", "Swift", "public", "https://twice"], AS_ADMIN)
check("endpoint create: a second public endpoint is refused (409)",
      duplicate.returncode != 0 and "409" in duplicate.stderr, True)
quiet("endpoint", "set", "--url", "http://swift.internal:8080/v1/AUTH_$(tenant_id)s", internal.get("id", "?"))
check("endpoint set / show",
      (openstack("endpoint", "show", internal.get("id", "?")) or {}).get("url"),
      "http://swift.internal:8080/v1/AUTH_$(tenant_id)s")
check("endpoint list --service Swift",
      sorted(e["Interface"] for e in openstack("endpoint", "list", "--service", "Swift") or []),
      ["internal", "public"])
template = hp_idm("/endpointTemplates/" + public.get("id", "0-").split("-")[0])["endpointTemplate"]
check("HP-IDM shows the template v3 wrote", (template["publicURL"], template["internalURL"]),
      ("https://swift.example/v1/AUTH_$(tenant_id)s", "http://swift.internal:8080/v1/AUTH_$(tenant_id)s"))

# Projects and users.
project = openstack("project", "create", "--domain", "default", "--description", "Operations",
                    "ops") or {}
check("project create", (project.get("name"), project.get("enabled")), ("ops", True))
quiet("project", "set", "--description", "Operations team", "ops")
check("project set / show", (openstack("project", "show", "ops") or {}).get("description"),
      "Operations team")
check("project list", names("project", "Name"), sorted(BEFORE["project"] + ["ops"]))
user = openstack("user", "create", "--domain", "default", "--project", "ops", "--password", PASSWORD,
                 "--email", "carol@example.org", "carol") or {}
check("user create", (user.get("name"), user.get("default_project_id")), ("carol", project.get("id")))
quiet("user", "set", "--description", "on call", "carol")
shown = openstack("user", "show", "carol") or {}
check("user set / show", (shown.get("description"), shown.get("email")), ("on call", "carol@example.org"))
check("user list", names("user", "Name"), sorted(BEFORE["user"] + ["carol"]))

# Roles: Keystone's default names are there; an assignment is a membership with a level.
roles = [r["Name"] for r in openstack("role", "list") or []]
check("role list: Keystone's default names", all(r in roles for r in ["admin", "member", "reader"]), True)
check("role show member: level DU", "level DU" in ((openstack("role", "show", "member") or {}).get("description") or ""),
      True)
# Roles are the levels: none is created or deleted (405, said plainly).
made = run(["role", "create", "auditor"], AS_ADMIN)
check("role create: refused", made.returncode != 0 and "405" in made.stderr, True)
quiet("role", "add", "--project", "acme", "--user", "carol", "member")
assigned = openstack("role", "assignment", "list", "--user", "carol", "--names") or []
check("role assignment list", sorted((a["Project"], a["Role"]) for a in assigned),
      [("acme@Default", "DU"), ("ops@Default", "DU")])

# keystoneauth1 as the new user, scoped to the new project: the new endpoint is there.
carol = session.Session(auth=v3.Password(
    auth_url=BASE + "/v3", username="carol", password=PASSWORD, user_domain_id="default",
    project_name="ops", project_domain_id="default"))
check("keystoneauth: carol's project", carol.get_project_id(), project.get("id"))
check("keystoneauth: the new endpoint, tenant substituted",
      carol.get_endpoint(service_type="object-store", interface="public", region_name="eu-1"),
      f"https://swift.example/v1/AUTH_{project.get('id')}")

# A user changes its own password with the original; its old token goes with it.
old_token = carol.get_token()
AS_CAROL = {"OS_USERNAME": "carol", "OS_PASSWORD": PASSWORD, "OS_USER_DOMAIN_NAME": "Default"}
quiet("user", "password", "set", "--password", NEW_PASSWORD, "--original-password", PASSWORD,
      env=AS_CAROL)
try:
    session.Session(auth=v3.Token(auth_url=BASE + "/v3", token=old_token)).get_token()
    check("password change revokes the old token", "still valid", "refused")
except exceptions.NotFound:
    # Keystone's answer to a token method naming a revoked token.
    check("password change revokes the old token", True, True)
renewed = session.Session(auth=v3.Password(
    auth_url=BASE + "/v3", username="carol", password=NEW_PASSWORD, user_domain_id="default",
    project_name="ops", project_domain_id="default"))
check("the new password authenticates", renewed.get_project_id(), project.get("id"))

# Taken apart again, in the order the references allow.
quiet("role", "remove", "--project", "acme", "--user", "carol", "member")
check("role remove", sorted(a["Project"] for a in
                            openstack("role", "assignment", "list", "--user", "carol", "--names") or []),
      ["ops@Default"])
quiet("user", "delete", "carol")
quiet("project", "delete", "ops")
busy = run(["region", "delete", "eu-1"], AS_ADMIN)
check("region delete: refused while it has endpoints and children", busy.returncode != 0, True)
quiet("endpoint", "delete", internal.get("id", "?"))
quiet("endpoint", "delete", public.get("id", "?"))
quiet("service", "delete", "Swift")
check("service delete: gone from v3", names("service", "Name"), BEFORE["service"])
check("service delete: decommissioned in HP-IDM",
      hp_idm(f"/services/{swift}")["registerService"]["releaseState"], "decommissioned")
quiet("region", "delete", "eu-1a")
quiet("region", "delete", "eu-1")
check("users, projects and regions as they were",
      [names(kind, column) for kind, column in [("user", "Name"), ("project", "Name"), ("region", "Region")]],
      [BEFORE["user"], BEFORE["project"], BEFORE["region"]])

finish("openstack CLI administration")
