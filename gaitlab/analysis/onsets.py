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

from gaitlab.analysis.emg import (
    Bursts,
    block_any,
    block_means,
    detect_bursts,
    envelope_factor,
    lowrate_envelope,
    quiet_windows,
    runs,
)
from gaitlab.analysis.params import EmgParams
from gaitlab.errors import GaitlabError

METHODS = ("hodges_bui", "bonato", "tkeo")


@dataclass
class Onsets:
    bursts: Bursts  # on/off RAW sample indices (inclusive); threshold and baseline of the method
    envelope: np.ndarray  # the method's envelope at fs / factor (sample k: raw [k·factor, (k+1)·factor))
    quiet: np.ndarray  # baseline mask of the envelope's samples (bool, same length)
    factor: int = 1  # raw samples per envelope sample


def tkeo(x: np.ndarray) -> np.ndarray:
    """Teager–Kaiser energy operator ψ[n] = x[n]² − x[n−1]x[n+1]; edges repeat their neighbour."""
    x = np.asarray(x, dtype=np.float64)
    if x.size < 3:
        return np.zeros_like(x)
    y = np.empty_like(x)
    y[1:-1] = x[1:-1] ** 2 - x[:-2] * x[2:]
    y[0], y[-1] = y[1], y[-2]
    return y


def method_input(bp: np.ndarray, p: EmgParams) -> np.ndarray:
    """What the detector's timing envelope low-passes: the TKEO of the band-passed signal,
    rectified (``tkeo``), else the rectified signal."""
    bp = np.asarray(bp, dtype=np.float64)
    return np.abs(tkeo(bp)) if p.onset_method == "tkeo" else np.abs(bp)


def method_blocks(bp: np.ndarray, fs: float, p: EmgParams) -> tuple[np.ndarray, int]:
    """Block means of :func:`method_input` at the timing envelope's factor: what
    :func:`method_envelope` filters, for callers that band-pass ahead of detection."""
    d = envelope_factor(fs, p.timing_envelope_hz)
    return block_means(method_input(bp, p), d), d


