"""The ``pelvis`` block of the metrics contract from a session: the sacral IMU's stream and
the session's foot contacts (issue #12).

Sources: pelvis markers (a MoCap stream with PositionX/Y/Z channels of the ASISs and PSISs or
SACR) or a sacral IMU. The standing period: between ``static_start`` and ``static_end``
markers when the session has them, else found in the data (the IMU's quiet seconds; for
markers, ≥ 2 s in which the pelvis moves < 3 cm/s); with none the drop is relative to the
run's mean posture and ``extras.pelvis.reference`` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from gaitlab.analysis.pelvis.angles import mean_rotation
from gaitlab.analysis.pelvis.imu import imu_pelvis
from gaitlab.analysis.pelvis.markers import landmark_frame, marker_angles
from gaitlab.analysis.pelvis.sensor import find_pelvis_imu, find_pelvis_marker_columns, uniform
from gaitlab.analysis.pelvis.stance import SIDES, empty_pelvis_metrics, pelvis_metrics

FUSION = "vqf"
AXES = {"x": 0, "y": 1, "z": 2}
MAX_STANDING_SPEED_M_S = 0.03
Columns = Callable[[list[int]], np.ndarray]  # channel indices -> (n, k) samples in the stream's units


@dataclass
class PelvisResult:
    metrics: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    cycles: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # side -> ic_s, curves_deg


NO_CONTACTS = "no foot contacts of both sides (pressure, force or IC/TO events) to find the stances"


def _both_sides(contacts: dict[str, tuple[np.ndarray, np.ndarray]] | None) -> bool:
    return contacts is not None and all(len(contacts[s][0]) for s in SIDES)


def _static_window(tu: np.ndarray, marker_t: np.ndarray, marker_l: np.ndarray) -> tuple[int, int] | None:
    lab = np.char.lower(np.char.strip(np.asarray(marker_l, dtype=str)))
    starts, ends = np.asarray(marker_t)[lab == "static_start"], np.asarray(marker_t)[lab == "static_end"]
    if starts.size == 0 or ends.size == 0:
        return None
    a = float(starts[0])
    later = ends[ends > a]
    if later.size == 0:
        return None
    i0, i1 = np.searchsorted(tu, [a, float(later[0])])
    return (int(i0), int(i1)) if i1 - i0 >= 2 else None


def _finish(res: PelvisResult, t0: float, obl: np.ndarray, tu: np.ndarray,
            rel: dict[str, tuple[np.ndarray, np.ndarray]], source: str, reference: str,
            points: int) -> dict[str, Any]:
    m, per = pelvis_metrics(tu - t0, obl, rel, source, points)
    res.metrics = m
    if reference == "run_mean":
        res.notes["pelvis.reference"] = ("no standing period (static_start/static_end markers or 2 s of "
                                         "standing before the run): drop relative to the run's mean posture")
    for s in SIDES:
        # every cycle's curve (the report's EMG-ensemble page must not take it for a muscle)
        res.cycles[s] = {"ic_s": per[s].cycle_ic_s + t0, "curves_deg": per[s].curves_deg}
    left_out = {s: per[s].left_out for s in SIDES}
    if min(m["n_cycles"].values()) == 0:
        res.notes["pelvis.n_cycles"] = f"stances left out: {left_out}"
    return left_out


def _standing_from_markers(t: np.ndarray, centre_m: np.ndarray, fs: float, min_s: float = 2.0
                           ) -> tuple[int, int] | None:
    v = np.linalg.norm(np.gradient(centre_m, t, axis=0), axis=1)
    v = ndimage.uniform_filter1d(np.nan_to_num(v, nan=np.inf), size=max(1, round(0.5 * fs)))
    still = v < MAX_STANDING_SPEED_M_S
    lab, n = ndimage.label(still)
    if n == 0:
        return None
    sizes = ndimage.sum_labels(still, lab, index=np.arange(1, n + 1))
    idx = np.flatnonzero(lab == int(np.argmax(sizes)) + 1)
    return (int(idx[0]), int(idx[-1]) + 1) if idx.size >= min_s * fs else None


def _up(lab_up: str) -> np.ndarray:
    key = lab_up.strip().lower()
    sign = -1.0 if key.startswith("-") else 1.0
    axis = key.lstrip("+-")
    if axis not in AXES:
        raise ValueError(f"pelvis.lab_up is '{lab_up}', not one of x, y, z, -x, -y, -z")
    u = np.zeros(3)
    u[AXES[axis]] = sign
    return u


def pelvis_from_markers(labels: list[str], units: list[str], t: np.ndarray, read: Columns, fs: float,
                        contacts: dict[str, tuple[np.ndarray, np.ndarray]] | None,
                        marker_t: np.ndarray, marker_l: np.ndarray, stream: str, lab_up: str = "z",
                        points: int = 101) -> PelvisResult:
    """The pelvis from an optical stream's landmark trajectories (``read`` gives the columns in
    the stream's own units; NaN = not seen). Only the pelvis channels are read."""
    res = PelvisResult(empty_pelvis_metrics())
    cols, scale, why = find_pelvis_marker_columns(labels, units)
    if cols is None:
        res.notes["pelvis"] = f"MoCap stream '{stream}': {why}"
        return res
    if not _both_sides(contacts):
        res.notes["pelvis"] = NO_CONTACTS
        return res
    t = np.asarray(t, dtype=np.float64)
    names = sorted(cols)
    xs = np.asarray(read([i for k in names for i in cols[k]]), dtype=np.float64) * scale
    traj = {k: xs[:, 3 * j:3 * j + 3] for j, k in enumerate(names)}
    frames = landmark_frame(traj)
    centre = 0.5 * (traj["L_ASIS"] + traj["R_ASIS"])
    still = _static_window(t, marker_t, marker_l)
    how = "static_start/static_end markers"
    if still is None:
        still, how = _standing_from_markers(t, centre, fs), "found in the marker data"
    a_static = None
    if still is not None:
        seg = frames[still[0]:still[1]]
        if np.all(np.isfinite(seg), axis=(1, 2)).any():
            a_static = mean_rotation(seg)
        else:
            still = None
    ang, reference = marker_angles(frames, a_static, None, _up(lab_up))
    rel = {s: (np.asarray(ic, float) - t[0], np.asarray(to, float) - t[0])
           for s, (ic, to) in contacts.items()}
    left_out = _finish(res, float(t[0]), ang.obliquity_deg, t, rel, "markers", reference, points)
    res.extras = {
        "sensor": f"{stream}:{'/'.join(sorted(cols))}", "reference": reference,
        "standing_s": ([round(float(t[i]), 3) for i in (still[0], min(still[1], t.size - 1))]
                       if still is not None else None),
        "standing_from": how if still is not None else None, "lab_up": lab_up, "left_out": left_out,
    }
    return res


