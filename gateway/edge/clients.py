"""Who is on the other end: the client address, read from X-Forwarded-For only behind a trusted proxy.

The peer of the connection is the client unless it is one of TRUSTED_PROXIES (addresses or networks); then
the nearest X-Forwarded-For hop that is not a trusted proxy is. Nothing else may move it: the gateway must be
served without the server's own proxy-header handling (uvicorn trusts X-Forwarded-For from 127.0.0.1 by
default, so any local caller could name itself anyone): `python -m gateway` serves it that way, or pass
uvicorn `--no-proxy-headers`. What the gateway decided is what it tells the services (X-Forwarded-For).
"""

import functools
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.types import Scope


@functools.lru_cache(maxsize=4096)
def _trusted(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope: Scope, trusted_proxies: tuple[IPv4Network | IPv6Network, ...]) -> str:
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer[:64]
    hops: list[str] = []
    for key, value in scope.get("headers", []):
        if key == b"x-forwarded-for":  # several headers are one list, in order
            hops += [hop.strip() for hop in value.decode("latin-1").split(",") if hop.strip()]
    for hop in reversed(hops):  # the nearest hop not of our own proxies is the client
        if not _trusted(hop, trusted_proxies):
            return hop[:64]
    return peer[:64]
