"""make run's NATS users: made once, kept, private, and handed to each process as its own."""

import stat

from devstack.natsauth import BusUsers, permissions
from devstack.stack import Stack
from shared.config import SERVICES


def test_the_passwords_are_made_on_first_start_kept_after_and_readable_by_their_owner_only(tmp_path):
    first = BusUsers(tmp_path / "keys").passwords
    assert set(first) == set(permissions()) and len(set(first.values())) == len(first)
    assert all(len(password) >= 32 for password in first.values())
    assert BusUsers(tmp_path / "keys").passwords == first
    config = BusUsers(tmp_path / "keys").server_config()
    for path in (tmp_path / "keys" / "nats-users.json", config):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert all(f'password: "{password}"' in config.read_text() for password in first.values())


def test_each_process_of_the_stack_gets_its_own_user(tmp_path):
    users = BusUsers(tmp_path / "keys")
    stack = Stack(var_dir=tmp_path, nats_url="nats://127.0.0.1:4222", bus_users=users)
    for name in [*SERVICES, "gateway"]:
        env = stack.environment_for(name)
        assert (env["NATS_USER"], env["NATS_PASSWORD"]) == (name, users.password(name))
        assert "operator" not in env["NATS_URL"]
    assert Stack(var_dir=tmp_path, nats_url="nats://127.0.0.1:4222").settings_for("grid").nats_user == ""
