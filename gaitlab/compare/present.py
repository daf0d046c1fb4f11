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
    """A value for a table cell; "—" when missing. A value that rounds to zero is "0.0",
    never "-0.0" or "+0.0"."""
    if x is None or not np.isfinite(x):
        return "—"
    if round(x, digits) == 0:
        return f"{0.0:.{digits}f}"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def num_text(x: float, max_decimals: int = 2) -> str:
    """A threshold with the digits it has, up to ``max_decimals``: 4.85 → "4.85", 27 → "27",
    0.8734 → "0.87" (a published MDC is shown as published, not rounded to 4.8)."""
    t = f"{x:.{max_decimals}f}".rstrip("0").rstrip(".")
    return "0" if t in ("-0", "") else t


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


def threshold_text(row: dict[str, Any], unit: bool = True) -> str:
    """The smallest change that counts (MDC95 or within-session noise), with its unit."""
    thr = row.get("threshold")
    if thr is None:
        return "—"
    return f"{num_text(thr)} {row.get('unit', '')}".strip() if unit else num_text(thr)


def threshold_tip(row: dict[str, Any]) -> str:
    """Where the threshold comes from (its published source, or why there is none)."""
    basis = row.get("basis") or "no minimal detectable change known for this metric"
    return f"{row.get('label', '')}: {basis}"


def threshold_sources(rows: list[dict[str, Any]]) -> list[str]:
    """Each threshold basis (published MDC with its source, within-session noise, or why a
    metric is not judged) once, with the rows it applies to: "<basis> — rows: A, B"."""
    by_basis: dict[str, list[str]] = {}
    for r in rows:
        if r.get("basis"):
            by_basis.setdefault(r["basis"], []).append(r.get("label", ""))
    return [f"{b} — rows: {', '.join(labels)}" for b, labels in by_basis.items()]


PER_SHORT = {"week": "wk", "visit": "visit"}


def trend_text(row: dict[str, Any], unit: bool = True) -> str:
    """Least-squares slope across all visits, "steady" when every step went the same way;
    ``unit=False`` gives the short form for narrow tables ("+0.47/wk")."""
    t = row.get("trend") or {}
    if t.get("slope") is None:
        return "—"
    per = t.get("per", "visit")
    slope = fmt(t["slope"], 2, sign=True)
    head = f"{slope} {row.get('unit', '')}/{per}" if unit else f"{slope}/{PER_SHORT.get(per, per)}"
    return head + (" steady" if t.get("monotonic") else "")


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


MUSCLE_NAMES = {"GMED": "Gluteus medius", "GMAX": "Gluteus maximus", "TFL": "Tensor fasciae latae"}
SIDE_NAMES = {"L": "left", "R": "right"}


def muscle_title(name: str) -> str:
    """A channel name as a reader says it: "GMED_R" → "Gluteus medius, right" (unknown
    muscles keep their code)."""
    m, _, side = name.rpartition("_")
    if not m or side not in SIDE_NAMES:
        return MUSCLE_NAMES.get(name, name)
    return f"{MUSCLE_NAMES.get(m, m)}, {SIDE_NAMES[side]}"


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
