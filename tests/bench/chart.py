"""A bar chart of every throughput figure (keys ending in rps or per_s) as a standalone SVG."""

from pathlib import Path

ROW, LABEL_WIDTH, BAR_WIDTH = 22, 330, 420


def _rates(figures: dict, prefix: str = "") -> list[tuple[str, float]]:
    rates = []
    for key, value in figures.items():
        if isinstance(value, dict):
            rates += _rates(value, f"{prefix}{key}.")
        elif isinstance(value, (int, float)) and (key.endswith("rps") or key.endswith("per_s")):
            rates.append((f"{prefix}{key}", float(value)))
    return rates


def _costs(figures: dict) -> list[str]:
    """One line per database of the cost bench (issue #21): CPU per filing against a bare POST, p50/p99 at 60% of
    the maximum, the stack's memory."""
    lines = []
    for database, cost in (figures.get("cost_bench") or {}).items():
        latency = next((value for key, value in cost.items() if key.startswith("latency_at_")), {})
        lines.append(
            f"{database}: a filing costs {cost['cpu_ms_per_filing']} ms CPU = {cost['ratio_filing_to_bare_post']}x a "
            f"bare POST ({cost['bare_post_cpu_us']} µs; spread {cost['ratio_spread']}, "
            f"target ≤ {cost['target_ratio']}; {cost.get('ratio_above_idle')}x above the stack's idle CPU); "
            f"at {latency.get('rate_per_s')}/s p50 {latency.get('p50_ms')} ms, p99 {latency.get('p99_ms')} ms; "
            f"memory {cost['rss_mb_at_rest']} MB at rest, {cost['rss_mb_under_load']} MB under load"
        )
    return lines


def _lighthouse(figures: dict) -> list[str]:
    """One line per page of the Lighthouse bench: performance, total blocking time, accessibility, pass/fail."""
    result = figures.get("lighthouse_bench") or {}
    return [
        f"Lighthouse mobile {name}: performance {page['performance']}, TBT {page['total_blocking_time_ms']} ms, "
        f"accessibility {page['accessibility']}: {'pass' if page['passes'] else 'FAIL'} (targets ≥ 90, < 200 ms, 100; "
        f"load average {result.get('load_average_1min')})"
        for name, page in result.items()
        if isinstance(page, dict) and "passes" in page
    ]


def write_chart(figures: dict, path: Path) -> None:
    rates = _rates(figures)
    costs = _costs(figures) + _lighthouse(figures)
    top = max((value for _, value in rates), default=1.0) or 1.0
    height = ROW * (len(rates) + len(costs) + 2)
    rows = [
        f'<text x="10" y="{ROW}" font-size="14" font-weight="bold">Throughput (per second), '
        f"{figures.get('measured_at', '')}</text>"
    ]
    for index, line in enumerate(costs, start=2):
        rows.append(f'<text x="10" y="{index * ROW}" font-size="11" font-weight="bold">{line}</text>')
    for index, (label, value) in enumerate(rates, start=2 + len(costs)):
        y = index * ROW
        width = max(1, int(BAR_WIDTH * value / top))
        rows.append(f'<text x="10" y="{y}" font-size="11">{label}</text>')
        rows.append(f'<rect x="{LABEL_WIDTH}" y="{y - 12}" width="{width}" height="14" fill="#1f6feb"/>')
        rows.append(f'<text x="{LABEL_WIDTH + width + 4}" y="{y}" font-size="11">{value:,.0f}</text>')
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH + BAR_WIDTH + 90}" height="{height}" '
        f'font-family="sans-serif">{"".join(rows)}</svg>\n'
    )
    path.write_text(svg)
