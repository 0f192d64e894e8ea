"""Web Push: RFC 8030 (the push service), RFC 8291 (aes128gcm message encryption, http-ece) and RFC 8292 (VAPID,
py-vapid). Requests go over one pooled aiohttp session, never follow redirects, and only to endpoints on the
allow-list (WEBPUSH_ALLOWED_HOSTS), checked again at every send."""

import base64
import logging
import time
from urllib.parse import urlsplit

import aiohttp
import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from services.notification.channels import Outcome
from services.notification.domain.endpoints import endpoint_problem
from services.notification.policy import NotificationPolicy

log = logging.getLogger(__name__)

VAPID_LIFETIME_SECONDS = 12 * 3600  # RFC 8292 §2: at most 24 hours


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url_encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


class VapidKeys:
    """The application server's VAPID key pair: from VAPID_PRIVATE_KEY (production), else from the file under
    var/keys, made on first start in development."""

    def __init__(self, vapid: Vapid02, subject: str) -> None:
        self.vapid = vapid
        self.subject = subject
        self._tokens: dict[str, tuple[float, str]] = {}

    @classmethod
    def load(cls, policy: NotificationPolicy) -> "VapidKeys":
        if policy.vapid_private_key:
            return cls(Vapid02.from_pem(policy.vapid_private_key.encode()), policy.vapid_subject)
        path = policy.vapid_private_key_file
        if not path.exists():
            if policy.environment == "production":
                raise RuntimeError("production needs VAPID_PRIVATE_KEY")
            path.parent.mkdir(parents=True, exist_ok=True)
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(pem)
            temporary.chmod(0o600)
            temporary.replace(path)  # two processes starting at once: one file wins whole
            log.info("made a development VAPID key at %s", path)
        return cls(Vapid02.from_pem(path.read_bytes()), policy.vapid_subject)

    @property
    def application_server_key(self) -> str:
        """The public key as PushManager.subscribe's `applicationServerKey` (base64url, uncompressed point)."""
        raw = self.vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url_encode(raw)

    def authorization(self, endpoint: str) -> str:
        """`vapid t=<JWT>,k=<key>` for the endpoint's push service origin, reused while it has an hour left."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._tokens.get(audience)
        if cached and cached[0] - now > 3600:
            return cached[1]
        expires = int(now) + VAPID_LIFETIME_SECONDS
        header = self.vapid.sign({"aud": audience, "exp": expires, "sub": self.subject})["Authorization"]
        self._tokens[audience] = (expires, header)
        return header


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The RFC 8291 message: aes128gcm with a fresh sender key, to the subscription's keys."""
    return http_ece.encrypt(
        payload,
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(p256dh),
        auth_secret=b64url_decode(auth),
        version="aes128gcm",
    )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None


class WebPushSender:
    def __init__(self, keys: VapidKeys, policy: NotificationPolicy) -> None:
        self.keys = keys
        self.policy = policy
        self.allowed = policy.allowed_hosts
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.policy.notify_send_timeout_seconds),
                connector=aiohttp.TCPConnector(limit=self.policy.notify_concurrency),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(
        self, endpoint: str, p256dh: str, auth: str, payload: bytes, *, topic: str, urgent: bool, ttl: int
    ) -> Outcome:
        problem = endpoint_problem(endpoint, self.allowed)
        if problem:
            return Outcome("gone", problem)  # the list changed since it was registered: the device is dropped
        try:
            body = encrypt(payload, p256dh, auth)
        except Exception as error:  # keys that are not a P-256 point: nothing will ever reach this device
            return Outcome("gone", f"the subscription's keys do not work: {type(error).__name__}")
        headers = {
            "TTL": str(ttl),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Topic": topic,  # RFC 8030 §5.4: a resend replaces one the push service still holds
            "Urgency": "high" if urgent else "normal",
            "Authorization": self.keys.authorization(endpoint),
        }
        try:
            async with self.session().post(endpoint, data=body, headers=headers, allow_redirects=False) as answer:
                text = (await answer.content.read(300)).decode(errors="replace")
                status, retry_after = answer.status, _retry_after(answer.headers.get("Retry-After"))
        except TimeoutError:
            return Outcome("retry", "the push service did not answer in time")
        except aiohttp.ClientError as error:
            return Outcome("retry", f"the push service could not be reached: {type(error).__name__}")
        if status in (200, 201, 202):
            return Outcome("sent")
        reason = f"{status} {text}".strip()[:300]
        if status in (404, 410):
            return Outcome("gone", reason)
        if status == 429 or status >= 500:
            return Outcome("retry", reason, retry_after)
        return Outcome("failed", reason)
