"""Virtual-athlete data for the live-tracker tests, rendered offline (no LSL, no threads)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitlab.analysis.online.replay import chunks
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual import model as M
from gaitlab.drivers.virtual import render
from gaitlab.protocols import load_protocol

T0 = 2000.0  # stream time of model time 0


@dataclass
class Rendered:
    model: M.SessionModel
    frames: np.ndarray  # (n, rows*cols)
    frame_t: np.ndarray
    emg: np.ndarray  # (n, channels)
    emg_t: np.ndarray


def random_chunks(n: int, max_len: int, seed: int) -> list[tuple[int, int]]:
    """Consecutive [a, b) ranges covering 0..n with random lengths 1..max_len."""
    return chunks(n, max_len, seed)


def render_run(seed: int = 11, run_s: float = 12.0) -> Rendered:
    model = M.build_session(load_profile("default"), load_protocol("run"), seed=seed,
                            run_duration_s=run_s)
    d = model.profile.devices
    n_p = render.n_samples(model.duration_s, d.pressure_rate_hz)
    n_e = render.n_samples(model.duration_s, d.emg_rate_hz)
    return Rendered(model, render.render_pressure(model, 0, n_p),
                    T0 + np.arange(n_p) / d.pressure_rate_hz,
                    render.render_emg(model, 0, n_e), T0 + np.arange(n_e) / d.emg_rate_hz)
