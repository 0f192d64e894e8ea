"""The NATS users of a local system: their passwords (made on first start, like the signing keys) and the
nats-server configuration that gives each its permissions (shared.messaging.permissions, from the one table).

`make run` keeps them in `var/keys/nats-users.json` (readable by its owner only) and starts nats-server with
`var/nats.conf`; each process gets its own user and password in NATS_USER and NATS_PASSWORD. The operator's
user (everything allowed) is for a person with the `nats` tool: `nats --user operator --password ...`.
"""

import json
import os
import secrets
from functools import cache
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shared.config import SERVICE_PACKAGES, SERVICES
from shared.messaging.permissions import OPERATOR, Permissions, authorization_block, bus_permissions

USERS_FILE = "nats-users.json"
CONFIG_FILE = "nats.conf"


@cache
def consumed_streams() -> dict[str, list[str]]:
    """Each service -> the streams it consumes (the keys of its `events.SUBSCRIPTIONS`), and the gateway's."""
    streams = {name: sorted(import_module(f"{SERVICE_PACKAGES[name]}.events").SUBSCRIPTIONS) for name in SERVICES}
    return {**streams, "gateway": sorted(import_module("gateway.integrations.events").CONSUMED_STREAMS)}


def permissions() -> dict[str, Permissions]:
    """Every user of the bus and what it may publish and subscribe to."""
    return bus_permissions(consumed_streams())


def with_user(urls: str, user: str, password: str) -> str:
    """NATS URLs with a user and password in each (for tools that take only a URL)."""
    shown = []
    for url in urls.split(","):
        parts = urlsplit(url.strip())
        shown.append(urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc.rpartition('@')[2]}")))
    return ",".join(shown)


class BusUsers:
    """The users of one local bus and their random passwords, kept in `<folder>/nats-users.json`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._passwords: dict[str, str] | None = None

    @property
    def file(self) -> Path:
        return self.folder / USERS_FILE

    @property
    def passwords(self) -> dict[str, str]:
        """User -> password; made on first use, and for a user the table gained since."""
        if self._passwords is None:
            known = json.loads(self.file.read_text()) if self.file.exists() else {}
            wanted = {user: known.get(user) or "p" + secrets.token_urlsafe(24) for user in permissions()}
            if wanted != known:
                _write_private(self.file, json.dumps(wanted, indent=2) + "\n")
            self._passwords = wanted
        return self._passwords

    def password(self, user: str) -> str:
        return self.passwords[user]

    def url(self, address: str, user: str = OPERATOR) -> str:
        return with_user(address, user, self.password(user))

    def server_config(self, path: Path | None = None) -> Path:
        """Write the nats-server configuration with every user (the listen address, port and store come on the
        command line) and return its path."""
        path = path or self.folder / CONFIG_FILE
        quoted = {user: f'"{password}"' for user, password in self.passwords.items()}
        text = "# Made by devstack.natsauth from the permissions table; do not edit.\n"
        _write_private(path, text + authorization_block(permissions(), quoted))
        return path


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (created so from the start, not narrowed after)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(partial, path)
