"""What the client checks under .ci share: a line per check, the failures kept, and the
exit status at the end. Each script imports it from its own directory."""

import sys

failures = []


def check(what, actual, expected):
    status = "ok" if actual == expected else "FAILED"
    print(f"{status}: {what}: {actual!r}" + ("" if actual == expected else f" (expected {expected!r})"))
    if actual != expected:
        failures.append(what)


def fail(what, detail):
    """A step that could not even be checked (a command that exited non-zero)."""
    failures.append(what)
    print(f"FAILED: {what}: {detail}")


def finish(label):
    print(f"{label}: {len(failures)} failed")
    sys.exit(1 if failures else 0)
