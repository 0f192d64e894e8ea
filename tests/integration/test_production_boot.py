"""The shipped production settings boot (issue #16, item 7): the Kubernetes manifests are rendered, their secrets
made by `deploy.make_secrets`, and the release's steps and processes run here with exactly the environment a
pod would get — its ConfigMaps, its secrets, its mounted files — with only the addresses of PostgreSQL and
NATS (and the mount points) made local: the migrate job's roles step (psql) and migrations, a nats-server with
the deployed configuration (TLS first, a user per process), then grid, case_intake and the gateway until
/readyz answers. Each service's role then reads its own schema and nothing else.

PostgreSQL only (production refuses SQLite): it runs in the PostgreSQL pass of `make test`."""

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from deploy import bus, make_secrets, render_k8s
from devstack.stack import free_port, nats_server_binary, wait_for_http, wait_for_port
from shared.config import PROJECT_ROOT

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")
PROCESSES = ["grid", "case_intake", "gateway"]


class Release:
    """The rendered manifests and made secrets, turned into local environments and files."""

    def __init__(self, folder: Path, database: str, nats_port: int) -> None:
        self.folder = folder
        self.made = make_secrets.Secrets(otp_webhook_url="https://sms.invalid/send")
        documents = [d for docs in render_k8s.rendered().values() for d in docs]
        documents += make_secrets.kubernetes_documents(self.made)
        self.config_maps = {d["metadata"]["name"]: d["data"] for d in documents if d["kind"] == "ConfigMap"}
        self.secrets = {d["metadata"]["name"]: d["stringData"] for d in documents if d["kind"] == "Secret"}
        kinds = ("Deployment", "StatefulSet", "Job")
        self.pods = {d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in documents if d["kind"] in kinds}
        local = make_url(os.environ["TEST_DATABASE_URL"])
        self.local, self.database, self.nats_port = local, database, nats_port

    def environment(self, pod: str, container: dict) -> dict[str, str]:
        """The container's environment as Kubernetes builds it, then made local; nothing of this process's."""
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            env.update(self.config_maps[source["configMapRef"]["name"]])
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = item["value"]
            elif ref := item["valueFrom"].get("secretKeyRef"):
                env[item["name"]] = self.secrets[ref["name"]][ref["key"]]
        mounts = self._mount(pod, container)
        return self._local_addresses({name: _localized(value, mounts) for name, value in env.items()})

    def command(self, pod: str, container: dict) -> list[str]:
        """The container's command, with the files it names where their volumes are mounted here."""
        mounts = self._mount(pod, container)
        return [_localized(part, mounts) for part in container["command"]]

    def _mount(self, pod: str, container: dict) -> dict[str, Path]:
        volumes = {volume["name"]: volume for volume in self.pods[pod]["volumes"]}
        mounts = {}
        for mount in container.get("volumeMounts", []):
            volume, target = volumes[mount["name"]], self.folder / pod / mount["mountPath"].strip("/")
            target.mkdir(parents=True, exist_ok=True)
            if "secret" in volume or "configMap" in volume:
                name = volume.get("secret", {}).get("secretName") or volume["configMap"]["name"]
                files = self.secrets.get(name) or self.config_maps[name]
                for key, text in files.items():
                    (target / key).write_text(text)
            mounts[mount["mountPath"]] = target
        return mounts

    def _local_addresses(self, env: dict[str, str]) -> dict[str, str]:
        if "DATABASE_URL" in env:
            url = make_url(env["DATABASE_URL"])
            owner = url.username == render_k8s.database.SETTINGS["PGUSER"]
            url = url.set(host=self.local.host, port=self.local.port, database=self.database)
            env["DATABASE_URL"] = url.set(username=self.local.username if owner else url.username).render_as_string(
                hide_password=False
            )
        if "NATS_URL" in env:
            env["NATS_URL"] = f"tls://127.0.0.1:{self.nats_port}"
        if "PGHOST" in env:
            env |= {"PGHOST": self.local.host, "PGPORT": str(self.local.port), "PGDATABASE": self.database}
            env["PGUSER"] = self.local.username  # the owner of the test's database
        return env


def _localized(value: str, mounts: dict[str, Path]) -> str:
    for mount_path, local_path in mounts.items():
        if value.startswith(mount_path + "/"):
            return str(local_path) + value[len(mount_path) :]
    return value


def _run_with(env: dict[str, str]) -> dict[str, str]:
    """Exactly `env`, and what finds the programs: PATH, and the project on PYTHONPATH (the image installs it)."""
    return {**env, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "PYTHONPATH": str(PROJECT_ROOT)}