def pelvis_from_imu(labels: list[str], units: list[str], t: np.ndarray, read: Columns, fs: float,
                    contacts: dict[str, tuple[np.ndarray, np.ndarray]] | None,
                    marker_t: np.ndarray, marker_l: np.ndarray, stream: str,
                    points: int = 101, fusion: str = FUSION) -> PelvisResult:
    """Everything the analysis stores about the pelvis, from one IMU stream (``read`` gives
    the pelvis sensor's columns in the stream's own units) at recorder-clock times ``t`` and
    contacts on the same clock."""
    res = PelvisResult(empty_pelvis_metrics())
    sensor, why = find_pelvis_imu(labels, units)
    if sensor is None:
        res.notes["pelvis"] = f"IMU stream '{stream}': {why}"
        return res
    if not _both_sides(contacts):
        res.notes["pelvis"] = NO_CONTACTS
        return res
    cols = list(sensor.acc_cols) + list(sensor.gyr_cols)
    tu, xu = uniform(t, np.asarray(read(cols), dtype=np.float64), fs)
    if tu.size < 10 * fs:
        res.notes["pelvis"] = f"IMU stream '{stream}': under 10 s of samples"
        return res
    acc, gyr = xu[:, :3] * sensor.acc_scale, xu[:, 3:] * sensor.gyr_scale
    still = _static_window(tu, marker_t, marker_l)
    how = "static_start/static_end markers" if still is not None else "found in the IMU data"
    rel = {s: (np.asarray(ic, float) - tu[0], np.asarray(to, float) - tu[0])
           for s, (ic, to) in contacts.items()}
    out = imu_pelvis(gyr, acc, fs, fusion, still if still is not None else "auto", rel)
    left_out = _finish(res, float(tu[0]), out.angles.obliquity_deg, tu, rel, "imu", out.reference, points)
    res.extras = {
        "sensor": f"{stream}:{sensor.location}", "fusion": fusion, "reference": out.reference,
        "standing_s": ([round(float(tu[i]), 3) for i in (out.still[0], min(out.still[1], tu.size - 1))]
                       if out.still is not None else None),
        "standing_from": how if out.still is not None else None,
        "gyro_bias_deg_s": [round(float(v), 3) for v in np.degrees(out.gyro_bias_rad_s)],
        "forward_sign_from": out.forward_sign_from, "left_out": left_out,
    }
    return res
