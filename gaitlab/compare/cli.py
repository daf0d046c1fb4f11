"""``gaitlab compare A.h5 B.h5 [C.h5 ...] [--json]``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gaitlab.compare import present as P
from gaitlab.compare.core import Comparison, compare_visits, load_visit


def format_comparison(c: Comparison) -> str:
    """Plain-text table: metric, which way is better, value per visit, change first → last,
    threshold (MDC95 or noise), verdict, trend; then the threshold sources."""
    head = ["metric", "better", *c.labels, "change", "threshold", "verdict", "trend"]
    lines = []
    for r in c.rows:
        lines.append([f"{r['label']} [{r['unit']}]", P.direction_text(r),
                      *(P.fmt(v) for v in r["values"]), P.fmt(r["change"], sign=True),
                      P.threshold_text(r, unit=False), r["verdict"], P.trend_text(r, unit=False)])
    widths = [max(len(str(row[i])) for row in [head, *lines]) for i in range(len(head))]
    out = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
           for row in [head, *lines]]
    out.insert(1, "  ".join("-" * w for w in widths))
    out = [f"warning: {w}" for w in c.warnings] + out
    out += ["", "better: ↑ higher is better, ↓ lower is better, → toward that range, — no preferred "
            "direction; it holds for every row, whatever its verdict."]
    out += ["", "Thresholds:"] + [f"  - {n}" for n in P.threshold_sources(c.rows)]
    return "\n".join(out)


@click.command("compare")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(files: tuple[Path, ...], as_json: bool) -> None:
    """Compare session files, first = baseline: every metric's change, judged against its
    minimal detectable change, and its trend across all visits. Warns first when the runs
    were not at the same belt speed."""
    visits = [load_visit(f) for f in files]
    c = compare_visits(visits)
    if as_json:
        click.echo(json.dumps(c.to_json(), indent=2))
    else:
        click.echo(format_comparison(c))