def _local_command(command: list[str], port: int) -> list[str]:
    assert command[:3] in (["python", "-m", "uvicorn"], ["python", "-m", "gateway"]) and command[-4:] == [
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    return [sys.executable, *command[1:-4], "--host", "127.0.0.1", "--port", str(port)]


async def _admin(sql: str) -> None:
    url = os.environ["TEST_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Release]:
    database = f"boot_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    processes: list[subprocess.Popen[bytes]] = []
    release = Release(tmp_path, database, free_port())
    release.processes = processes  # type: ignore[attr-defined]
    try:
        yield release
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def _start_nats(release: Release) -> list[subprocess.Popen[bytes]]:
    """A three-node cluster on loopback (streams have NATS_STREAM_REPLICAS=3), each node with the deployed
    configuration: its users and permissions, TLS first for clients, mutual TLS on the routes."""
    tls = release.folder / "nats-tls"
    tls.mkdir()
    for name, content in release.made.tls.items():
        (tls / name).write_bytes(content)
    nats = release.pods["nats"]["containers"][0]
    passwords = {
        item["name"]: release.secrets[item["valueFrom"]["secretKeyRef"]["name"]]["password"]
        for item in nats["env"]
        if "secretKeyRef" in item.get("valueFrom", {})
    }
    ports = [release.nats_port, free_port(), free_port()]
    routes = [f"127.0.0.1:{free_port()}" for _ in ports]
    nodes = []
    for index, port in enumerate(ports):
        config = release.folder / f"nats-{index}.conf"
        text = bus.server_config(
            routes,
            listen=f"127.0.0.1:{port}",
            cluster_listen=routes[index],
            tls_dir=str(tls),
            store=str(release.folder / f"jetstream-{index}"),
            monitor=None,
        )
        config.write_text(text)
        log = open(release.folder / f"nats-{index}.log", "wb")  # noqa: SIM115
        env = {**passwords, "NATS_SERVER_NAME": f"nats-{index}"}
        command = [nats_server_binary(), "-c", str(config)]
        nodes.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log))
    for port in ports:
        wait_for_port(port)
    return nodes


def test_the_rendered_production_settings_boot(release: Release):
    job = release.pods["migrate"]
    (roles,), (migrate,) = job["initContainers"], job["containers"]
    psql = shutil.which(roles["command"][0])
    assert psql, "psql (15 or later) is needed"
    made = subprocess.run(
        [psql, *release.command("migrate", roles)[1:]],
        env=_run_with(release.environment("migrate", roles)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    migrated = subprocess.run(
        [sys.executable, *migrate["command"][1:]],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=_run_with(release.environment("migrate", migrate)),
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]

    release.processes.extend(_start_nats(release))  # type: ignore[attr-defined]
    for process in PROCESSES:
        pod = render_k8s.dns_name(process)
        container = release.pods[pod]["containers"][0]
        env = release.environment(pod, container)
        assert env["ENVIRONMENT"] == "production" and env["NATS_USER"] == process
        port = free_port()
        log = open(release.folder / f"{process}.log", "wb")  # noqa: SIM115
        running = subprocess.Popen(
            _local_command(container["command"], port),
            env=_run_with(env),
            cwd=release.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        release.processes.append(running)  # type: ignore[attr-defined]

        def alive(running=running, process=process) -> None:
            if running.poll() is not None:
                raise AssertionError(f"{process} exited: {(release.folder / f'{process}.log').read_text()[-3000:]}")

        try:
            wait_for_http(f"http://127.0.0.1:{port}/readyz", timeout=90, alive=alive)
        except TimeoutError:
            log_text = (release.folder / f"{process}.log").read_text()[-3000:]
            nats_log = (release.folder / "nats-0.log").read_text()[-2000:]
            raise AssertionError(f"{process} not ready:\n{log_text}\nNATS:\n{nats_log}") from None

    asyncio.run(_each_role_reads_its_own_schema_only(release))


async def _each_role_reads_its_own_schema_only(release: Release) -> None:
    url = make_url(release.secrets["db-grid"]["url"]).set(host=release.local.host, port=release.local.port)
    connection = await asyncpg.connect(
        user="grid", password=url.password, host=url.host, port=url.port, database=release.database
    )
    try:
        assert await connection.fetchval("SELECT count(*) FROM grid.alembic_version") == 1
        for statement in (
            "SELECT count(*) FROM deputy.alembic_version",
            "SELECT count(*) FROM gateway.alembic_version",
            "CREATE TABLE grid.intruder (id int)",
            "CREATE SCHEMA intruder",
            "CREATE TABLE public.intruder (id int)",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(statement)
    finally:
        await connection.close()
