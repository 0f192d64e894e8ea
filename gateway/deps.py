"""What every gateway route may ask for: the gateway's state, a database session, the caller."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.edge.clients import client_address
from gateway.edge.lookups import CodeLookups
from gateway.edge.ratelimit import SlidingWindow
from gateway.identity.keys import SigningKeys
from gateway.identity.sealed import Sealer
from gateway.identity.senders import SmsCodeSender
from gateway.settings import GatewaySettings
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.messaging.outbox import OutboxSignal


@dataclass
class Limits:
    """The per-process windows; password failures are counted per address, per account and address, and per
    account (that one only slows answers down: gateway.identity.signin)."""

    signin: SlidingWindow
    filing: SlidingWindow
    photos: SlidingWindow
    tracking: SlidingWindow
    tracking_failures: SlidingWindow
    password_failures: SlidingWindow
    account_failures_here: SlidingWindow
    account_failures: SlidingWindow

    @classmethod
    def of(cls, settings: GatewaySettings, clock: Clock) -> "Limits":
        minute, quarter = timedelta(minutes=1), timedelta(minutes=15)
        return cls(
            signin=SlidingWindow(settings.signin_per_minute, minute, clock),
            filing=SlidingWindow(settings.filing_per_minute, minute, clock),
            photos=SlidingWindow(settings.photos_per_minute, minute, clock),
            tracking=SlidingWindow(settings.tracking_per_minute, minute, clock),
            tracking_failures=SlidingWindow(settings.tracking_failures_per_hour, timedelta(hours=1), clock),
            password_failures=SlidingWindow(settings.password_failures_per_address, quarter, clock),
            account_failures_here=SlidingWindow(settings.password_failures_per_account_address, quarter, clock),
            account_failures=SlidingWindow(1_000_000, quarter, clock),
        )


@dataclass
class Gateway:
    """The state of one gateway process; tests swap the clock and the sender."""

    settings: GatewaySettings
    engine: AsyncEngine
    maker: async_sessionmaker[AsyncSession]
    sender: SmsCodeSender
    clock: Clock = field(default_factory=Clock)
    keys: SigningKeys | None = None
    sealer: Sealer | None = None
    verifier: TokenVerifier | None = None
    limits: Limits | None = None
    code_lookups: CodeLookups | None = None
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    signal: OutboxSignal = field(default_factory=OutboxSignal)
    """Hands the rows a commit staged in the outbox to the relay (gateway.integrations.events)."""

    def __post_init__(self) -> None:
        self.keys = SigningKeys(self.settings.token_private_key_file, self.settings.token_public_key_file)
        self.verifier = TokenVerifier(self.keys.public_set, self.settings.token_issuer)
        self.sealer = Sealer(self.settings.encryption_keys_file, create=not self.settings.is_production)
        if self.settings.is_production:
            self.sealer.check()  # no keys file, no start
        self.use_limits()
        self.trusted_proxies = self.settings.trusted_proxy_networks()

    def use_clock(self, clock: Clock) -> None:
        """Move every time-dependent part onto another clock (tests)."""
        self.clock = clock
        self.use_limits()

    def use_limits(self) -> None:
        """Fresh windows on the current clock and settings."""
        self.limits = Limits.of(self.settings, self.clock)
        self.code_lookups = CodeLookups(self.limits.tracking, self.limits.tracking_failures)

    @property
    def private_key(self) -> bytes:
        """The key to sign with now (a rotation replaces it without a restart)."""
        return self.keys.current()[0]

    @property
    def key_id(self) -> str:
        return self.keys.current()[1]


async def get_gateway(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.gateway.maker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_client(request: Request) -> str:
    return client_address(request.scope, request.app.state.gateway.trusted_proxies)


ClientDep = Annotated[str, Depends(get_client)]
