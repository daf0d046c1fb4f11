"""A synthetic running pelvis with known angles, for the pelvis tests (issue #12).

Known obliquity: in each stance of foot X a half-sine bump of the drop signal with peak
``drop[X]`` (so the opposite side lowers by that much, + = swing side lower), plus tilt
(step frequency) and rotation (stride frequency). The sacrum moves as in running: it is
braked in the first half of each stance and propelled in the second, pushed up in stance and
sideways alternately. The first ``stand_s`` seconds are quiet standing, then a 1-s ramp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from gaitlab.analysis.pelvis.synth import ImuNoise, axis_angle, virtual_imu

STEP_S = 0.36
STANCE_FRAC = 0.7  # of a step (running: stance ~ 250 ms of a 360-ms step)


@dataclass
class Run:
    t: np.ndarray
    fs: float
    a: np.ndarray  # pelvis ISB axes in the lab (n, 3, 3)
    a_static: np.ndarray
    sacrum_m: np.ndarray
    obliquity_deg: np.ndarray  # true obliquity relative to the standing posture (+ = right lower)
    contacts: dict[str, tuple[np.ndarray, np.ndarray]]
    up: np.ndarray
    forward: np.ndarray
    stand_s: float


def _bumps(t: np.ndarray, ic: np.ndarray, dur: float) -> np.ndarray:
    y = np.zeros_like(t)
    for a in ic:
        m = (t >= a) & (t < a + dur)
        y[m] = np.sin(np.pi * (t[m] - a) / dur)
    return y


def running_pelvis(drop: tuple[float, float] = (6.0, 3.0), duration_s: float = 30.0, fs: float = 100.0,
                   stand_s: float = 5.0, static_tilt_deg: float = 8.0, static_obl_deg: float = 2.0
                   ) -> Run:
    t = np.arange(round(duration_s * fs)) / fs
    t_run = stand_s + 1.0
    env = np.clip((t - stand_s) / 1.0, 0.0, 1.0)
    env = env * env * (3 - 2 * env)
    ics = np.arange(t_run, duration_s - 1.0, STEP_S)
    ic_l, ic_r = ics[0::2], ics[1::2]
    dur = STANCE_FRAC * STEP_S
    obl = drop[0] * _bumps(t, ic_l, dur) - drop[1] * _bumps(t, ic_r, dur)
    tilt = 2.0 * np.sin(2 * np.pi * t / STEP_S) * env
    rot = 5.0 * np.sin(2 * np.pi * t / (2 * STEP_S)) * env
    # lab: Z up, progression along -Y (a Vicon-like lab), so ISB (forward, up, right) =
    fwd, up = np.array([0, -1.0, 0]), np.array([0, 0, 1.0])
    lab = np.column_stack([fwd, up, np.cross(fwd, up)])
    p = Rotation.from_euler("YXZ", np.column_stack([rot, obl, -tilt]), degrees=True).as_matrix()
    st = Rotation.from_euler("YXZ", [0.0, static_obl_deg, -static_tilt_deg], degrees=True).as_matrix()
    a_static = lab @ st  # pelvis axes (anterior, superior, right) in lab coordinates
    a = lab @ p @ st  # so that relative to standing A(t) · A_s^T = L·P·L^T
    # sacrum accelerations per stance (m/s²): braking then propulsion, vertical push, sideways
    ap = _bumps(t, ics, dur / 2) * -4.0 + _bumps(t - dur / 2, ics, dur / 2) * 4.0
    vert = 12.0 * _bumps(t, ics, dur)
    side = 2.0 * (_bumps(t, ic_l, dur) - _bumps(t, ic_r, dur))
    acc = np.column_stack([ap, side, vert - vert[t > t_run].mean() * (t > t_run)])
    vel = np.cumsum(acc, axis=0) / fs
    vel -= np.linspace(0, 1, t.size)[:, None] * vel[-1]
    pos_isb = np.cumsum(vel, axis=0) / fs
    pos_isb -= np.linspace(0, 1, t.size)[:, None] * pos_isb[-1]
    pos_isb *= env[:, None]
    pos = np.array([0.0, 0.0, 1.0]) + pos_isb @ np.vstack([fwd, np.cross(fwd, up), up])
    contacts = {"L": (ic_l, ic_l + dur), "R": (ic_r, ic_r + dur)}
    return Run(t, fs, a, a_static, pos, obl, contacts, up, fwd, stand_s)


def pelvis_markers(run: Run) -> dict[str, np.ndarray]:
    """Vicon-style labels: ASIS ±12 cm, PSIS ±4.5 cm and 15 cm behind, in the pelvis frame."""
    local = {"LASI": [0.0, 0.0, -0.12], "RASI": [0.0, 0.0, 0.12],
             "LPSI": [-0.15, 0.03, -0.045], "RPSI": [-0.15, 0.03, 0.045]}
    origin = run.sacrum_m + np.einsum("nij,j->ni", run.a, [0.15, -0.03, 0.0])
    return {k: origin + np.einsum("nij,j->ni", run.a, v) for k, v in local.items()}


def sacral_imu(run: Run, misalignment_deg: float, axis: tuple[float, float, float] = (1.0, 2.0, -1.0),
               noise: ImuNoise | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    base = np.array([[0, 0, -1.0], [1.0, 0, 0], [0, -1.0, 0]])  # sensor x up, y left, z back
    mount = axis_angle(np.asarray(axis), misalignment_deg) @ base
    return virtual_imu(run.a @ mount, run.sacrum_m, run.fs, run.up,
                       ImuNoise() if noise is None else noise, seed)
