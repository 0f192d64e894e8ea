"""The bus from an attacker's side: every service connects as its own NATS user, and a user's credentials can
neither forge another service's events nor read a stream that user does not consume; without credentials
nothing connects (the forgery of issue #16: a grid.assignment.started.v1 that routed cases elsewhere)."""

import asyncio
import subprocess
import uuid
from contextlib import AsyncExitStack
from datetime import date

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError
from sqlalchemy import text

from deploy import bus as deployed
from deploy.certificates import write_nats_tls
from devstack.natsauth import permissions
from devstack.stack import free_port, nats_server_binary, wait_for_port
from shared.config import Settings
from shared.messaging.bus import Bus
from shared.messaging.catalogue import AssignmentStarted, envelope
from shared.messaging.permissions import inbox_prefix, password_variable
from tests.support import NatsServer, case_submitted, eventually, start_service

GRID_ID = "0c9d6f7e-6666-4222-8333-944455556666"


class Connection:
    """A connection as one user, keeping every error the server sends it (permissions violations)."""

    def __init__(self, server: NatsServer, user: str) -> None:
        self.server = server
        self.user = user
        self.errors: list[str] = []
        self.nc: nats.aio.client.Client | None = None

    async def __aenter__(self) -> nats.aio.client.Client:
        async def remember(error: Exception) -> None:
            self.errors.append(str(error))

        self.nc = await nats.connect(
            self.server.address,
            user=self.user,
            password=self.server.users.password(self.user),
            inbox_prefix=inbox_prefix(self.user),
            error_cb=remember,
            allow_reconnect=False,
        )
        return self.nc

    async def __aexit__(self, *_: object) -> None:
        assert self.nc is not None
        await self.nc.close()

    def violated(self, subject: str) -> bool:
        """Whether the server refused this subject (nats-py reports the server's error in lower case)."""
        return any("permissions violation for" in error and f'"{subject.lower()}"' in error for error in self.errors)


def forged_assignment() -> bytes:
    deputy_of_another_township = str(uuid.uuid4())
    payload = AssignmentStarted(
        assignment_id=str(uuid.uuid4()),
        grid_id=GRID_ID,
        deputy_id=deputy_of_another_township,
        role="member",
        basis="forged",
        starts_on=date(2026, 1, 1),
    )
    return envelope("/grid", payload).model_dump_json().encode()


async def stored(server: NatsServer, stream: str) -> int:
    operator = await nats.connect(server.url)
    try:
        return (await operator.jetstream().stream_info(stream)).state.messages
    finally:
        await operator.close()


async def routing_entries(service) -> int:
    async with service.runtime.maker() as session:
        return (await session.execute(text("SELECT count(*) FROM routing_entries"))).scalar_one()


