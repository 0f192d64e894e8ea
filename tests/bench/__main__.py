"""`make bench`: every benchmark in one run, printed, written to bench/results/latest.json and a chart.

Each module's `run()` returns its figures; the baselines (a bare FastAPI endpoint, the trivial endpoint
direct and through Caddy, the default JetStream sync) are measured in the same run as what they are compared
with.
"""

import json
import platform
import sys
from datetime import UTC, datetime
from importlib import import_module

from shared.config import PROJECT_ROOT
from tests.bench.chart import write_chart

BENCHMARKS = (
    "cost_bench",
    "submission_bench",
    "gateway_bench",
    "grid_bench",
    "import_bench",
    "pwa_bench",
    "lighthouse_bench",
    "nats_sync_bench",
    "notification_bench",
    "documents_bench",
)
RESULTS = PROJECT_ROOT / "bench" / "results"


def main(names: list[str]) -> None:
    figures: dict[str, object] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        },
    }
    for name in names or BENCHMARKS:
        try:
            module = import_module(f"tests.bench.{name}")
        except ModuleNotFoundError:
            continue
        print(f"--- {name}", flush=True)
        if not hasattr(module, "run"):
            module.main()  # prints its own figures
            continue
        figures[name] = module.run()
        print(json.dumps(figures[name], indent=2, ensure_ascii=False), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    write_chart(figures, RESULTS / "latest.svg")
    print(f"written: {RESULTS / 'latest.json'} and latest.svg")


if __name__ == "__main__":
    main(sys.argv[1:])
