"""Who is on the other end: the client address, read from X-Forwarded-For only behind a trusted proxy."""

from starlette.types import Scope


def client_address(scope: Scope, trusted_proxies: frozenset[str]) -> str:
    peer = (scope.get("client") or ("unknown", 0))[0]
    if peer not in trusted_proxies:
        return peer[:64]
    for key, value in scope.get("headers", []):
        if key == b"x-forwarded-for":
            hops = [hop.strip() for hop in value.decode("latin-1").split(",") if hop.strip()]
            # the nearest hop not of our own proxies is the client
            for hop in reversed(hops):
                if hop not in trusted_proxies:
                    return hop[:64]
    return peer[:64]
