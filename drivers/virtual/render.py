"""Device renderers: pure functions of the session model and a sample-index range.

Sample ``n`` of a device with rate ``fs`` is at model time ``n / fs``. Every renderer
gives the same samples however the range [n0, n1) is cut into chunks: noise comes
from a counter-based generator over fixed blocks of samples, and filters are FIR
applied to the noise with its true history (no filter state to carry).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from scipy import signal
from scipy.special import erf

from gaitlab.drivers.virtual import foot
from gaitlab.drivers.virtual.model import HIP_ABDUCTORS, Contacts, SessionModel

NOISE_BLOCK = 4096
_BLOCK_BASE = 2**31  # keeps RNG keys non-negative for the FIR history before sample 0
DEV_EMG, DEV_PRESSURE, DEV_DYNAMOMETER = 1, 2, 3
EMG_RAMP_S = 0.010  # burst rise and fall time
EMG_BAND_HZ = (20.0, 450.0)
EMG_FIR_TAPS = 129
HUM_H3 = 0.3  # amplitude of the 3rd mains harmonic relative to the fundamental
IMPACT_FREQ_HZ = 14.0
IMPACT_TAU_S = 0.018
IMPACT_LEN_S = 0.09
IMPACT_CONTRA = 0.35  # contralateral artefact gain
DYN_NOISE_N = 0.3
PRESSURE_BATCH = 256
PRESSURE_FLOOR = 1e-6  # N/cm^2; smaller cell values (far Gaussian tails) are set to 0.0


def n_samples(duration_s: float, fs: float) -> int:
    """Number of samples of a device over a session (sample times 0 … < duration)."""
    return math.ceil(duration_s * fs - 1e-9)


def block_normal(key: tuple[int, ...], n0: int, n1: int, n_ch: int) -> np.ndarray:
    """Standard normal noise for samples [n0, n1) (n0 may be negative), chunk-invariant."""
    if n1 <= n0:
        return np.zeros((0, n_ch))
    b0, b1 = n0 // NOISE_BLOCK, (n1 - 1) // NOISE_BLOCK
    parts = [
        np.random.default_rng([*key, b + _BLOCK_BASE]).standard_normal((NOISE_BLOCK, n_ch))
        for b in range(b0, b1 + 1)
    ]
    lo = n0 - b0 * NOISE_BLOCK
    return np.concatenate(parts)[lo: lo + (n1 - n0)]


@lru_cache(maxsize=8)
def emg_fir(fs: float) -> np.ndarray:
    """Band-pass FIR with unit noise gain (sum of squared taps = 1)."""
    hi = min(EMG_BAND_HZ[1], 0.45 * fs)
    taps = signal.firwin(EMG_FIR_TAPS, [EMG_BAND_HZ[0], hi], pass_zero=False, fs=fs)
    return taps / np.sqrt(np.sum(taps**2))


def band_noise(key: tuple[int, ...], n0: int, n1: int, n_ch: int, fs: float) -> np.ndarray:
    """Unit-RMS band-limited Gaussian noise for samples [n0, n1)."""
    taps = emg_fir(fs)
    white = block_normal(key, n0 - taps.size + 1, n1, n_ch)
    return signal.convolve(white, taps[:, None], mode="valid", method="direct")


def _ramp(u: np.ndarray) -> np.ndarray:
    """0 before u=0, raised-cosine rise to 1 at u=1, 1 after."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))


