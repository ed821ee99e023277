"""A template backed by a fleet, seen by OpenStack's own clients, unchanged: the `openstack`
CLI's `catalog list` and a keystoneauth1 session's get_endpoint() find the image endpoint
while at least one live service of tenant 7 tagged glance-api is alive, and not before nor
after. Each check authenticates anew: keystoneauth keeps the catalog its token came with
until it authenticates again. Any difference fails."""

import json
import os
import subprocess
import time
import urllib.request

from keystoneauth1 import exceptions, session
from keystoneauth1.identity import v3

from checks import check, fail, finish

BASE = os.environ["REGISTRY_URL"]
OPENSTACK = os.environ["OPENSTACK"]
ADMIN_TOKEN = os.environ["ADMIN_TOKEN"]
PASSWORD = os.environ["ALICE_PASSWORD"]
# Long enough that both clients' reads (the CLI starts a Python process) fit inside it.
TIMEOUT = 10
# The contract's bound: a template leaves (or returns to) every catalog within a second.
WITHIN = 1.0


def keystoneauth_finds_image():
    sess = session.Session(auth=v3.Password(
        auth_url=BASE + "/v3", username="alice", password=PASSWORD, project_name="acme",
        user_domain_name="Default", project_domain_name="Default"))
    try:
        return sess.get_endpoint(service_type="image", interface="public", region_name="region-a")
    except exceptions.EndpointNotFound:
        return None


def cli_lists_image():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_AUTH_URL=BASE, OS_USERNAME="alice", OS_PASSWORD=PASSWORD, OS_PROJECT_NAME="acme",
               OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default")
    done = subprocess.run([OPENSTACK, "catalog", "list", "-f", "json"], env=env,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        fail("openstack catalog list", f"exited {done.returncode}: {done.stderr.strip()}")
        return None
    return "image" in [entry["Type"] for entry in json.loads(done.stdout)]


def seen():
    return keystoneauth_finds_image(), cli_lists_image()


def until(expected, what, started):
    """Polls until both clients see `expected`: a poll that starts more than WITHIN after
    `started` must see it."""
    while True:
        polled = time.monotonic()
        found = seen()
        if found == expected or polled - started > WITHIN:
            check(what, found, expected)
            return
        time.sleep(0.1)


def live(method, path, body=None):
    request = urllib.request.Request(BASE + "/v1.0/7" + path, method=method,
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"X-Auth-Token": ADMIN_TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as reply:
        return reply.status


URL = "https://glance.example.com/v2"
check("no fleet: neither client finds the image endpoint", seen(), (None, False))
check("a glance-api service joins", live("POST", "/services",
      {"id": "glance-1", "heartbeat_timeout": TIMEOUT, "tags": ["glance-api"]}), 201)
joined = time.monotonic()
until((URL, True), "the fleet lives: both find it", joined)
# It never heartbeats: its deadline is at most TIMEOUT after the create was answered.
while time.monotonic() - joined < TIMEOUT + WITHIN:
    time.sleep(0.1)
check("a second after its deadline: neither finds it", seen(), (None, False))

finish("liveness")
