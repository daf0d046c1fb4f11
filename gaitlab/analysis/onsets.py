"""EMG burst onset/offset detectors: pure, vectorised functions of a band-passed signal.

Three methods, selected by ``EmgParams.onset_method``:

* ``hodges_bui`` — Hodges & Bui (1996): threshold = baseline mean + k·SD of a rectified,
  low-passed envelope, a minimum time above threshold, short dips bridged.
* ``bonato`` — Bonato, D'Alessio & Knaflitz (1998) double threshold on the conditioned
  signal: test function z = (x[i]² + x[i+1]²) / σ² (σ² = baseline variance); first
  threshold ζ on z; a burst where at least r0 of m successive samples exceed ζ; states
  shorter than n samples are dropped.
* ``tkeo`` — Li et al. (2007), Solnik et al. (2010): Teager–Kaiser energy
  ψ[n] = x[n]² − x[n−1]·x[n+1] of the band-passed signal, rectified and low-passed, then
  the same mean + k·SD threshold.

Any method can then re-place each edge at a second, burst-relative level (``edge_fraction``
of the way from the baseline to the burst's mean envelope): the first threshold decides
*whether* there is a burst, the second *where* it starts and stops. Without this, a
threshold crossed partway up a rising edge reads the onset late and the offset early, by
an amount that changes with SNR and envelope smoothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from gaitlab.analysis.emg import Bursts, detect_bursts, linear_envelope, quiet_windows, runs
from gaitlab.analysis.params import EmgParams
from gaitlab.errors import GaitlabError

METHODS = ("hodges_bui", "bonato", "tkeo")


@dataclass
class Onsets:
    bursts: Bursts  # on/off sample indices (inclusive), threshold and baseline of the method
    envelope: np.ndarray  # the method's conditioned signal (used for edges), same length
    quiet: np.ndarray  # baseline mask used (bool, same length)


def tkeo(x: np.ndarray) -> np.ndarray:
    """Teager–Kaiser energy operator ψ[n] = x[n]² − x[n−1]x[n+1]; edges repeat their neighbour."""
    x = np.asarray(x, dtype=np.float64)
    if x.size < 3:
        return np.zeros_like(x)
    y = np.empty_like(x)
    y[1:-1] = x[1:-1] ** 2 - x[:-2] * x[2:]
    y[0], y[-1] = y[1], y[-2]
    return y


def tkeo_envelope(bp: np.ndarray, fs: float, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """TKEO of the band-passed signal, full-wave rectified, zero-phase low-passed."""
    sos = signal.butter(order, min(cutoff_hz, 0.45 * fs), fs=fs, output="sos")
    return signal.sosfiltfilt(sos, np.abs(tkeo(bp)))


def _merge(s: np.ndarray, e: np.ndarray, fs: float, p: EmgParams) -> tuple[np.ndarray, np.ndarray]:
    """Bridge gaps shorter than ``bridge_ms``, drop runs shorter than ``min_on_ms``
    (``e`` exclusive)."""
    if s.size:
        keep_break = np.r_[True, (s[1:] - e[:-1]) > p.bridge_ms / 1000 * fs]
        s, e = s[keep_break], e[np.r_[keep_break[1:], True]]
        long_ = (e - s) >= p.min_on_ms / 1000 * fs
        s, e = s[long_], e[long_]
    return s, e


def bonato_bursts(bp: np.ndarray, fs: float, noise_var: float, p: EmgParams) -> Bursts:
    """Bonato double-threshold detector, vectorised with a moving count of exceedances.

    ``active[k]`` holds when at least r0 of the m samples [k, k + m) exceed ζ; a burst's
    onset is the first exceeding sample of its first active window, its offset the last
    exceeding sample of its last active window.
    """
    x = np.asarray(bp, dtype=np.float64)
    n = x.size
    if n < 2 or not np.isfinite(noise_var) or noise_var <= 0:
        return Bursts(np.empty(0, int), np.empty(0, int), np.nan, np.nan, np.nan)
    zeta = -2.0 * np.log(p.bonato_p_false)  # χ²(2) tail: P(z > ζ | noise) = p_false
    sq = x * x
    z = np.r_[sq[:-1] + sq[1:], 2 * sq[-1]] / noise_var
    exceed = z > zeta
    m = max(round(p.bonato_window_ms / 1000 * fs), 1)
    r0 = max(round(p.bonato_r0_frac * m), 1)
    c = np.r_[0, np.cumsum(exceed)]
    k = np.arange(n)
    count = c[np.minimum(k + m, n)] - c[k]
    s, e = runs(count >= r0)
    s, e = _merge(s, e, fs, p)
    idx = np.flatnonzero(exceed)
    if s.size == 0 or idx.size == 0:
        return Bursts(np.empty(0, int), np.empty(0, int), zeta, 0.0, 1.0)
    on = idx[np.minimum(np.searchsorted(idx, s, side="left"), idx.size - 1)]
    off = idx[np.maximum(np.searchsorted(idx, np.minimum(e - 1 + m, n), side="left") - 1, 0)]
    return Bursts(on, np.maximum(off, on), zeta, 0.0, float(np.sqrt(noise_var)))


def refine_edges(env: np.ndarray, b: Bursts, fs: float, baseline: float, fraction: float,
                 max_shift_s: float) -> Bursts:
    """Place each edge where ``env`` crosses ``baseline + fraction × (level − baseline)``,
    ``level`` being the burst's mean envelope: the first (last) sample at or above that
    level within ±``max_shift_s`` of the detected onset (offset).

    With a zero-phase (symmetric) envelope filter, the half-height crossing of a step
    stays at the step whatever the filter's cut-off, so edges do not drift with the
    smoothing that low SNR needs; on a ramp it falls at the ramp's midpoint."""
    if b.on.size == 0 or not np.isfinite(baseline):
        return b
    n = env.size
    c = np.r_[0.0, np.cumsum(env)]
    with np.errstate(invalid="ignore", divide="ignore"):
        level = (c[b.off + 1] - c[b.on]) / np.maximum(b.off + 1 - b.on, 1)
    thr = baseline + fraction * (level - baseline)
    lim = max(round(max_shift_s * fs), 1)
    span = np.arange(-lim, lim + 1)
    io = np.clip(b.on[:, None] + span, 0, n - 1)
    above = env[io] >= thr[:, None]
    first = np.where(above.any(axis=1), above.argmax(axis=1), lim)
    on = io[np.arange(io.shape[0]), first]
    jf = np.clip(b.off[:, None] + span, 0, n - 1)
    above = env[jf] >= thr[:, None]
    last = np.where(above.any(axis=1), span.size - 1 - above[:, ::-1].argmax(axis=1), lim)
    off = jf[np.arange(jf.shape[0]), last]
    keep = ~np.isfinite(thr)  # NaN envelope: leave the detected edges
    on, off = np.where(keep, b.on, on), np.where(keep, b.off, off)
    off = np.maximum(off, on)
    if on.size > 1:  # keep bursts disjoint
        on[1:] = np.maximum(on[1:], np.minimum(b.off[:-1] + 1, b.on[1:]))
        off[:-1] = np.minimum(off[:-1], np.maximum(b.on[1:] - 1, b.off[:-1]))
    return Bursts(on, off, b.threshold, b.baseline_mean, b.baseline_sd)