def live_stances(c: Contacts, t: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For the latest contact begun at each time t and the one before it (two stances overlap in
    double support): (in stance at t, contact index, stance phase 0 at IC … 1 at TO)."""
    k0 = np.searchsorted(c.t_ic, t, side="right") - 1
    for lag in (0, 1):
        k = k0 - lag
        kk = np.maximum(k, 0)
        live = (k >= 0) & (t < c.t_to[kk])
        yield live, kk, (t - c.t_ic[kk]) / (c.t_to[kk] - c.t_ic[kk])


# ---------------------------------------------------------------- dynamometer
def force_curve(model: SessionModel, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free dynamometer force (N) at times t, and the index of the trial (-1 none)."""
    tr = model.trials
    k = np.searchsorted(tr.t_rise, t, side="right") - 1
    inside = (k >= 0) & (t < tr.t_end[np.maximum(k, 0)]) if len(tr) else np.zeros(t.shape, bool)
    k = np.where(inside, k, -1)
    if not len(tr):
        return np.zeros(t.shape), k
    kk = np.maximum(k, 0)
    up = _ramp((t - tr.t_rise[kk]) / (tr.t_hold[kk] - tr.t_rise[kk]))
    down = 1 - _ramp((t - tr.t_release[kk]) / (tr.t_end[kk] - tr.t_release[kk]))
    f = np.where(inside, tr.peak_N[kk] * up * down, 0.0)
    return f, k


def render_dynamometer(model: SessionModel, n0: int, n1: int) -> np.ndarray:
    """Handheld dynamometer samples [n0, n1): shape (n, 1), float32, N."""
    fs = model.profile.devices.dynamometer_rate_hz
    t = np.arange(n0, n1) / fs
    f, k = force_curve(model, t)
    noise = DYN_NOISE_N * block_normal((model.seed, DEV_DYNAMOMETER, 1), n0, n1, 1)[:, 0]
    out = np.where(k >= 0, np.maximum(f + noise, 0.0), 0.0)
    return out[:, None].astype(np.float32)


# ---------------------------------------------------------------- EMG
def emg_activation(model: SessionModel, t: np.ndarray) -> np.ndarray:
    """Activation (fraction of MVC) of each EMG channel at times t: shape (n, n_channels)."""
    names = model.emg_channels
    act = np.zeros((t.size, len(names)))
    f, k = force_curve(model, t)
    tr = model.trials
    for j, name in enumerate(names):
        b = model.bursts[name]
        if b.onset.size:
            i = np.searchsorted(b.onset, t, side="right") - 1
            for lag in (0, 1):  # the latest burst, and the one before in case they overlap
                ii = i - lag
                ok = ii >= 0
                ii = np.maximum(ii, 0)
                shape = _ramp((t - b.onset[ii]) / EMG_RAMP_S) * _ramp((b.offset[ii] - t) / EMG_RAMP_S)
                act[:, j] = np.maximum(act[:, j], np.where(ok, b.amplitude[ii] * shape, 0.0))
        muscle, side = name.rsplit("_", 1)
        if muscle in HIP_ABDUCTORS and len(tr):
            best = tr.best(side)
            on_side = (k >= 0) & (tr.side[np.maximum(k, 0)] == side)
            act[:, j] += np.where(on_side, f / best, 0.0)
    return act


@lru_cache(maxsize=8)
def _impact_peak() -> float:
    u = np.linspace(0, IMPACT_LEN_S, 10001)
    return float(np.max(np.exp(-u / IMPACT_TAU_S) * np.sin(2 * np.pi * IMPACT_FREQ_HZ * u)))


def emg_impacts(model: SessionModel, t: np.ndarray) -> np.ndarray:
    """Footfall artefacts (V) at times t, shape (n, n_channels): damped ~14 Hz transients."""
    names = model.emg_channels
    out = np.zeros((t.size, len(names)))
    c = model.contacts
    em = model.profile.emg
    if not (em.impact_artefacts and len(c) and em.impact_artefact_uV > 0):
        return out
    k = np.searchsorted(c.t_ic, t, side="right") - 1
    kk = np.maximum(k, 0)
    u = t - c.t_ic[kk]
    live = (k >= 0) & (u < IMPACT_LEN_S)
    u = np.where(live, u, 0.0)
    taper = 1 - _ramp((u - 0.6 * IMPACT_LEN_S) / (0.4 * IMPACT_LEN_S))
    wave = np.exp(-u / IMPACT_TAU_S) * np.sin(2 * np.pi * IMPACT_FREQ_HZ * u) * taper
    wave = np.where(live, wave * c.impact_gain[kk], 0.0) * em.impact_artefact_uV * 1e-6
    wave /= _impact_peak()
    for j, name in enumerate(names):
        gain = np.where(c.side[kk] == name[-1], 1.0, IMPACT_CONTRA)
        out[:, j] = wave * gain
    return out


def emg_hum(model: SessionModel, t: np.ndarray) -> np.ndarray:
    """Mains interference (V): fundamental plus a weaker 3rd harmonic, per-channel phase."""
    em = model.profile.emg
    n_ch = len(model.emg_channels)
    if em.hum_uV <= 0:
        return np.zeros((t.size, n_ch))
    ph = np.random.default_rng([model.seed, DEV_EMG, 3]).uniform(0, 2 * np.pi, (2, n_ch))
    w = 2 * np.pi * em.mains_hz * t[:, None]
    return em.hum_uV * 1e-6 * (np.sin(w + ph[0]) + HUM_H3 * np.sin(3 * w + ph[1]))


def baseline_rms_V(model: SessionModel) -> float:
    em = model.profile.emg
    return em.mvc_rms_uV * 1e-6 * 10 ** (-em.snr_db / 20)


def render_emg(model: SessionModel, n0: int, n1: int) -> np.ndarray:
    """EMG samples [n0, n1): shape (n, n_channels), float32, volts."""
    fs = model.profile.devices.emg_rate_hz
    n_ch = len(model.emg_channels)
    t = np.arange(n0, n1) / fs
    mvc = model.profile.emg.mvc_rms_uV * 1e-6
    active = band_noise((model.seed, DEV_EMG, 1), n0, n1, n_ch, fs) * emg_activation(model, t)
    base = band_noise((model.seed, DEV_EMG, 2), n0, n1, n_ch, fs)
    x = mvc * active + baseline_rms_V(model) * base + emg_hum(model, t) + emg_impacts(model, t)
    return x.astype(np.float32)


# ---------------------------------------------------------------- pressure
def _cell_mass(edges: np.ndarray, centre: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Share of a 1-D Gaussian in each cell: shape centre.shape + (len(edges) - 1,)."""
    z = (edges - centre[..., None]) / (np.sqrt(2) * sigma[..., None])
    return 0.5 * np.diff(erf(z), axis=-1)


def _pressure_frames(model: SessionModel, t: np.ndarray) -> np.ndarray:
    d = model.profile.devices
    rows, cols = d.pressure_rows, d.pressure_cols
    rp, cp = d.pressure_row_pitch_mm / 1000, d.pressure_col_pitch_mm / 1000
    out = np.zeros((t.size, rows, cols))
    c = model.contacts
    if not len(c):
        return out.reshape(t.size, -1)
    xe, ye = np.arange(cols + 1) * cp, np.arange(rows + 1) * rp
    _, _, sig = foot.blob_geometry(model.profile.run.foot_length_m)
    for live, kk, phase in live_stances(c, t):  # overlapping contacts (double support) add up
        f = np.flatnonzero(live)
        if f.size == 0:
            continue
        kc = kk[f]
        phi = phase[f]
        force = c.peak_force_N[kc] * foot.grf_shape(phi)
        share = foot.blob_fractions(phi) * force[:, None]  # (m, 5) newtons per blob
        y_heel = c.y_ic[kc] + model.belt_speed_mps * (t[f] - c.t_ic[kc])
        bx, by = foot.blob_centres(c.x_heel[kc], y_heel, c.sign[kc], model.progression_rad,
                                   model.profile.run.foot_length_m)
        sb = np.broadcast_to(sig, bx.shape)
        px = _cell_mass(xe, bx, sb)  # (m, 5, cols)
        py = _cell_mass(ye, by, sb)  # (m, 5, rows)
        out[f] += np.einsum("mb,mbr,mbc->mrc", share, py, px, optimize=True)
    out /= rp * cp * 1e4  # N per cell -> N/cm^2
    out[out < PRESSURE_FLOOR] = 0.0
    return out.reshape(t.size, -1)


def render_pressure(model: SessionModel, n0: int, n1: int) -> np.ndarray:
    """Pressure-treadmill frames [n0, n1): shape (n, rows*cols) row-major, float32, N/cm^2."""
    fs = model.profile.devices.pressure_rate_hz
    t = np.arange(n0, n1) / fs
    parts = [_pressure_frames(model, t[i: i + PRESSURE_BATCH])
             for i in range(0, t.size, PRESSURE_BATCH)]
    if not parts:
        d = model.profile.devices
        return np.zeros((0, d.pressure_rows * d.pressure_cols), np.float32)
    return np.concatenate(parts).astype(np.float32)


# ---------------------------------------------------------------- markers
def markers_between(model: SessionModel, t_a: float, t_b: float) -> list[tuple[float, str]]:
    """Protocol markers with t_a <= t < t_b (model seconds)."""
    return [(t, s) for t, s in model.markers if t_a <= t < t_b]
