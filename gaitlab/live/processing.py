"""Pure per-chunk processing for the live views: EMG display envelope, pressure COP,
dynamometer peak. Arrays and rates in, arrays out; no threads, sockets or clocks."""

from __future__ import annotations

import numpy as np

from gaitlab.analysis import emg as E
from gaitlab.analysis.params import EmgParams
from gaitlab.streams import PressureGeometry


def emg_display_envelope(x: np.ndarray, fs: float, notches: list[float] | None = None,
                         p: EmgParams | None = None) -> np.ndarray:
    """Band-passed, rectified, low-passed envelope of each column of ``x`` (n, k) in volts,
    with the offline chain (:func:`gaitlab.analysis.emg.bandpass` and
    :func:`~gaitlab.analysis.emg.linear_envelope`, at ``amplitude_envelope_hz``).
    NaNs are filled as offline; windows too short to filter come back as zeros."""
    p = p or EmgParams()
    x = np.asarray(x, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    out = np.zeros_like(x)
    if x.shape[0] < 64 or fs <= 0:  # sosfiltfilt needs some padding room
        return out
    for j in range(x.shape[1]):  # one filter call per channel (vectorised along time)
        filled, _ = E.fill_nans(x[:, j], fs, p.max_nan_gap_ms / 1000)
        if not np.isfinite(filled).all():
            filled = np.nan_to_num(filled)
        bp = E.bandpass(filled, fs, p, notches)
        out[:, j] = E.linear_envelope(bp, fs, p.amplitude_envelope_hz)
    return out


def cop_of_frames(frames: np.ndarray, geo: PressureGeometry, min_total: float = 1.0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre of pressure of each frame (n, rows*cols), N/cm^2.

    Returns (x, y, total): x in m from the belt's left edge (+ toward the runner's
    right), y in m from the back edge (+ forward, row 0 is the front), total = summed
    pressure. Frames with total below ``min_total`` (nobody on the belt) give NaN."""
    f = np.nan_to_num(np.asarray(frames, np.float32).reshape(-1, geo.rows, geo.cols))
    per_col = f.sum(axis=1, dtype=np.float64)  # (n, cols)
    per_row = f.sum(axis=2, dtype=np.float64)  # (n, rows)
    total = per_col.sum(axis=1)
    xc = (np.arange(geo.cols) + 0.5) * geo.col_pitch_m
    yr = (geo.rows - np.arange(geo.rows) - 0.5) * geo.row_pitch_m
    with np.errstate(invalid="ignore", divide="ignore"):
        x = per_col @ xc / total
        y = per_row @ yr / total
    empty = total < min_total
    x[empty] = np.nan
    y[empty] = np.nan
    return x, y, total


def running_peak(prev_peak: float, x: np.ndarray) -> float:
    """Largest finite value of ``x`` and ``prev_peak`` (NaN-safe)."""
    x = np.asarray(x, np.float64)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return prev_peak
    m = float(finite.max())
    return m if not np.isfinite(prev_peak) else max(prev_peak, m)


def latency_stats(latencies_s: np.ndarray) -> tuple[float, float, int]:
    """(median, p99) in ms of latency samples in s, and their count (NaNs when empty)."""
    v = np.asarray(latencies_s, np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), 0
    med, p99 = np.percentile(v, [50, 99]) * 1000
    return float(med), float(p99), int(v.size)
