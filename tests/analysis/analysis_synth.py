"""Synthetic lab signals with known answers, for the analysis tests (not the virtual athlete).

Everything here is rendered from explicit inputs (positions, times, amplitudes); the
tests compare the analysis output with those inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROW_PITCH = 0.01172
COL_PITCH = 0.0119


@dataclass
class Footfall:
    ic: float  # s, start of loading (pressure rises as sin from here)
    dur: float  # s, loaded duration
    x: float  # m, mediolateral position of the foot's centre (x + to the runner's right)
    toe_deg: float  # + = toes point to the runner's right
    peak: float = 30.0  # N/cm^2
    side: str = ""  # "L"/"R"; "" = from the toe angle (toe-out: left foot has toe_deg < 0)
    pushoff: float = 1.0  # late-stance hallux load (× peak); < 0 puts it lateral, 0 = none

    @property
    def is_left(self) -> bool:
        return self.side == "L" if self.side else self.toe_deg < 0


def threshold_times(f: Footfall, thr: float) -> tuple[float, float]:
    """When the rendered peak pressure crosses ``thr`` (loading is P·sin(pi·s))."""
    d = np.arcsin(thr / f.peak) / np.pi * f.dur
    return f.ic + d, f.ic + f.dur - d


def render_pressure(footfalls: list[Footfall], n_frames: int, fs: float, rows: int = 128,
                    cols: int = 42, belt_mps: float = 3.0, land_m: float = 0.45,
                    arch_gap_m: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Frames (n, rows, cols) and frame times. Each foot is a heel and a forefoot dome of
    equal size, separated by an unloaded arch gap, centred on (x, land_m + belt motion),
    plus a small hallux dome medial of the foot axis, loaded in late stance only (the
    medial push-off of the gait line; mirrored per side, scaled by ``pushoff``)."""
    t = np.arange(n_frames) / fs
    frames = np.zeros((n_frames, rows, cols), np.float32)
    yy = (np.arange(rows) + 0.5) * ROW_PITCH  # backward from the front edge
    xx = (np.arange(cols) + 0.5) * COL_PITCH
    half_len, half_w = 0.045, 0.035
    centre = arch_gap_m / 2 + half_len
    for f in footfalls:  # per footfall, vectorised over frames × sensors
        k = np.flatnonzero((t >= f.ic) & (t <= f.ic + f.dur))
        if k.size == 0:
            continue
        s = (t[k] - f.ic) / f.dur
        amp = f.peak * np.sin(np.pi * s)
        yc = land_m + belt_mps * (t[k] - f.ic)
        th = np.radians(f.toe_deg)
        dx = xx[None, None, :] - f.x
        df = yc[:, None, None] - yy[None, :, None]  # forward of the centre
        u = dx * np.sin(th) + df * np.cos(th)
        v = dx * np.cos(th) - df * np.sin(th)
        dome = np.zeros((k.size, rows, cols))
        for uc in (-centre, centre):
            rho2 = ((u - uc) / half_len) ** 2 + (v / half_w) ** 2
            dome = np.maximum(dome, 1 - rho2)
        p = amp[:, None, None] * np.clip(dome, 0, None)
        if f.pushoff:
            medial = 1.0 if f.is_left else -1.0  # + x is medial for a left foot
            v_h = medial * np.sign(f.pushoff) * 0.025
            rho2 = ((u - centre - 0.035) / 0.02) ** 2 + ((v - v_h) / 0.015) ** 2
            late = np.clip((s - 0.45) / 0.25, 0, 1) * abs(f.pushoff)
            p = np.maximum(p, (amp * late)[:, None, None] * np.clip(1 - rho2, 0, None))
        frames[k] = np.maximum(frames[k], p)
    return frames, t


def running(n: int, t0: float, step_s: float, contact_s: float, mid_x: float, width_cm: np.ndarray,
            wander_m: np.ndarray, toe_deg: float = 8.0, first: str = "L",
            pushoff: float = 1.0) -> list[Footfall]:
    """Alternating footfalls; contact i sits at mid + wander_i ∓ width_i/2."""
    out = []
    for i in range(n):
        left = (i % 2 == 0) == (first == "L")
        sgn = -1 if left else 1
        out.append(Footfall(t0 + i * step_s, contact_s,
                            mid_x + wander_m[i] + sgn * width_cm[i] / 200,
                            sgn * toe_deg, side="L" if left else "R", pushoff=pushoff))
    return out


def rendered_x(footfalls: list[Footfall], fs: float, thr: float = 1.0) -> np.ndarray:
    """Pressure-weighted mediolateral centroid (m) of each footfall's loaded sensors
    (>= ``thr``), each rendered on its own: the placement the analysis should report."""
    xx = (np.arange(42) + 0.5) * COL_PITCH
    out = []
    for f in footfalls:
        g = Footfall(0.05, f.dur, f.x, f.toe_deg, f.peak, f.side, f.pushoff)
        fr, _ = render_pressure([g], int((f.dur + 0.1) * fs), fs)
        w = np.where(fr >= thr, fr, 0).sum(axis=(0, 1))
        out.append(float(np.sum(w * xx) / np.sum(w)))
    return np.array(out)


