"""The cost of the gateway's hop: a trivial endpoint measured directly and through the gateway's proxy, in the
same run, at the same concurrency.

    .venv/bin/python -m tests.bench.gateway_bench [--seconds 5] [--rounds 3] [--connections 20]

Both run as separate uvicorn processes, like `make run`: the bare FastAPI app of tests/bench/bare_app.py (GET
/ping), and the gateway started as devstack/supervisor.py starts it, with GRID_URL pointing at the bare app (so
/api/grid/ping is proxied). Direct and proxied alternate for a few rounds and the medians are reported, with
each server's CPU time per request (robust against other load on the machine). The load comes from `wrk` when
it is installed (apt-get install wrk), otherwise from the multi-process aiohttp generator of tests/bench/load.py;
either way the load generator has processes of its own so that it is not the bottleneck. Prints requests/s, p50
and p99 latency, and the proxied share of the direct throughput (the target is at least 45%). `make bench`
calls `run()`.
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


def start(folder: Path) -> tuple[Processes, str, str]:
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
    direct = f"http://127.0.0.1:{upstream_port}/ping"
    proxied = f"http://127.0.0.1:{gateway_port}/api/grid/ping"
    wait_for_http(direct)
    wait_for_http(proxied)
    return processes, direct, proxied


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


def run(seconds: int = 5, rounds: int = 3, connections: int = 20) -> dict[str, object]:
    """Measure direct and proxied `rounds` times, alternating; returns the medians (and every round's share)."""
    folder = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    processes, direct, proxied = start(folder)
    runs: dict[str, list[dict[str, float]]] = {"direct": [], "proxied": []}
    try:
        for url in (direct, proxied):  # warm up pools and caches
            measure(url, 2, connections)
        for _ in range(rounds):
            for name, url, process in (("direct", direct, "upstream"), ("proxied", proxied, "gateway")):
                before = processes.cpu_seconds(process)
                figure = measure(url, seconds, connections)
                figure["cpu_us"] = (processes.cpu_seconds(process) - before) / max(figure["rps"] * seconds, 1) * 1e6
                runs[name].append(figure)
    finally:
        processes.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result: dict[str, object] = {
        "load_generator": "wrk" if shutil.which("wrk") else "aiohttp, multi-process (tests/bench/load.py)",
        "connections": connections,
        "rounds": rounds,
        "seconds": seconds,
    }
    for name, figures in runs.items():
        result[f"{name}_rps"] = round(statistics.median(f["rps"] for f in figures), 1)
        result[f"{name}_p50_ms"] = round(statistics.median(f["p50"] for f in figures) * 1000, 2)
        result[f"{name}_p99_ms"] = round(statistics.median(f["p99"] for f in figures) * 1000, 2)
        result[f"{name}_cpu_us_per_request"] = round(statistics.median(f["cpu_us"] for f in figures))
        result[f"{name}_errors"] = sum(int(f["errors"]) for f in figures)
    shares = [proxy["rps"] / plain["rps"] for plain, proxy in zip(runs["direct"], runs["proxied"], strict=True)]
    result["proxied_share"] = round(statistics.median(shares), 3)
    result["proxied_share_per_round"] = [round(share, 3) for share in shares]
    result["target_share"] = TARGET_SHARE
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=3, help="direct and proxied alternate this many times")
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    result = run(args.seconds, args.rounds, args.connections)
    print(
        f"\nGateway hop: {args.connections} connections, {args.rounds} rounds of {args.seconds} s each, "
        f"load from {result['load_generator']}, {os.cpu_count()} CPUs (medians)"
    )
    print(f"{'':10}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'CPU µs/request':>16}{'errors':>8}")
    for name in ("direct", "proxied"):
        print(
            f"{name:10}{result[f'{name}_rps']:>12,.0f}{result[f'{name}_p50_ms']:>10.2f}{result[f'{name}_p99_ms']:>10.2f}"
            f"{result[f'{name}_cpu_us_per_request']:>16}{result[f'{name}_errors']:>8}"
        )
    share = float(result["proxied_share"])  # type: ignore[arg-type]
    verdict = "meets" if share >= TARGET_SHARE else "MISSES"
    print(
        f"proxied / direct: {share:.0%} (rounds: {', '.join(f'{s:.0%}' for s in result['proxied_share_per_round'])}); "  # type: ignore[union-attr]
        f"{verdict} the {TARGET_SHARE:.0%} target\n"
    )


if __name__ == "__main__":
    main()
