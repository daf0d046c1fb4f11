"""Gait-cycle views of EMG: time-normalised ensembles and between-muscle onset differences.

Pure functions over arrays. A gait cycle runs from one initial contact (IC) of a foot to
that foot's next IC (0–100 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Ensemble:
    mean: np.ndarray  # (points,) mean envelope over the cycles, at 0 … 100 % of the cycle
    sd: np.ndarray  # (points,) SD (ddof = 1; NaN with fewer than 2 cycles)
    n_cycles: int
    unit: str  # "%MVC" or "V"

    @property
    def percent(self) -> np.ndarray:
        return np.linspace(0.0, 100.0, self.mean.size)


def cycle_windows(ic: np.ndarray, ok: np.ndarray, max_stride_factor: float = 1.5
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times of usable cycles: IC[i] → IC[i+1] where cycle i is accepted
    (``ok[i]``) and the stride is at most ``max_stride_factor`` × the median stride
    (longer means a missed step or a pause between bouts)."""
    ic = np.asarray(ic, dtype=np.float64)
    if ic.size < 2:
        return np.empty(0), np.empty(0)
    d = np.diff(ic)
    good = np.asarray(ok, dtype=bool)[:-1] & (d <= max_stride_factor * np.median(d)) & (d > 0)
    return ic[:-1][good], ic[1:][good]


def ensemble(t: np.ndarray, env: np.ndarray, starts: np.ndarray, ends: np.ndarray,
             points: int = 101, scale: float = 1.0, unit: str = "V") -> Ensemble:
    """Time-normalise ``env`` (sampled at times ``t``) to ``points`` samples per cycle
    (linear interpolation) and average over the cycles; values are multiplied by ``scale``."""
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    n = starts.size
    if n == 0:
        nan = np.full(points, np.nan)
        return Ensemble(nan, nan.copy(), 0, unit)
    frac = np.linspace(0.0, 1.0, points)
    tq = starts[:, None] + frac[None, :] * (ends - starts)[:, None]
    y = np.interp(tq.ravel(), t, env).reshape(n, points) * scale
    sd = y.std(axis=0, ddof=1) if n > 1 else np.full(points, np.nan)
    return Ensemble(y.mean(axis=0), sd, n, unit)


def onset_difference(ic_a: np.ndarray, onset_a_ms: np.ndarray, ic_b: np.ndarray,
                     onset_b_ms: np.ndarray, tol_s: float = 1e-6) -> dict[str, Any]:
    """Per-cycle onset of muscle A minus muscle B (ms; negative = A first), over the cycles
    (same IC) where both have an accepted burst. Returns mean, SD (ddof = 1), n, values."""
    ic_a, ic_b = np.asarray(ic_a, float), np.asarray(ic_b, float)
    oa, ob = np.asarray(onset_a_ms, float), np.asarray(onset_b_ms, float)
    out: dict[str, Any] = {"mean": None, "sd": None, "n": 0, "per_cycle_ms": []}
    if ic_a.size == 0 or ic_b.size == 0:
        return out
    j = np.clip(np.searchsorted(ic_b, ic_a), 0, ic_b.size - 1)
    same = np.abs(ic_b[j] - ic_a) <= tol_s
    d = np.where(same, oa - ob[j], np.nan)
    d = d[np.isfinite(d)]
    out["n"] = int(d.size)
    out["per_cycle_ms"] = [round(float(v), 2) for v in d]
    if d.size:
        out["mean"] = round(float(d.mean()), 2)
        out["sd"] = round(float(d.std(ddof=1)), 2) if d.size > 1 else None
    return out