def emg_signal(fs: float, dur: float, bursts: list[tuple[float, float, float]], noise_uV: float,
               rng: np.random.Generator, hum_hz: float = 0.0, hum_uV: float = 0.0,
               ramp_s: float = 0.005) -> np.ndarray:
    """Gaussian EMG (V): noise plus bursts (t_on, t_off, rms_uV) with short cosine ramps."""
    t = np.arange(int(dur * fs)) / fs
    gain = np.zeros_like(t)
    for on, off, rms in bursts:
        g = np.clip(np.minimum(t - on, off - t) / ramp_s, 0, 1)
        gain = np.maximum(gain, rms * (0.5 - 0.5 * np.cos(np.pi * g)))
    x = rng.standard_normal(t.size) * np.sqrt(gain ** 2 + noise_uV ** 2)
    x += hum_uV * np.sin(2 * np.pi * hum_hz * t)
    return x * 1e-6


def make_test_force(fs: float, dur: float, trials: list[tuple[float, float, float]],
                    rng: np.random.Generator, noise_N: float = 1.0) -> np.ndarray:
    """Dynamometer force: (t0, t1, peak) trials rising over 1 s to a plateau, then falling."""
    t = np.arange(int(dur * fs)) / fs
    f = np.zeros_like(t)
    for t0, t1, pk in trials:
        g = np.clip(np.minimum(t - t0, t1 - t) / 1.0, 0, 1)
        f = np.maximum(f, pk * (0.5 - 0.5 * np.cos(np.pi * g)))
    return f + rng.standard_normal(t.size) * noise_N


def lab_streams(rng: np.random.Generator, with_pressure: bool = True, with_markers: bool = True,
                emg_onsets: dict[str, tuple[float, float]] | None = None) -> tuple[list, dict]:
    """A small complete session: 16 s of running on a pressure treadmill, EMG of GMED_L/R
    with bursts at known times, hip-abduction trials on a dynamometer, and markers.

    Returns (streams, inputs): ``inputs`` holds what was rendered (footfalls, burst
    times, trial peaks) for the tests to compare against.
    """
    from analysis_files import StreamArrays

    emg_onsets = emg_onsets or {"GMED_L": (-0.090, 0.160), "GMED_R": (-0.040, 0.150)}
    step, contact, n_steps, t0 = 0.36, 0.25, 44, 1.0
    width = rng.normal(1.5, 2.0, n_steps)
    wander = 0.03 * np.sin(2 * np.pi * np.arange(n_steps) / 30)
    feet = running(n_steps, t0, step, contact, 0.25, width, wander, first="L")
    fs_p = 120.0
    n_p = int(18 * fs_p)
    frames, tp = render_pressure(feet, n_p, fs_p)
    streams = []
    if with_pressure:
        streams.append(StreamArrays(
            "zebris", "Pressure", [f"p{i}" for i in range(128 * 42)], [""] * (128 * 42), fs_p,
            tp + 100.0, frames.reshape(n_p, -1),
            desc={"geometry": {"rows": 128, "cols": 42, "row_pitch_mm": ROW_PITCH * 1000,
                               "col_pitch_mm": COL_PITCH * 1000},
                  "belt_speed_mps": 3.0, "unit": "N/cm^2"}))
    # EMG: bursts relative to the same side's threshold-IC, jittered
    fs_e, dur = 2000.0, 60.0
    trials = [(20.0, 24.0, "L", 175.0), (26.0, 30.0, "R", 140.0), (32.0, 36.0, "L", 168.0),
              (38.0, 42.0, "R", 136.0), (44.0, 48.0, "L", 171.0), (50.0, 54.0, "R", 143.0)]
    bursts_in: dict[str, list[tuple[float, float, float]]] = {}
    chans = []
    for name, (on, off) in emg_onsets.items():
        side = name[-1]
        ics = [threshold_times(f, 1.0)[0] for f in feet if f.is_left == (side == "L")]
        jit = rng.normal(0, 0.008, (len(ics), 2))
        b = [(ic + on + j[0], ic + off + j[1], 120.0) for ic, j in zip(ics, jit, strict=True)]
        b += [(a + 1.0, e - 1.0, 300.0) for a, e, s, _ in trials if s == side]  # MVC = 300 uV
        bursts_in[name] = b
        chans.append(emg_signal(fs_e, dur, b, 30.0, rng, hum_hz=50.0, hum_uV=20.0))
    x = np.stack(chans, axis=1) * 1e6  # stored in uV
    te = np.arange(x.shape[0]) / fs_e + 100.0
    streams.append(StreamArrays("emg", "EMG", list(emg_onsets), ["uV"] * len(chans), fs_e, te,
                                x.astype(np.float32)))
    fs_d = 100.0
    force_lbf = make_test_force(fs_d, dur, [(a, e, pk) for a, e, _, pk in trials], rng) / 4.4482216152605
    td = np.arange(force_lbf.size) / fs_d + 100.0
    force_lbf[int(5 * fs_d)] = 500.0  # one-sample spike outside any trial... and inside one:
    force_lbf[int(22 * fs_d)] = 400.0
    streams.append(StreamArrays("dyn", "Force", ["force"], ["lbf"], fs_d, td,
                                force_lbf.astype(np.float32)))
    if with_markers:
        mk = []
        for a, e, s, _ in trials:
            mk += [(a + 100.0 - 0.2, f"trial_start hip_abduction {s}"),
                   (e + 100.0 + 0.2, f"trial_end hip_abduction {s}")]
        mk.append((100.5, "free text note"))
        mk.sort()
        streams.append(StreamArrays("markers", "Markers", ["marker"], [""], 0.0,
                                    np.array([m[0] for m in mk]), np.array([m[1] for m in mk]),
                                    fmt="string"))
    inputs = {"feet": feet, "bursts": bursts_in, "trials": trials, "emg_onsets": emg_onsets,
              "t_offset": 100.0}
    return streams, inputs
