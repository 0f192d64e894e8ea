"""`make run` (python -m devstack.supervisor) as a real process, watched from outside: one stack a folder,
a crashed process restarted, every signal stops everything, and SIGKILL of the supervisor leaves no orphans."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from devstack.demo import city as demo_city
from devstack.supervisor import Stack, StackAlreadyRunning, free_port
from shared.config import PROJECT_ROOT, SERVICES

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the parent-death signal is Linux's"),
]

GROUP_ID = demo_city.stable_id("grid:" + demo_city.deputies()[0].home_grid_code)


class Supervisor:
    """`python -m devstack.supervisor` on a folder and port of its own, in a process group of its own (so the
    test can always clean up), its output in a file."""

    def __init__(self, var_dir: Path, port: int | None = None) -> None:
        self.var_dir = var_dir
        self.port = port or free_port()
        self.output = var_dir.parent / f"supervisor-{self.port}.out"
        env = {**os.environ, "DEVSTACK_VAR_DIR": str(var_dir), "GATEWAY_PORT": str(self.port)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
        env.pop("NATS_URL", None)
        with open(self.output, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "devstack.supervisor"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.seen: set[int] = set()

    @property
    def text(self) -> str:
        return self.output.read_text(errors="replace")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def children(self) -> dict[int, str]:
        """pid -> command line of the supervisor's child processes (remembered, to check them later)."""
        found = {pid: command for pid, parent, command in processes() if parent == self.process.pid}
        self.seen |= set(found)
        return found

    def child(self, part: str) -> int:
        return next(pid for pid, command in self.children().items() if part in command)

    def wait_running(self, timeout: float = 180) -> None:
        wait_until(lambda: "is running" in self.text, timeout, lambda: f"never ran:\n{self.text[-3000:]}")
        self.children()

    def alive(self) -> list[int]:
        return [pid for pid in self.seen if running(pid)]

    def clean_up(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # the supervisor and every child still in its group
        for pid in self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def processes() -> Iterator[tuple[int, int, str]]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
                if state != "Z":
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    yield int(entry.name), int(parent), command


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def wait_until(condition: Callable[[], object], timeout: float, message: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s. {message()}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory) -> Path:
    """One folder for the module: the demo city is loaded into it once."""
    return tmp_path_factory.mktemp("supervised") / "var"


@pytest.fixture
def supervisors() -> Iterator[list[Supervisor]]:
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.clean_up()


def file_a_case(url: str, key: str, timeout: float = 60) -> None:
    body = {"kind": "request", "category": "sanitation", "grid_id": GROUP_ID, "description": f"垃圾没人收 {key}"}
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=5) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                answer = client.post("/api/case-intake/cases", json=body, headers={"Idempotency-Key": key})
                if answer.status_code == 201:
                    return
            assert time.monotonic() < deadline, f"{key} was never acknowledged"
            time.sleep(0.2)


def test_a_second_stack_is_refused_and_a_crashed_process_is_restarted(var_dir, supervisors):
    first = Supervisor(var_dir)
    supervisors.append(first)
    first.wait_running()

    second = Supervisor(var_dir)
    supervisors.append(second)
    assert second.process.wait(timeout=60) == 2
    assert "already running" in second.text, second.text
    intruder = Stack(var_dir=var_dir, gateway_port=free_port())
    try:
        with pytest.raises(StackAlreadyRunning, match="already running"):
            intruder.start()
    finally:
        intruder.stop()

    intake = first.child("services.case_intake.app")
    os.kill(intake, signal.SIGKILL)
    wait_until(lambda: "case_intake exited with code -9; restarting in 1 s" in first.text, 10, lambda: first.text)
    wait_until(lambda: "case_intake restarted" in first.text, 10, lambda: first.text)
    assert first.child("services.case_intake.app") != intake
    file_a_case(first.url, "supervised-0001")  # the stack answers again

    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(timeout=45) == 0
    assert first.alive() == []
    assert "All processes stopped." in first.text


def test_a_signal_while_a_process_waits_to_be_restarted_stops_everything(var_dir, supervisors):
    supervisor = Supervisor(var_dir)
    supervisors.append(supervisor)
    supervisor.wait_running()
    os.kill(supervisor.child("gateway.app"), signal.SIGKILL)
    wait_until(lambda: "gateway exited with code -9" in supervisor.text, 10, lambda: supervisor.text)
    supervisor.process.send_signal(signal.SIGINT)
    assert supervisor.process.wait(timeout=45) == 0
    assert supervisor.alive() == []
    assert "SIGINT: stopping every process." in supervisor.text
    assert "gateway restarted" not in supervisor.text


def test_a_signal_while_starting_stops_everything_even_after_a_process_was_killed(tmp_path, supervisors):
    supervisor = Supervisor(tmp_path / "var")  # a new folder: loading the demo city makes the start a long one
    supervisors.append(supervisor)
    wait_until(lambda: any("services.grid.app" in command for command in supervisor.children().values()), 120)
    os.kill(supervisor.child("services.grid.app"), signal.SIGKILL)
    supervisor.process.send_signal(signal.SIGTERM)
    supervisor.process.wait(timeout=30)
    wait_until(lambda: not supervisor.alive(), 15, lambda: f"still running: {supervisor.alive()}")
    assert "is running" not in supervisor.text


def test_sigkill_of_the_supervisor_takes_every_process_with_it(var_dir, supervisors):
    supervisor = Supervisor(var_dir)
    supervisors.append(supervisor)
    supervisor.wait_running()
    assert len(supervisor.children()) == len(SERVICES) + 2  # nats, every service, the gateway
    supervisor.process.kill()
    supervisor.process.wait(timeout=10)
    wait_until(lambda: not supervisor.alive(), 15, lambda: f"orphans: {supervisor.alive()}")
    after = Stack(var_dir=var_dir)
    after.claim()  # and the folder is free again
    after.stop()
