"""The push services a browser subscription may name: an allow-list of hosts, so that registering a
subscription can never make this service fetch an arbitrary URL.

Hosts are exact names, or `*.example.com` for any name under example.com. An endpoint must be https; plain
http is accepted only for a loopback address named in the list itself (local tests)."""

from ipaddress import ip_address
from urllib.parse import urlsplit

from shared.i18n import N_

PUBLIC_PUSH_SERVICES = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, most Chromium browsers
    "updates.push.services.mozilla.com",  # Firefox
    "*.push.apple.com",  # Safari (web.push.apple.com)
    "*.notify.windows.com",  # Edge on Windows (WNS)
)


def parse_hosts(value: str) -> tuple[str, ...]:
    return tuple(host.strip().lower().rstrip(".") for host in value.split(",") if host.strip())


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    for entry in allowed:
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False


def endpoint_problem(endpoint: str, allowed: tuple[str, ...]) -> str | None:
    """Why an endpoint may not be used (None when it may)."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return N_("The endpoint is not a URL.")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        return N_("The endpoint must be a plain https URL of a push service.")
    if not _host_allowed(host, allowed):
        return N_("The endpoint's host is not a push service this system sends to.")
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(host) and port is not None:
        return None  # only when the loopback host itself is in the list (local tests)
    return N_("The endpoint must be an https URL.")