def method_envelope(bp: np.ndarray, fs: float, p: EmgParams,
                    blocks: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The detector's timing envelope of a band-passed segment, at its envelope rate:
    (envelope, factor): :func:`method_input` low-passed at ``timing_envelope_hz``
    (:func:`gaitlab.analysis.emg.lowrate_envelope`). ``blocks``: its block means
    (:func:`method_blocks`) when already computed; ``bp`` is then not read."""
    d = envelope_factor(fs, p.timing_envelope_hz)
    if blocks is None:
        return lowrate_envelope(method_input(bp, p), fs, p.timing_envelope_hz)
    env, _ = lowrate_envelope(blocks, fs / d, p.timing_envelope_hz, d=1)
    return env, d


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


def edge_positions(env: np.ndarray, b: Bursts, fs: float, baseline: float, fraction: float,
                   max_shift_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Where ``env`` (sampled at ``fs``) crosses ``baseline + fraction × (level − baseline)``,
    ``level`` being the burst's mean envelope: the first upward crossing within
    ±``max_shift_s`` of the detected onset and the last downward one within ±``max_shift_s``
    of the detected offset, as fractional sample positions (linear interpolation between
    the samples either side). Without a crossing in the window, or with a NaN level, the
    edge stays where it was detected.

    With a zero-phase (symmetric) envelope filter, the half-height crossing of a step
    stays at the step whatever the filter's cut-off, so edges do not drift with the
    smoothing that low SNR needs; on a ramp it falls at the ramp's midpoint."""
    on0, off0 = b.on.astype(np.float64), b.off.astype(np.float64)
    if b.on.size == 0 or not np.isfinite(baseline):
        return on0, off0
    n = env.size
    c = np.r_[0.0, np.cumsum(env)]
    with np.errstate(invalid="ignore", divide="ignore"):
        level = (c[b.off + 1] - c[b.on]) / np.maximum(b.off + 1 - b.on, 1)
    thr = baseline + fraction * (level - baseline)
    lim = max(round(max_shift_s * fs), 1)
    span = np.arange(-lim, lim + 1)
    rows = np.arange(b.on.size)

    io = np.clip(b.on[:, None] + span, 0, n - 1)
    above = env[io] >= thr[:, None]
    hit = above.any(axis=1)
    k = above.argmax(axis=1)  # first sample at or above the level
    j = io[rows, k]
    jp = io[rows, np.maximum(k - 1, 0)]  # the sample before it, inside the window
    rise = hit & (k > 0) & (jp < j)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (thr - env[jp]) / (env[j] - env[jp])
    on = np.where(rise, j - 1 + np.clip(np.nan_to_num(frac, nan=1.0), 0.0, 1.0), j)
    on = np.where(hit, on, on0)

    jf = np.clip(b.off[:, None] + span, 0, n - 1)
    above = env[jf] >= thr[:, None]
    hit = above.any(axis=1)
    k = span.size - 1 - above[:, ::-1].argmax(axis=1)  # last sample at or above the level
    j = jf[rows, k]
    jn = jf[rows, np.minimum(k + 1, span.size - 1)]  # the sample after it, inside the window
    fall = hit & (k < span.size - 1) & (jn > j)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (env[j] - thr) / (env[j] - env[jn])
    off = np.where(fall, j + np.clip(np.nan_to_num(frac, nan=0.0), 0.0, 1.0), j)
    off = np.where(hit, off, off0)

    keep = ~np.isfinite(thr)  # NaN envelope: leave the detected edges
    return np.where(keep, on0, on), np.where(keep, off0, off)


def place_edges(env: np.ndarray, b: Bursts, fs: float, baseline: float, p: EmgParams
                ) -> tuple[np.ndarray, np.ndarray]:
    """Fractional envelope positions of the bursts' edges as the detectors place them: at
    the burst-relative level (``edge_refine``, :func:`edge_positions`), else where the
    envelope crosses the detection threshold ``b.threshold`` next to the detected edge."""
    if p.edge_refine:
        return edge_positions(env, b, fs, baseline, p.edge_fraction, p.edge_max_ms / 1000)
    at_threshold = Bursts(b.on, b.off, b.threshold, b.threshold, 0.0)
    return edge_positions(env, at_threshold, fs, b.threshold, 0.0, 1 / fs)


def disjoint(on: np.ndarray, off: np.ndarray, on0: np.ndarray, off0: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Refined edges (``on``/``off``) kept inside the gaps between the detected bursts
    (``on0``/``off0``), so that bursts stay disjoint and in order."""
    off = np.maximum(off, on)
    if on.size > 1:
        on[1:] = np.maximum(on[1:], np.minimum(off0[:-1] + 1, on0[1:]))
        off[:-1] = np.minimum(off[:-1], np.maximum(on0[1:] - 1, off0[:-1]))
    return on, off


def refine_edges(env: np.ndarray, b: Bursts, fs: float, baseline: float, fraction: float,
                 max_shift_s: float) -> Bursts:
    """:func:`edge_positions` on the envelope's own samples: the onset is the first sample
    at or above the level, the offset the last (bursts kept disjoint)."""
    on, off = edge_positions(env, b, fs, baseline, fraction, max_shift_s)
    on, off = disjoint(np.ceil(on - 1e-9).astype(np.int64), np.floor(off + 1e-9).astype(np.int64),
                        b.on, b.off)
    return Bursts(on, off, b.threshold, b.baseline_mean, b.baseline_sd)


def to_raw(on: np.ndarray, off: np.ndarray, factor: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Envelope positions (fractional, at 1/``factor`` of the raw rate) → raw sample indices:
    the first raw sample at or after an onset, the last at or before an offset (envelope
    sample k sits at raw position k·factor + (factor − 1)/2), within [0, n)."""
    c = (factor - 1) / 2
    on_r = np.clip(np.ceil(np.asarray(on) * factor + c - 1e-9), 0, n - 1).astype(np.int64)
    off_r = np.clip(np.floor(np.asarray(off) * factor + c + 1e-9), 0, n - 1).astype(np.int64)
    return on_r, np.maximum(off_r, on_r)


def detect_onsets(bp: np.ndarray | None, fs: float, p: EmgParams, bad: np.ndarray | None = None,
                  blocks: np.ndarray | None = None, n: int | None = None) -> Onsets:
    """Bursts of a band-passed EMG segment with the method ``p.onset_method``.

    The timing envelope runs at fs / factor (:func:`method_envelope`; its blocks start at the
    segment's first sample, so a caller that wants a fixed grid starts the segment on it).
    Baseline = the envelope's quiet windows (:func:`gaitlab.analysis.emg.quiet_windows`),
    less any block touching a ``bad`` (artefact) raw sample. The first threshold decides on
    the envelope samples whether there is a burst; its edges are then placed by linear
    interpolation on the envelope (at the second, burst-relative level with
    ``edge_refine``, else where the envelope crosses the first threshold) and returned as
    raw sample indices (:func:`to_raw`). Bonato's detector runs on the raw signal; with
    ``edge_refine`` its edges are re-placed on the envelope as well.

    ``blocks`` (:func:`method_blocks` of the segment) and ``n`` (its length in samples) let
    a caller that band-passed ahead give the envelope's input instead of ``bp`` (not for
    ``bonato``, which needs the signal itself).
    """
    method = p.onset_method
    if method not in METHODS:
        raise GaitlabError(f"emg.onset_method '{method}' is unknown; use one of "
                           f"{', '.join(METHODS)}")
    if bp is None and (blocks is None or n is None or method == "bonato"):
        raise GaitlabError("detect_onsets: give the band-passed signal (bonato needs it), or its "
                           "envelope blocks and length")
    if bp is not None:
        bp = np.asarray(bp, dtype=np.float64)
        n = bp.size
    assert n is not None
    env, d = method_envelope(bp, fs, p, blocks)
    fe = fs / d
    quiet = quiet_windows(env, fe, p.baseline_window_ms / 1000, p.baseline_fraction, p.k_sd)
    if bad is not None and bad.any():
        quiet &= ~block_any(bad, d)
    base = env[quiet] if quiet.any() else env
    if method == "bonato":
        assert bp is not None
        raw_quiet = np.repeat(quiet, d)[: bp.size]
        noise_var = float(np.mean(bp[raw_quiet] ** 2)) if raw_quiet.any() else float(np.var(bp))
        b = bonato_bursts(bp, fs, noise_var, p)
        if not p.edge_refine or b.on.size == 0:
            return Onsets(b, env, quiet, d)
        mu = float(np.mean(base))
        seed = Bursts(np.minimum(b.on // d, env.size - 1), np.minimum(b.off // d, env.size - 1),
                      b.threshold, b.baseline_mean, b.baseline_sd)
        on, off = place_edges(env, seed, fe, mu, p)
        on_r, off_r = to_raw(on, off, d, bp.size)
        on_r, off_r = disjoint(on_r, off_r, b.on, b.off)
        return Onsets(Bursts(on_r, off_r, b.threshold, b.baseline_mean, b.baseline_sd), env,
                      quiet, d)
    b = detect_bursts(env, fe, quiet, p)
    on, off = place_edges(env, b, fe, b.baseline_mean, p)
    on_r, off_r = to_raw(on, off, d, n)
    b0_on, b0_off = to_raw(b.on, b.off, d, n)
    on_r, off_r = disjoint(on_r, off_r, b0_on, b0_off)
    return Onsets(Bursts(on_r, off_r, b.threshold, b.baseline_mean, b.baseline_sd), env, quiet, d)
