from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support import Databases, Keys, NatsServer


@pytest.fixture
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A nats-server of the test's own, so that streams and durable consumers never leak between tests."""
    server = NatsServer(tmp_path_factory.mktemp("jetstream"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
async def databases(tmp_path: Path) -> AsyncIterator[Databases]:
    dbs = Databases(tmp_path)
    yield dbs
    await dbs.drop_all()


@pytest.fixture(scope="session", autouse=True)
def notification_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The notification service's development VAPID key and SMS outbox in a temporary folder, not the project's
    var/ (a test that needs its own sets these again)."""
    folder = tmp_path_factory.mktemp("notification")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VAPID_PRIVATE_KEY_FILE", str(folder / "vapid.pem"))
        patch.setenv("SMS_DEV_FILE", str(folder / "sms-outbox.jsonl"))
        yield
