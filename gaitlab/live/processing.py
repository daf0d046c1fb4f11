"""Pure per-chunk processing for the live views: EMG display envelope, pressure COP,
dynamometer peak. Arrays and rates in, arrays out; no threads, sockets or clocks."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from gaitlab.analysis import emg as E
from gaitlab.analysis.params import EmgParams
from gaitlab.streams import PressureGeometry


@lru_cache(maxsize=32)
def _envelope_filters(fs: float, order: int, band_hz: tuple[float, float], env_hz: float,
                      notch_q: float, notches: tuple[float, ...]) -> tuple[list, np.ndarray, np.ndarray]:
    """The offline chain's filters (:func:`gaitlab.analysis.emg.bandpass`, then
    :func:`~gaitlab.analysis.emg.linear_envelope`), designed once per rate and parameters."""
    notch_sos = [signal.tf2sos(*signal.iirnotch(f0, notch_q, fs=fs)) for f0 in notches]
    band = signal.butter(order, [band_hz[0], min(band_hz[1], 0.45 * fs)], btype="bandpass", fs=fs,
                         output="sos")
    low = signal.butter(4, min(env_hz, 0.45 * fs), fs=fs, output="sos")
    return notch_sos, band, low


def emg_display_envelope(x: np.ndarray, fs: float, notches: list[float] | None = None,
                         p: EmgParams | None = None) -> np.ndarray:
    """Band-passed, rectified, low-passed envelope of each column of ``x`` (n, k) in volts,
    with the offline chain (:func:`gaitlab.analysis.emg.bandpass` and
    :func:`~gaitlab.analysis.emg.linear_envelope`, at ``amplitude_envelope_hz``), all
    columns in one filter call per stage with filters designed once (designing them per
    channel per call cost more than the filtering).
    NaNs are filled as offline; windows too short to filter come back as zeros."""
    p = p or EmgParams()
    x = np.asarray(x, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] < 64 or fs <= 0:  # sosfiltfilt needs some padding room
        return np.zeros_like(x)
    finite = np.isfinite(x)
    if not finite.all():
        x = x.copy()
        for j in np.flatnonzero(~finite.all(axis=0)):  # only the columns with NaNs
            filled, _ = E.fill_nans(x[:, j], fs, p.max_nan_gap_ms / 1000)
            x[:, j] = np.nan_to_num(filled)
    notch_sos, band, low = _envelope_filters(float(fs), p.filter_order, (p.highpass_hz, p.lowpass_hz),
                                             p.amplitude_envelope_hz, p.notch_q, tuple(notches or ()))
    y = x - x.mean(axis=0)
    for sos in notch_sos:
        y = signal.sosfiltfilt(sos, y, axis=0)
    y = signal.sosfiltfilt(band, y, axis=0)
    return signal.sosfiltfilt(low, np.abs(y), axis=0)


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
