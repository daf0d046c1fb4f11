"""What the comparison views show, as pure functions of a :class:`Comparison` and its visits.

No Qt and no drawing: the GUI (gui/compare_view.py) only puts these strings, kinds and
arrays on screen, so what a clinician reads is tested here without widgets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.compare.core import Visit, flatten

# verdict (gaitlab.compare.core.judge) → the kind a view colours it by
KINDS = ("improved", "worse", "within", "changed", "no_mdc", "missing")
KIND_TEXT = {"improved": "improved beyond MDC", "worse": "worse beyond MDC",
             "within": "within MDC (no detectable change)", "changed": "changed (no better direction)",
             "no_mdc": "no MDC: not judged", "missing": "missing"}
SIDES = ("L", "R")


def verdict_kind(verdict: str) -> str:
    """One of :data:`KINDS` for a verdict string of :func:`gaitlab.compare.core.judge`."""
    if verdict == "improved":
        return "improved"
    if verdict == "worsened":
        return "worse"
    if verdict == "no detectable change":
        return "within"
    if verdict == "changed":
        return "changed"
    if verdict.startswith("not judged"):
        return "no_mdc"
    return "missing"


def fmt(x: float | None, digits: int = 1, sign: bool = False) -> str:
    """A value for a table cell; "—" when missing."""
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def direction_text(row: dict[str, Any]) -> str:
    """Which way is better, in a few characters: "↑ higher", "↓ lower", "→ 170–180", "—"."""
    d = row.get("direction", "none")
    if d == "up":
        return "↑ higher"
    if d == "down":
        return "↓ lower"
    if d == "target" and row.get("target"):
        lo, hi = row["target"]
        return f"→ {lo:g}–{hi:g}"
    return "—"


def threshold_text(row: dict[str, Any]) -> str:
    """The smallest change that counts (MDC95 or within-session noise), with its unit."""
    thr = row.get("threshold")
    return "—" if thr is None else f"{thr:.1f} {row.get('unit', '')}".strip()


def threshold_tip(row: dict[str, Any]) -> str:
    """Where the threshold comes from (its published source, or why there is none)."""
    basis = row.get("basis") or "no minimal detectable change known for this metric"
    return f"{row.get('label', '')}: {basis}"


def trend_text(row: dict[str, Any]) -> str:
    """Least-squares slope across all visits, "steady" when every step went the same way."""
    t = row.get("trend") or {}
    if t.get("slope") is None:
        return "—"
    unit = row.get("unit", "")
    return f"{t['slope']:+.2f} {unit}/{t.get('per', 'visit')}" + (" steady" if t.get("monotonic") else "")


def steps_text(row: dict[str, Any], labels: list[str]) -> str:
    """Each visit-to-visit step's verdict, one line each (a tooltip for the trend)."""
    steps = row.get("steps") or []
    return "\n".join(f"{labels[i]} → {labels[i + 1]}: {s}" for i, s in enumerate(steps)
                     if i + 1 < len(labels))


def visit_problems(visits: list[Visit]) -> tuple[list[str], list[str]]:
    """(errors, notes) about the loaded files, one line each: a file with no result at all
    (no gait, strength or EMG: nothing of it can be compared) is an error; a file that had no
    stored /analysis and was analysed on loading is a note."""
    errors, notes = [], []
    for v in visits:
        name = Path(v.path).name
        if all(x["value"] is None for x in flatten(v.metrics, v.extras).values()):
            errors.append(f"{name}: no gait, strength or EMG results (no usable streams); "
                          "check it is the right session file")
        elif v.analysed_now:
            notes.append(f"{name} had no /analysis: analysed now")
    return errors, notes


def strength_by_visit(visits: list[Visit]) -> list[dict[str, Any]]:
    """Hip abduction per visit: best peak per side (N), every trial (N) and the LSI (%)."""
    out = []
    for v in visits:
        st = (v.metrics.get("strength") or {}).get("hip_abduction") or {}
        row: dict[str, Any] = {"peak": {}, "trials": {}, "lsi": _num(st.get("lsi_pct"))}
        for s in SIDES:
            side = st.get(s) or {}
            row["peak"][s] = _num(side.get("peak_force_N"))
            row["trials"][s] = [x for x in (_num(t) for t in side.get("trials_N") or []) if x is not None]
        out.append(row)
    return out


def gait_by_visit(visits: list[Visit]) -> list[dict[str, float | None]]:
    """Mean signed step width (cm), its SD and the crossover percentage per visit."""
    out = []
    for v in visits:
        g = v.metrics.get("gait") or {}
        sw = g.get("step_width_cm") or {}
        out.append({"mean": _num(sw.get("mean")), "sd": _num(sw.get("sd")),
                    "crossover_pct": _num(g.get("crossover_pct"))})
    return out


def ensemble_grid(visits: list[Visit]) -> list[str]:
    """Muscles with an ensemble in any visit, sorted (one plot row each, L and R columns)."""
    names = {n for v in visits for n in v.ensembles}
    return sorted({n.rsplit("_", 1)[0] for n in names if n.rsplit("_", 1)[-1] in SIDES})


def cycle_axis(n: int) -> np.ndarray:
    """Percent of the gait cycle (IC → next IC) for an ensemble of ``n`` points."""
    return np.linspace(0.0, 100.0, n)


def strip_offsets(n: int, width: float = 0.5) -> np.ndarray:
    """Spread of ``n`` points across ``width`` for a strip plot: a low-discrepancy sequence,
    so the same data always draws the same picture and neighbours do not pile up."""
    return ((np.arange(n) * 0.6180339887498949) % 1.0 - 0.5) * width


def _num(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None
