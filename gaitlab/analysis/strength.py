"""Handheld-dynamometer strength: trials, trial peaks and the strength metrics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from gaitlab.analysis.emg import runs
from gaitlab.analysis.params import StrengthParams

_TRIAL_RE = re.compile(r"^\s*trial_(start|end)\s+(\S+)\s+([LR])\s*$", re.IGNORECASE)


@dataclass
class Trial:
    test: str
    side: str  # "L", "R" or "" (unknown)
    t0: float
    t1: float


def trials_from_markers(times: np.ndarray, labels: np.ndarray) -> tuple[list[Trial], list[str]]:
    """Trials from "trial_start <test> <side>" / "trial_end <test> <side>" markers.

    A start is closed by the next end of the same test and side; a start without an end
    (or a second start first) is reported as a problem and skipped.
    """
    order = np.argsort(np.asarray(times, dtype=np.float64), kind="stable")
    trials: list[Trial] = []
    problems: list[str] = []
    open_: dict[tuple[str, str], float] = {}
    for i in order:  # one iteration per marker, not per sample
        m = _TRIAL_RE.match(str(labels[i]))
        if not m:
            continue
        kind, test, side = m.group(1).lower(), m.group(2).lower(), m.group(3).upper()
        t = float(times[i])
        if kind == "start":
            if (test, side) in open_:
                problems.append(f"trial_start {test} {side} at {open_[(test, side)]:.1f} s has no end")
            open_[(test, side)] = t
        elif (test, side) in open_:
            trials.append(Trial(test, side, open_.pop((test, side)), t))
        else:
            problems.append(f"trial_end {test} {side} at {t:.1f} s has no start")
    problems += [f"trial_start {k[0]} {k[1]} at {v:.1f} s has no end" for k, v in open_.items()]
    return trials, problems


def segment_trials(t: np.ndarray, force: np.ndarray, fs: float, p: StrengthParams) -> list[Trial]:
    """Marker-less trials: runs where the smoothed force exceeds ``auto_threshold_frac`` of
    its maximum for at least ``auto_min_trial_s``. The side is unknown ("")."""
    f = smooth(force, fs, p.smooth_ms)
    if f.size == 0 or not np.isfinite(f).any() or np.nanmax(f) <= 0:
        return []
    s, e = runs(f > p.auto_threshold_frac * np.nanmax(f))
    long_ = (e - s) >= p.auto_min_trial_s * fs
    return [Trial(p.test, "", float(t[a]), float(t[b - 1])) for a, b in zip(s[long_], e[long_],
                                                                         strict=True)]


def smooth(force: np.ndarray, fs: float, smooth_ms: float) -> np.ndarray:
    """Running median then moving average over ``smooth_ms`` (NaNs interpolated first).

    The median removes single-sample spikes (a moving average alone only spreads them);
    the average removes sample-to-sample noise before the peak is taken."""
    x = np.asarray(force, dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.all():
        return np.full(x.size, np.nan)
    if bad.any():
        x = x.copy()
        x[bad] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), x[~bad])
    w = max(round(smooth_ms / 1000 * fs), 1)
    return uniform_filter1d(median_filter(x, size=w, mode="nearest"), w, mode="nearest")


def trial_peaks(t: np.ndarray, force_smoothed: np.ndarray, trials: list[Trial]) -> np.ndarray:
    """Peak of the smoothed force within each trial window (NaN for an empty window)."""
    out = np.full(len(trials), np.nan)
    lo = np.searchsorted(t, [tr.t0 for tr in trials], side="left")
    hi = np.searchsorted(t, [tr.t1 for tr in trials], side="right")
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):  # per trial
        if b > a:
            out[i] = np.nanmax(force_smoothed[a:b])
    return out


def _num(v: float | None, nd: int = 3) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), nd)


def side_metrics(peaks: np.ndarray, lever_arm_m: float | None, body_mass_kg: float | None
                 ) -> dict[str, Any]:
    pk = peaks[np.isfinite(peaks)]
    if pk.size == 0:
        return {"peak_force_N": None, "trials_N": [], "torque_Nm_per_kg": None, "cv_pct": None}
    best = float(pk.max())
    torque = best * lever_arm_m / body_mass_kg if lever_arm_m and body_mass_kg else None
    cv = float(pk.std(ddof=1) / pk.mean() * 100) if pk.size > 1 and pk.mean() > 0 else None
    return {"peak_force_N": _num(best, 2), "trials_N": [round(float(v), 2) for v in pk],
            "torque_Nm_per_kg": _num(torque, 4), "cv_pct": _num(cv, 2)}


def lsi(peak_l: float | None, peak_r: float | None, involved_side: str) -> tuple[float | None, str]:
    """Limb symmetry index (%) and how it was formed."""
    if not peak_l or not peak_r:
        return None, "n/a"
    if involved_side in ("L", "R"):
        inv, uninv = (peak_l, peak_r) if involved_side == "L" else (peak_r, peak_l)
        return _num(inv / uninv * 100, 2), f"involved/uninvolved (involved = {involved_side})"
    return _num(min(peak_l, peak_r) / max(peak_l, peak_r) * 100, 2), \
        "weaker/stronger (no involved side in the athlete profile)"
