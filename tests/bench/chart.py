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


def write_chart(figures: dict, path: Path) -> None:
    rates = _rates(figures)
    top = max((value for _, value in rates), default=1.0) or 1.0
    height = ROW * (len(rates) + 2)
    rows = [
        f'<text x="10" y="{ROW}" font-size="14" font-weight="bold">Throughput (per second), '
        f"{figures.get('measured_at', '')}</text>"
    ]
    for index, (label, value) in enumerate(rates, start=2):
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
