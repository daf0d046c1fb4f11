"""Pelvic drop per stance and obliquity over the gait cycle, from an obliquity trace and
foot contacts.

Pure functions over arrays. ``obliquity_deg`` is the pelvis's obliquity relative to the
static standing posture with + = right side lower (:mod:`.angles`). For a stance of foot X
the **drop signal** is the lowering of the opposite (swing) side: ``+obliquity`` in left
stance, ``−obliquity`` in right stance, so a positive drop always means the swing side is
lower (Bramah et al. 2018's contralateral pelvic drop). L/R below name the stance side.

Per stance (initial contact IC → toe-off TO of foot X):
- ``drop_deg``: the peak of the drop signal;
- ``drop_at_midstance_deg``: the drop signal at IC + 50 % of (TO − IC);
- ``excursion_deg``: the peak minus the drop signal at IC.
Per gait cycle (IC of foot X → its next IC): the drop signal of side X time-normalised to
0–100 % (the curve; + = the opposite side lower, as a clinical side-X obliquity plot) and
max − min obliquity (the range). A stance or cycle is left out, with its reason counted,
when it has no toe-off or an implausible duration, runs outside the data, or any sample of
it is missing (a marker gap).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SIDES = ("L", "R")


@dataclass
class SideDrop:
    ic_s: np.ndarray  # ICs of the used stances
    drop_deg: np.ndarray
    drop_at_midstance_deg: np.ndarray
    excursion_deg: np.ndarray
    curves_deg: np.ndarray  # (n_cycles, points) drop signal of this side over its gait cycles
    cycle_range_deg: np.ndarray  # max - min obliquity per cycle
    cycle_ic_s: np.ndarray
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> stances/cycles left out


def drop_signal(obliquity_deg: np.ndarray, side: str) -> np.ndarray:
    """Lowering of the side opposite to stance side ``side`` (+ = swing side lower)."""
    if side not in SIDES:
        raise ValueError(f"side must be 'L' or 'R', not {side!r}")
    o = np.asarray(obliquity_deg, dtype=np.float64)
    return o if side == "L" else -o


def _window(t: np.ndarray, y: np.ndarray, a: float, b: float) -> tuple[np.ndarray, np.ndarray] | None:
    i0, i1 = np.searchsorted(t, a, "left"), np.searchsorted(t, b, "right")
    yy = y[i0:i1]
    if yy.size < 2 or not np.all(np.isfinite(yy)):
        return None
    return t[i0:i1], yy


def side_drop(t: np.ndarray, obliquity_deg: np.ndarray, ic: np.ndarray, to: np.ndarray, side: str,
              points: int = 101, min_stance_s: float = 0.08, max_stance_s: float = 0.6,
              max_stride_factor: float = 1.5) -> SideDrop:
    """Drop metrics of every stance of foot ``side`` and its gait-cycle curves.
    ``t`` (s) and ``obliquity_deg`` sample the trace; ``ic``/``to`` are that foot's contact
    times in order (``to[i]`` ends the stance that ``ic[i]`` starts; NaN if not seen)."""
    t = np.asarray(t, dtype=np.float64)
    d = drop_signal(obliquity_deg, side)
    o = np.asarray(obliquity_deg, dtype=np.float64)
    ic, to = np.asarray(ic, dtype=np.float64), np.asarray(to, dtype=np.float64)
    why: Counter[str] = Counter()
    ics, peaks, mids, exc = [], [], [], []
    for a, b in zip(ic, to, strict=True):
        if not (np.isfinite(a) and np.isfinite(b)) or not (min_stance_s <= b - a <= max_stance_s):
            why["stance: no toe-off or implausible duration"] += 1
            continue
        if a < t[0] or b > t[-1]:
            why["stance: outside the data"] += 1
            continue
        w = _window(t, d, a, b)
        if w is None:
            why["stance: missing samples"] += 1
            continue
        yy = w[1]
        at_ic = float(np.interp(a, t, d))
        peak = max(float(yy.max()), at_ic, float(np.interp(b, t, d)))
        ics.append(a)
        peaks.append(peak)
        mids.append(float(np.interp(a + 0.5 * (b - a), t, d)))
        exc.append(peak - at_ic)
    curves, ranges, cyc = [], [], []
    if ic.size >= 2:
        stride = np.diff(ic)
        med = np.nanmedian(stride)
        frac = np.linspace(0.0, 1.0, points)
        for a, s in zip(ic[:-1], stride, strict=True):
            b = a + s
            if not (np.isfinite(s) and 0 < s <= max_stride_factor * med):
                why["cycle: missed step or pause (stride > 1.5 x median)"] += 1
                continue
            if a < t[0] or b > t[-1]:
                why["cycle: outside the data"] += 1
                continue
            w = _window(t, o, a, b)
            if w is None:
                why["cycle: missing samples"] += 1
                continue
            curves.append(np.interp(a + frac * s, t, d))
            ranges.append(float(w[1].max() - w[1].min()))
            cyc.append(a)
    arr = np.asarray
    return SideDrop(arr(ics), arr(peaks), arr(mids), arr(exc),
                    arr(curves).reshape(-1, points), arr(ranges), arr(cyc), dict(why))


def _stat(x: np.ndarray, nd: int = 2) -> dict[str, float | None]:
    x = np.asarray(x, dtype=np.float64)
    return {"mean": round(float(x.mean()), nd) if x.size else None,
            "sd": round(float(x.std(ddof=1)), nd) if x.size > 1 else None}


def pelvis_metrics(t: np.ndarray, obliquity_deg: np.ndarray,
                   contacts: dict[str, tuple[np.ndarray, np.ndarray]], source: str | None,
                   points: int = 101) -> tuple[dict[str, Any], dict[str, SideDrop]]:
    """The ``pelvis`` metrics block and the per-side details (curves, per-stance values).
    ``contacts``: {"L": (ic, to), "R": (ic, to)} in seconds on the clock of ``t``."""
    per = {s: side_drop(t, obliquity_deg, *contacts[s], side=s, points=points) for s in SIDES}
    ranges = np.concatenate([per[s].cycle_range_deg for s in SIDES])
    m: dict[str, Any] = {
        "source": source,
        "n_cycles": {s: int(per[s].drop_deg.size) for s in SIDES},
        "drop_deg": {s: _stat(per[s].drop_deg) for s in SIDES},
        "drop_at_midstance_deg": {s: _stat(per[s].drop_at_midstance_deg) for s in SIDES},
        "excursion_deg": {s: _stat(per[s].excursion_deg) for s in SIDES},
        "obliquity_range_deg": round(float(ranges.mean()), 2) if ranges.size else None,
    }
    return m, per


def empty_pelvis_metrics() -> dict[str, Any]:
    """The ``pelvis`` block with no pelvis sensor: source null, every value null."""
    def nul() -> dict[str, dict[str, None]]:
        return {s: {"mean": None, "sd": None} for s in SIDES}

    return {"source": None, "n_cycles": {"L": 0, "R": 0}, "drop_deg": nul(),
            "drop_at_midstance_deg": nul(), "excursion_deg": nul(), "obliquity_range_deg": None}
