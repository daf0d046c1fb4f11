"""Surface-EMG processing: pure functions over (samples,) arrays and a sampling rate.

Chain (SENIAM / ISEK practice): NaN repair → DC removal → optional mains notch (+
harmonics) → zero-phase Butterworth band-pass → full-wave rectification → linear envelope
(timing) or RMS envelope (amplitude). :func:`detect_bursts` is the Hodges & Bui (1996)
style threshold (baseline mean + k·SD of the envelope over the quiet windows, minimum time
above threshold, short dips bridged); :mod:`gaitlab.analysis.onsets` adds the Bonato and
TKEO detectors and the edge placement, and is what the pipeline calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal
from scipy.ndimage import uniform_filter1d

from gaitlab.analysis.params import EmgParams


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the True runs of a boolean array."""
    m = np.asarray(mask, dtype=bool)
    d = np.diff(np.r_[0, m.astype(np.int8), 0])
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def fill_nans(x: np.ndarray, fs: float, max_gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate NaN/inf runs; return (filled, bad) where ``bad`` marks samples of
    runs longer than ``max_gap_s`` (those are set to 0 and should be treated as artefact)."""
    x = np.asarray(x, dtype=np.float64)
    bad_in = ~np.isfinite(x)
    bad = np.zeros(x.size, dtype=bool)
    if not bad_in.any():
        return x, bad
    good = np.flatnonzero(~bad_in)
    if good.size == 0:
        return np.zeros_like(x), np.ones(x.size, dtype=bool)
    y = x.copy()
    y[bad_in] = np.interp(np.flatnonzero(bad_in), good, x[good])
    s, e = runs(bad_in)
    long_ = (e - s) > max_gap_s * fs
    for a, b in zip(s[long_], e[long_], strict=True):  # per NaN run, not per sample
        bad[a:b] = True
    y[bad] = 0.0
    return y, bad


def detect_mains(x: np.ndarray, fs: float, min_ratio: float = 4.0,
                 upper_hz: float | None = None) -> tuple[float | None, list[float]]:
    """Mains frequency (50 or 60 Hz, or None) and the harmonics to notch.

    ``x`` is (n,) or (n, channels). A line is a Welch-PSD peak (±1 Hz) at least
    ``min_ratio`` times the median PSD 2–8 Hz either side of it.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    x = x - np.nanmean(x, axis=0)
    x = np.nan_to_num(x)
    nper = int(min(x.shape[0], 2 ** int(np.ceil(np.log2(fs * 2)))))  # ~0.5 Hz bins
    if nper < fs / 2:
        return None, []
    f, pxx = signal.welch(x, fs=fs, nperseg=nper, axis=0)
    pxx = pxx.sum(axis=1)

    def ratio(f0: float) -> float:
        pk = pxx[(f >= f0 - 1) & (f <= f0 + 1)]
        nb = pxx[(np.abs(f - f0) >= 2) & (np.abs(f - f0) <= 8)]
        if pk.size == 0 or nb.size == 0:
            return 0.0
        return float(pk.max() / max(np.median(nb), 1e-300))

    r = {f0: ratio(f0) for f0 in (50.0, 60.0) if f0 < fs / 2}
    if not r:
        return None, []
    mains = max(r, key=r.get)  # type: ignore[arg-type]
    if r[mains] < min_ratio:
        return None, []
    top = min(upper_hz or fs / 2, fs / 2 - 2)
    harm = [mains * k for k in range(1, int(top // mains) + 1)]
    return mains, [h for h in harm if h == mains or ratio(h) >= min_ratio]


def bandpass(x: np.ndarray, fs: float, p: EmgParams, notches: list[float] | None = None
             ) -> np.ndarray:
    """DC removal, notches at ``notches`` Hz, then zero-phase band-pass."""
    x = np.asarray(x)
    return _filters(np.subtract(x, np.mean(x, dtype=np.float64), dtype=np.float64), fs, p, notches)


EDGE_S = 6.0  # bandpass_long: the ends redone with bandpass (slowest transient: ~5/s decay)


def bandpass_long(x: np.ndarray, fs: float, p: EmgParams, notches: list[float] | None = None,
                  edge_s: float = EDGE_S) -> np.ndarray:
    """:func:`bandpass` of a long recording with the notches and the band-pass cascaded
    into ONE zero-phase filter: one forward and one backward pass instead of a pair per
    filter (a pass costs about the same for 1 or 5 sections, so with one notch this
    halves the band-pass time).

    The filters are linear and time-invariant, so inside the recording this is the same
    filter; only the edge handling (pad and initial state) differs, and the difference
    decays with the slowest filter (the 50 Hz notch at Q 30: ×e^-5 a second). So the first
    and last ``edge_s`` seconds are taken from :func:`bandpass` run on the first and last
    2·``edge_s`` seconds, whose own cut-off transients have decayed for ``edge_s`` there:
    the result equals :func:`bandpass` to ~1e-13 of the signal's amplitude everywhere.
    Short signals (< 4·``edge_s``) just use :func:`bandpass`."""
    e = round(edge_s * fs)
    if not notches or np.size(x) < 4 * e:
        return bandpass(x, fs, p, notches)
    x = np.asarray(x)  # float32 as stored, or float64: widened once, here
    y = np.subtract(x, np.mean(x, dtype=np.float64), dtype=np.float64)  # as bandpass()
    hi = min(p.lowpass_hz, 0.45 * fs)
    sos = [signal.tf2sos(*signal.iirnotch(f0, p.notch_q, fs=fs)) for f0 in notches]
    sos.append(signal.butter(p.filter_order, [p.highpass_hz, hi], btype="bandpass", fs=fs,
                             output="sos"))
    out = zero_phase(np.vstack(sos), y)
    # the ends: the separate filters on the mean-removed signal, as bandpass() does
    out[:e] = _filters(y[: 2 * e], fs, p, notches)[:e]
    out[-e:] = _filters(y[-2 * e:], fs, p, notches)[-e:]
    return out


def zero_phase(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x)`` for a 1-D float64 ``x`` (its default odd
    padding and initial state; the same numbers), with two fewer full-length copies: on a
    one-hour 2 kHz channel the copies cost a third of the call."""
    sos = np.asarray(sos, dtype=np.float64)
    n_zero = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    pad = 3 * (2 * len(sos) + 1 - n_zero)
    if x.size <= pad:
        return signal.sosfiltfilt(sos, x)  # its own error or short-signal handling
    ext = np.concatenate([2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2:-pad - 2:-1]])
    zi = signal.sosfilt_zi(sos)
    y, _ = signal.sosfilt(sos, ext, zi=zi * ext[0])
    y = y[::-1]
    y, _ = signal.sosfilt(sos, y, zi=zi * y[0])
    return y[::-1][pad:-pad]


def _filters(y: np.ndarray, fs: float, p: EmgParams, notches: list[float] | None) -> np.ndarray:
    """The filters of :func:`bandpass`, one zero-phase pair each, without the mean removal."""
    for f0 in notches or []:
        b, a = signal.iirnotch(f0, p.notch_q, fs=fs)
        y = signal.sosfiltfilt(signal.tf2sos(b, a), y)
    hi = min(p.lowpass_hz, 0.45 * fs)
    sos = signal.butter(p.filter_order, [p.highpass_hz, hi], btype="bandpass", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, y)


def linear_envelope(bp: np.ndarray, fs: float, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Full-wave rectification, then zero-phase low-pass."""
    sos = signal.butter(order, min(cutoff_hz, 0.45 * fs), fs=fs, output="sos")
    return signal.sosfiltfilt(sos, np.abs(bp))


ENVELOPE_OVERSAMPLING = 20.0  # envelope rate ≥ this × its cut-off (10 Hz → 200 Hz at 2 kHz)


def envelope_factor(fs: float, cutoff_hz: float) -> int:
    """Raw samples per envelope sample: the largest whole factor that keeps the envelope
    rate at least ``ENVELOPE_OVERSAMPLING`` × its cut-off (1 = the raw rate)."""
    if not (fs > 0 and cutoff_hz > 0):
        return 1
    return max(1, int(fs // (ENVELOPE_OVERSAMPLING * cutoff_hz)))


def block_means(y: np.ndarray, d: int) -> np.ndarray:
    """Mean of each block of ``d`` samples, [k·d, (k+1)·d); a last, shorter block is the
    mean of the samples it holds. ``d`` = 1 returns ``y`` as float64."""
    y = np.asarray(y, dtype=np.float64)
    if d <= 1:
        return y
    m, rest = divmod(y.size, d)
    out = np.empty(m + (rest > 0))
    np.mean(y[: m * d].reshape(m, d), axis=1, out=out[:m])
    if rest:
        out[m] = y[m * d:].mean()
    return out


def block_any(mask: np.ndarray, d: int) -> np.ndarray:
    """Per block of ``d`` samples (as :func:`block_means`), whether any sample is set."""
    mask = np.asarray(mask, dtype=bool)
    if d <= 1:
        return mask
    m, rest = divmod(mask.size, d)
    out = np.empty(m + (rest > 0), bool)
    np.any(mask[: m * d].reshape(m, d), axis=1, out=out[:m])
    if rest:
        out[m] = mask[m * d:].any()
    return out


def lowrate_envelope(y: np.ndarray, fs: float, cutoff_hz: float, order: int = 4,
                     d: int | None = None) -> tuple[np.ndarray, int]:
    """Zero-phase Butterworth low-pass of a rectified or squared signal ``y``, run at the
    envelope rate fs / d on its block means (:func:`block_means`): (envelope, d).

    The low-pass keeps nothing above ~2× its cut-off, so the envelope needs no more than a
    few tens of samples a second; filtering 2 kHz EMG at 2 kHz spends 10× the work on
    samples that carry nothing new. The block mean is the anti-alias filter: at d samples
    its response is sinc-shaped, down 0.04 dB at the cut-off (envelope rate = 20× the
    cut-off) and with nulls at every multiple of the envelope rate, so rectified EMG folds
    back < 1 % of its in-band power. The ends are padded by reflection (see below).
    Envelope sample k describes raw samples [k·d, (k+1)·d), centred at raw position
    k·d + (d − 1)/2 (:func:`gaitlab.analysis.onsets.to_raw` maps positions back).
    """
    d = envelope_factor(fs, cutoff_hz) if d is None else max(int(d), 1)
    ym = block_means(y, d)
    fe = fs / d
    if ym.size < 2:
        return ym.copy(), d
    sos = signal.butter(order, min(cutoff_hz, 0.45 * fe), fs=fe, output="sos")
    # the signal is non-negative with a non-zero mean: mirrored (even) padding over two
    # cut-off periods continues it at its own level, where the default odd extension
    # (about the first or last value) makes an edge transient of the size of that value
    padlen = min(max(round(2 * fe / cutoff_hz), 3 * (2 * len(sos) + 1)), ym.size - 1)
    return signal.sosfiltfilt(sos, ym, padtype="even", padlen=padlen), d


def quiet_windows(env: np.ndarray, fs: float, window_s: float, fraction: float,
                  k_sd: float = 3.0) -> np.ndarray:
    """Boolean mask of the baseline ("quiet") samples of an envelope.

    Consecutive windows of ``window_s``; the lowest-mean ``fraction`` of them give a first
    noise level (mean m0, SD s0). Taking only those would bias the baseline low (they are
    the quietest noise, not typical noise), so the baseline is then every window whose
    mean stays below m0 + k_sd·s0, i.e. every window consistent with noise alone.
    """
    w = max(round(window_s * fs), 1)
    n_w = env.size // w
    mask = np.zeros(env.size, dtype=bool)
    if n_w == 0:
        mask[:] = True
        return mask
    win = env[: n_w * w].reshape(n_w, w)
    means = win.mean(axis=1)
    k = max(round(fraction * n_w), 1)
    sel = np.argsort(means)[:k]
    m0, s0 = win[sel].mean(), win[sel].std()
    mask[: n_w * w] = np.repeat(means <= m0 + k_sd * s0, w)
    return mask


@dataclass
class Bursts:
    on: np.ndarray  # sample index of the first sample above threshold
    off: np.ndarray  # sample index of the last sample above threshold
    threshold: float
    baseline_mean: float
    baseline_sd: float


def detect_bursts(env: np.ndarray, fs: float, baseline: np.ndarray, p: EmgParams) -> Bursts:
    """Hodges–Bui style bursts on a timing envelope.

    Threshold = mean + k·SD of ``env[baseline]``; runs above it separated by dips shorter
    than ``bridge_ms`` are merged, and merged runs shorter than ``min_on_ms`` dropped.
    """
    base = env[baseline] if baseline.any() else env
    mu, sd = float(np.mean(base)), float(np.std(base))
    thr = mu + p.k_sd * sd
    s, e = runs(env > thr)
    if s.size:
        gap = s[1:] - e[:-1]
        keep_break = np.r_[True, gap > p.bridge_ms / 1000 * fs]
        s = s[keep_break]
        e = e[np.r_[keep_break[1:], True]]
        long_ = (e - s) >= p.min_on_ms / 1000 * fs
        s, e = s[long_], e[long_]
    return Bursts(s, e - 1, thr, mu, sd)


@dataclass
class CycleTiming:
    onset_s: np.ndarray  # burst onset relative to IC (NaN = rejected)
    offset_s: np.ndarray
    burst: np.ndarray  # index into the bursts, -1 = none
    reason: np.ndarray  # "" for accepted cycles


def assign_bursts(on_t: np.ndarray, off_t: np.ndarray, ic_t: np.ndarray, pre_s: float,
                  post_s: float, max_burst_s: float = np.inf) -> CycleTiming:
    """Match each initial contact to a burst: the one that contains the IC, else the first
    starting in [IC - pre_s, IC + post_s]. Cycles without one, or whose burst is longer
    than ``max_burst_s``, are rejected with a reason."""
    on_t, off_t, ic_t = (np.asarray(a, dtype=np.float64) for a in (on_t, off_t, ic_t))
    n = ic_t.size
    burst = np.full(n, -1)
    reason = np.full(n, "no burst near initial contact", dtype=object)
    if on_t.size and n:
        k = np.searchsorted(on_t, ic_t, side="right") - 1
        kc = np.clip(k, 0, on_t.size - 1)
        contains = (k >= 0) & (off_t[kc] >= ic_t) & (on_t[kc] >= ic_t - pre_s)
        j = np.searchsorted(on_t, ic_t - pre_s, side="left")
        jc = np.clip(j, 0, on_t.size - 1)
        near = (j < on_t.size) & (on_t[jc] <= ic_t + post_s)
        burst = np.where(contains, kc, np.where(near, jc, -1))
        reason = np.where(burst >= 0, "", reason).astype(object)
    ok = burst >= 0
    bc = np.clip(burst, 0, max(on_t.size - 1, 0))
    onset = np.where(ok, on_t[bc] - ic_t if on_t.size else np.nan, np.nan)
    offset = np.where(ok, off_t[bc] - ic_t if on_t.size else np.nan, np.nan)
    too_long = ok & ((offset - onset) > max_burst_s)
    reason[too_long] = "burst longer than the stride allows (tonic activity or artefact)"
    onset[too_long] = offset[too_long] = np.nan
    burst[too_long] = -1
    return CycleTiming(onset, offset, burst, reason)


def window_means(x: np.ndarray, i0: np.ndarray, i1: np.ndarray, power: bool = False
                 ) -> np.ndarray:
    """Mean of ``x[i0[k]:i1[k]]`` (of its square with ``power``, in float64) for each window
    k (windows of at least one sample, in any order, overlapping or not): one gather of the
    windows' samples and one grouped sum, instead of a cumulative sum over the whole signal."""
    i0 = np.asarray(i0, dtype=np.int64)
    lens = np.asarray(i1, dtype=np.int64) - i0
    if i0.size == 0:
        return np.empty(0)
    if np.any(lens < 1):
        raise ValueError("window_means: every window needs at least one sample")
    starts = np.cumsum(lens) - lens
    idx = np.arange(int(lens.sum())) - np.repeat(starts - i0, lens)
    v = np.asarray(x)[idx].astype(np.float64)
    if power:
        v *= v
    return np.add.reduceat(v, starts) / lens


def moving_max_mean(x: np.ndarray, fs: float, window_s: float) -> float:
    """Highest moving average of ``x`` over ``window_s`` (NaN for an empty input)."""
    if x.size == 0:
        return float("nan")
    w = max(min(round(window_s * fs), x.size), 1)
    return float(uniform_filter1d(x, w, mode="nearest").max())
