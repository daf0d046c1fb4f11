"""``gaitlab compare A.h5 B.h5 [C.h5 ...] [--json]``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gaitlab.compare.core import Comparison, compare_visits, load_visit


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def format_comparison(c: Comparison) -> str:
    """Plain-text table: metric, value per visit, change first → last, threshold, verdict."""
    head = ["metric", *c.labels, "change", "threshold", "verdict", "trend"]
    lines = []
    for r in c.rows:
        t = r["trend"]
        tr = "—" if t["slope"] is None else f"{t['slope']:+.2f}/{t['per']}" + (
            " (steady)" if t["monotonic"] else "")
        ch = "—" if r["change"] is None else f"{r['change']:+.1f}"
        lines.append([f"{r['label']} [{r['unit']}]", *(_fmt(v) for v in r["values"]), ch,
                      _fmt(r["threshold"]), r["verdict"], tr])
    widths = [max(len(str(row[i])) for row in [head, *lines]) for i in range(len(head))]
    out = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)) for row in [head, *lines]]
    out.insert(1, "  ".join("-" * w for w in widths))
    notes = sorted({r["basis"] for r in c.rows if r["basis"]})
    out += ["", "Thresholds:"] + [f"  - {n}" for n in notes]
    return "\n".join(out)


@click.command("compare")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(files: tuple[Path, ...], as_json: bool) -> None:
    """Compare session files, first = baseline: every metric's change, judged against its
    minimal detectable change, and its trend across all visits."""
    visits = [load_visit(f) for f in files]
    c = compare_visits(visits)
    if as_json:
        click.echo(json.dumps(c.to_json(), indent=2))
    else:
        click.echo(format_comparison(c))
