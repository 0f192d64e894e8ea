"""Browser security headers on every answer, compression where the client takes it."""

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.settings import GatewaySettings


def security_headers(settings: GatewaySettings) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": settings.content_security_policy,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        # the microphone for the villager's voice note (pwa/villager/voice.js), the camera for photos
        "permissions-policy": "camera=(self), geolocation=(self), microphone=(self), payment=(), usb=()",
        "cross-origin-opener-policy": "same-origin",
    }
    if settings.hsts_seconds > 0:
        headers["strict-transport-security"] = f"max-age={settings.hsts_seconds}; includeSubDomains"
    return [(key.encode(), value.encode()) for key, value in headers.items()]


class SecurityHeadersMiddleware:
    """Adds the headers an answer does not set itself (a service's own choice wins)."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers
        self.names = {key for key, _ in headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", [])} & self.names
                extra = [item for item in self.headers if item[0] not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


STREAM_PATHS = ("/api/live",)


class CompressionMiddleware:
    """gzip for clients that accept it (starlette's GZipMiddleware, which leaves images and already-encoded
    answers alone); event streams are never compressed (a compressor would hold events back), whatever the
    Starlette version; a client that does not accept gzip skips the compressor entirely."""

    def __init__(self, app: ASGIApp, minimum_size: int = 500, compresslevel: int = 6) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(STREAM_PATHS):
            headers = dict(scope["headers"])
            if b"gzip" in headers.get(b"accept-encoding", b"") and b"event-stream" not in headers.get(b"accept", b""):
                await self.gzip(scope, receive, send)
                return
        await self.app(scope, receive, send)