def detect_onsets(bp: np.ndarray, fs: float, p: EmgParams, bad: np.ndarray | None = None,
                  env_t: np.ndarray | None = None) -> Onsets:
    """Bursts of a band-passed EMG segment with the method ``p.onset_method``.

    ``bad`` marks artefact samples excluded from the baseline; ``env_t`` is the linear timing
    envelope if already computed. Baseline = the quiet windows of the method's envelope
    (:func:`gaitlab.analysis.emg.quiet_windows`).
    """
    method = p.onset_method
    if method not in METHODS:
        raise GaitlabError(f"emg.onset_method '{method}' is unknown; use one of "
                           f"{', '.join(METHODS)}")
    bp = np.asarray(bp, dtype=np.float64)
    if env_t is None:
        env_t = linear_envelope(bp, fs, p.timing_envelope_hz)
    env = tkeo_envelope(bp, fs, p.timing_envelope_hz) if method == "tkeo" else env_t
    quiet = quiet_windows(env, fs, p.baseline_window_ms / 1000, p.baseline_fraction, p.k_sd)
    if bad is not None:
        quiet &= ~bad
    if method == "bonato":
        noise_var = float(np.mean(bp[quiet] ** 2)) if quiet.any() else float(np.var(bp))
        b = bonato_bursts(bp, fs, noise_var, p)
        base = env[quiet] if quiet.any() else env
        mu = float(np.mean(base))
    else:
        b = detect_bursts(env, fs, quiet, p)
        mu = b.baseline_mean
    if p.edge_refine:
        b = refine_edges(env, b, fs, mu, p.edge_fraction, p.edge_max_ms / 1000)
    return Onsets(b, env, quiet)

