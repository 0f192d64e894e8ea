import pytest

from tests.badinput.worlds import Worlds


@pytest.fixture(scope="module")
async def worlds(tmp_path_factory, keys):
    """Each service's small world (tests/badinput/worlds.py), built on first use, shared by a module's tests."""
    built = Worlds(tmp_path_factory.mktemp("badinput"), keys)
    yield built
    await built.close()
