"""Handheld-dynamometer strength: trials, trial peaks and the strength metrics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from gaitlab.analysis.emg import runs
from gaitlab.analysis.params import StrengthParams

_TRIAL_RE = re.compile(r"^\s*trial_(start|end|void)\s+(\S+)\s+([LR])\s*$", re.IGNORECASE)


@dataclass
class Trial:
    test: str
    side: str  # "L", "R" or "" (unknown)
    t0: float
    t1: float


def trials_from_markers(times: np.ndarray, labels: np.ndarray) -> tuple[list[Trial], list[str]]:
    """Trials from "trial_start <test> <side>" / "trial_end <test> <side>" markers.

    A start is closed by the next end of the same test and side; a start without an end
    (or a second start first) is reported as a problem and skipped. "trial_void <test>
    <side>" (the desktop app's Retry) cancels the open trial of that test and side, or else
    the last completed one before it: a voided trial does not count.
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
        elif kind == "void":
            if open_.pop((test, side), None) is None:
                last = next((k for k in range(len(trials) - 1, -1, -1)
                             if (trials[k].test, trials[k].side) == (test, side)), None)
                if last is None:
                    problems.append(f"trial_void {test} {side} at {t:.1f} s has no trial to void")
                else:
                    del trials[last]
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


def sides_from_order(trials: list[Trial], order: str) -> tuple[list[Trial], str]:
    """Marker-less ``trials`` (in time order) with their sides from ``order``: one letter per
    trial ("LRLRLR"), or one letter for all. Returns ([], why) when that cannot be done."""
    order = (order or "").strip().upper()
    if not order:
        return [], ("their side is unknown (no markers, no strength_order in the session, "
                    "no desc/side on the dynamometer stream; pass strength.order)")
    if set(order) - {"L", "R"}:
        return [], f"the side order '{order}' is not made of L and R"
    if len(order) not in (1, len(trials)):
        return [], (f"the side order '{order}' has {len(order)} trials, the force signal "
                    f"{len(trials)}: give the sides explicitly (strength.order)")
    sides = order * len(trials) if len(order) == 1 else order
    return [Trial(tr.test, sd, tr.t0, tr.t1) for tr, sd in zip(trials, sides, strict=True)], ""


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


def _windows(t: np.ndarray, trials: list[Trial]) -> tuple[np.ndarray, np.ndarray]:
    lo = np.searchsorted(t, [tr.t0 for tr in trials], side="left")
    hi = np.searchsorted(t, [tr.t1 for tr in trials], side="right")
    return lo, hi


def plateau_windows(t: np.ndarray, force_smoothed: np.ndarray, fs: float, trials: list[Trial],
                    window_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Plateau of each trial: the ``window_s`` window inside the trial with the highest mean
    force (the sustained hold, less sensitive to a momentary peak). Returns (mean force,
    window start time); NaN where the trial is shorter than the window."""
    means, starts = np.full(len(trials), np.nan), np.full(len(trials), np.nan)
    w = max(round(window_s * fs), 1)
    for i, (a, b) in enumerate(zip(*_windows(t, trials), strict=True)):  # per trial
        if b - a >= w:
            c = np.r_[0.0, np.cumsum(np.nan_to_num(force_smoothed[a:b]))]
            mw = c[w:] - c[:-w]
            k = int(np.argmax(mw))
            means[i], starts[i] = float(mw[k] / w), float(t[a + k])
    return means, starts


def trial_plateaus(t: np.ndarray, force_smoothed: np.ndarray, fs: float, trials: list[Trial],
                   window_s: float = 1.0) -> np.ndarray:
    """Plateau mean force of each trial (see :func:`plateau_windows`)."""
    return plateau_windows(t, force_smoothed, fs, trials, window_s)[0]


def trial_rfd(t: np.ndarray, force_smoothed: np.ndarray, trials: list[Trial],
              p: StrengthParams) -> tuple[np.ndarray, np.ndarray]:
    """Force onset time and rate of force development (N/s) of each trial.

    Baseline = median force over the first 100 ms of the trial window (before the rise;
    trial markers bracket the contraction). Onset = first sample above baseline +
    max(``onset_abs_N``, ``onset_frac_peak`` × (peak − baseline)), moved back to the
    interpolated crossing. RFD = (F(onset + ``rfd_window_ms``) − F(onset)) / window, F
    linearly interpolated. NaN when the window does not fit in the trial.
    """
    n = len(trials)
    on_t, rfd = np.full(n, np.nan), np.full(n, np.nan)
    win = p.rfd_window_ms / 1000
    for i, (a, b) in enumerate(zip(*_windows(t, trials), strict=True)):  # per trial
        if b - a < 3:
            continue
        tt, ff = t[a:b], force_smoothed[a:b]
        base = float(np.nanmedian(ff[tt <= tt[0] + 0.1]))
        peak = float(np.nanmax(ff))
        thr = base + max(p.onset_abs_N, p.onset_frac_peak * (peak - base))
        above = np.flatnonzero(ff > thr)
        if above.size == 0 or above[0] == 0:
            continue
        k = above[0]
        frac = (thr - ff[k - 1]) / (ff[k] - ff[k - 1])
        t_on = tt[k - 1] + frac * (tt[k] - tt[k - 1])
        if t_on + win > tt[-1]:
            continue
        f0, f1 = np.interp([t_on, t_on + win], tt, ff)
        on_t[i], rfd[i] = t_on, (f1 - f0) / win
    return on_t, rfd


def side_extras(peaks: np.ndarray, plateaus: np.ndarray, rfd: np.ndarray,
                lever_arm_m: float | None, body_mass_kg: float | None,
                height_m: float | None) -> dict[str, Any]:
    """Per-side strength values beyond the metrics contract (all None when not computable).

    torque_Nm = best peak × lever arm; pct_bw_height = torque / (body weight in N × height)
    × 100 (Fredericson et al. 2000)."""
    pk = peaks[np.isfinite(peaks)]
    pl = plateaus[np.isfinite(plateaus)]
    rf = rfd[np.isfinite(rfd)]
    best = float(pk.max()) if pk.size else None
    torque = best * lever_arm_m if best is not None and lever_arm_m else None
    pct = (torque / (body_mass_kg * 9.80665 * height_m) * 100
           if torque is not None and body_mass_kg and height_m else None)
    return {
        "n_trials": int(pk.size),
        "peak_force_N": _num(best, 2) if best is not None else None,
        "plateau_N": [round(float(v), 2) for v in pl],
        "plateau_best_N": _num(float(pl.max()), 2) if pl.size else None,
        "cv_pct": _num(float(pk.std(ddof=1) / pk.mean() * 100), 2)
        if pk.size > 1 and pk.mean() > 0 else None,
        "torque_Nm": _num(torque, 3),
        "torque_Nm_per_kg": _num(torque / body_mass_kg, 4)
        if torque is not None and body_mass_kg else None,
        "torque_pct_bw_height": _num(pct, 3),
        "rfd_N_per_s": [round(float(v), 1) for v in rf],
        "rfd_best_N_per_s": _num(float(rf.max()), 1) if rf.size else None,
    }


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