async def test_case_intakes_credentials_cannot_forge_a_grid_assignment(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        settings = databases.settings("case_intake", nats_server.url, keys.public)
        assert settings.nats_user == "case_intake"
        intake = await start_service(stack, "case_intake", settings)  # consumes GRID, so it made the stream
        forged = forged_assignment()

        attacker = Connection(nats_server, "case_intake")
        async with attacker as nc:
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await nc.jetstream(timeout=1).publish(AssignmentStarted.event_type, forged)
            await nc.publish(AssignmentStarted.event_type, forged)  # and without waiting for JetStream
            await nc.flush()
            await eventually(lambda: asyncio.sleep(0, attacker.violated(AssignmentStarted.event_type)))
        await asyncio.sleep(0.5)
        assert await stored(nats_server, "GRID") == 0
        assert await routing_entries(intake) == 0

        # The control: the same event from the grid service's own user is stored and routes cases.
        async with Connection(nats_server, "grid") as nc:
            await nc.jetstream().publish(AssignmentStarted.event_type, forged, stream="GRID")
        assert await stored(nats_server, "GRID") == 1
        await eventually(lambda: routing_entries(intake))


async def test_a_service_cannot_read_a_stream_it_does_not_consume(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        await start_service(stack, "case_intake", databases.settings("case_intake", nats_server.url, keys.public))
        await start_service(stack, "deputy", databases.settings("deputy", nats_server.url, keys.public))
        spy = Connection(nats_server, "micro_funding")  # consumes CASE, GRID and IDENTITY, not DEPUTY
        async with spy as nc:
            heard: list[str] = []

            async def listen(message) -> None:
                heard.append(message.subject)

            await nc.subscribe("deputy.>", cb=listen)
            await nc.subscribe("_INBOX.deputy.>", cb=listen)  # the deputy service's replies and deliveries
            await nc.flush()
            await eventually(lambda: asyncio.sleep(0, spy.violated("deputy.>") and spy.violated("_INBOX.deputy.>")))

            js = nc.jetstream(timeout=1)
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await js.add_consumer(
                    "DEPUTY", ConsumerConfig(durable_name="micro_funding", ack_policy=AckPolicy.EXPLICIT)
                )
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await js.add_consumer("CASE", ConsumerConfig(durable_name="deputy", ack_policy=AckPolicy.EXPLICIT))
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await js.get_last_msg("DEPUTY", "deputy.deputy.updated.v1")

            # Meanwhile the services' own traffic flows: case_intake publishes a case, the deputy service reads it.
            async with Connection(nats_server, "case_intake") as intake:
                event = envelope("/case-intake", case_submitted(str(uuid.uuid4())))
                await intake.jetstream().publish(event.type, event.model_dump_json().encode(), stream="CASE")
            async with Connection(nats_server, "operator") as operator:
                await operator.publish("deputy.deputy.updated.v1", b"{}")
            await asyncio.sleep(1)
            assert heard == []

        operator = await nats.connect(nats_server.url)
        try:
            with pytest.raises(NotFoundError):
                await operator.jetstream().consumer_info("DEPUTY", "micro_funding")
            assert (await operator.jetstream().consumer_info("CASE", "deputy")).config.durable_name == "deputy"
        finally:
            await operator.close()


async def test_the_live_feed_user_reads_case_events_and_publishes_nothing(nats_server):
    feed = Connection(nats_server, "gateway")
    async with feed as nc:
        heard: list[str] = []

        async def listen(message) -> None:
            heard.append(message.subject)

        await nc.subscribe("case.>", cb=listen)
        await nc.subscribe("grid.>", cb=listen)
        await nc.publish(AssignmentStarted.event_type, forged_assignment())
        await nc.publish("case.case.submitted.v1", b"{}")
        await nc.flush()
        async with Connection(nats_server, "operator") as operator:
            await operator.publish("case.case.accepted.v1", b"{}")
            await operator.publish("grid.grid.created.v1", b"{}")
        await eventually(lambda: asyncio.sleep(0, heard))
        await asyncio.sleep(0.3)
    assert heard == ["case.case.accepted.v1"]
    assert feed.violated("grid.>")
    assert feed.violated(AssignmentStarted.event_type) and feed.violated("case.case.submitted.v1")


async def test_a_connection_without_credentials_is_refused(nats_server):
    for credentials in ({}, {"user": "case_intake", "password": "guessed"}, {"user": "nobody", "password": "x"}):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(nats_server.address, allow_reconnect=False, connect_timeout=2, **credentials)


async def test_the_deployed_bus_speaks_tls_only_to_clients_that_trust_its_ca(tmp_path):
    """deploy/'s NATS configuration (one node here): a service's bus with NATS_TLS_CA_FILE connects and makes its
    stream; a client without TLS, or one that trusts another CA, does not get to send its password."""
    tls, other = write_nats_tls(tmp_path / "tls", ["127.0.0.1"]), write_nats_tls(tmp_path / "other", ["127.0.0.1"])
    port = free_port()
    config = tmp_path / "nats.conf"
    store = str(tmp_path / "store")
    config.write_text(
        deployed.server_config(None, listen=f"127.0.0.1:{port}", tls_dir=str(tls), store=store, monitor=None)
    )
    passwords = {user: uuid.uuid4().hex for user in permissions()}
    env = {password_variable(user): password for user, password in passwords.items()} | {"NATS_SERVER_NAME": "one"}
    server = subprocess.Popen([nats_server_binary(), "-c", str(config)], env=env, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        url = f"tls://127.0.0.1:{port}"
        grid = Settings(service_name="grid", nats_url=url, nats_user="grid", nats_password=passwords["grid"])
        bus = Bus.for_settings(grid.model_copy(update={"nats_tls_ca_file": tls / "ca.crt"}))
        await asyncio.wait_for(bus.connect(), 15)
        try:
            assert bus.connected and (await bus.js.stream_info("GRID")).config.name == "GRID"
        finally:
            await bus.close()

        # The server waits for a TLS handshake: a plaintext client never gets its INFO (it says so, or, on a busy
        # machine, its connect times out first); either way it is not connected.
        with pytest.raises((nats.errors.Error, asyncio.TimeoutError)):
            await nats.connect(
                f"nats://127.0.0.1:{port}",
                user="grid",
                password=passwords["grid"],
                allow_reconnect=False,
                connect_timeout=5,
            )
        fooled = Bus.for_settings(grid.model_copy(update={"nats_tls_ca_file": other / "ca.crt"}))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(fooled.connect(), 3)  # it never trusts a server its CA did not sign
        assert not fooled.connected
    finally:
        server.terminate()
        server.wait(timeout=10)
