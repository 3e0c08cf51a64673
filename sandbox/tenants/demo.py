"""The demo's tenants and logins, shared by the set-up command and the log-in page."""

from __future__ import annotations

from typing import NamedTuple

PASSWORD = "sandbox"
STAFF_USERNAME = "admin"


class DemoTenant(NamedTuple):
    """A tenant of the demo and the username of its one member."""

    name: str
    slug: str
    username: str
    weight: int  # how many of the demo tasks it gets, relatively


TENANTS = (
    DemoTenant("Acme Corp", "acme", "acme", 5),
    DemoTenant("Globex", "globex", "globex", 3),
    DemoTenant("Initech", "initech", "initech", 2),
)
