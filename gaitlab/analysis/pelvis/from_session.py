"""The ``pelvis`` block of the metrics contract from a session: the sacral IMU's stream and
the session's foot contacts (issue #12).

Only the IMU source is read from sessions so far; pelvis markers (a MoCap stream with
PositionX/Y/Z channels) give ``source: null`` with a note until their session path exists.
The standing period: between ``static_start`` and ``static_end`` markers when the session has
them, else found in the IMU data; with none the drop is relative to the run's mean posture
and ``extras.pelvis.reference`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gaitlab.analysis.cycles import Ensemble
from gaitlab.analysis.pelvis.imu import imu_pelvis
from gaitlab.analysis.pelvis.sensor import find_pelvis_imu, uniform
from gaitlab.analysis.pelvis.stance import SIDES, empty_pelvis_metrics, pelvis_metrics

FUSION = "vqf"


@dataclass
class PelvisResult:
    metrics: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    ensembles: dict[str, Ensemble] = field(default_factory=dict)
    cycles: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # side -> ic_s, curves_deg


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


def pelvis_from_imu(labels: list[str], units: list[str], t: np.ndarray, x: np.ndarray, fs: float,
                    contacts: dict[str, tuple[np.ndarray, np.ndarray]] | None,
                    marker_t: np.ndarray, marker_l: np.ndarray, stream: str,
                    points: int = 101) -> PelvisResult:
    """Everything the analysis stores about the pelvis, from one IMU stream's samples ``x``
    (n, channels, raw units) at recorder-clock times ``t`` and contacts on the same clock."""
    res = PelvisResult(empty_pelvis_metrics())
    sensor, why = find_pelvis_imu(labels, units)
    if sensor is None:
        res.notes["pelvis"] = f"IMU stream '{stream}': {why}"
        return res
    if contacts is None or not all(len(contacts[s][0]) for s in SIDES):
        res.notes["pelvis"] = ("no foot contacts of both sides (pressure, force or IC/TO events) "
                               "to find the stances")
        return res
    cols = list(sensor.acc_cols) + list(sensor.gyr_cols)
    tu, xu = uniform(t, x[:, cols], fs)
    if tu.size < 10 * fs:
        res.notes["pelvis"] = f"IMU stream '{stream}': under 10 s of samples"
        return res
    acc, gyr = xu[:, :3] * sensor.acc_scale, xu[:, 3:] * sensor.gyr_scale
    still = _static_window(tu, marker_t, marker_l)
    how = "static_start/static_end markers" if still is not None else "found in the IMU data"
    rel = {s: (np.asarray(ic, float) - tu[0], np.asarray(to, float) - tu[0])
           for s, (ic, to) in contacts.items()}
    out = imu_pelvis(gyr, acc, fs, FUSION, still if still is not None else "auto", rel)
    m, per = pelvis_metrics(tu - tu[0], out.angles.obliquity_deg, rel, "imu", points)
    res.metrics = m
    res.extras = {
        "sensor": f"{stream}:{sensor.location}", "fusion": FUSION, "reference": out.reference,
        "standing_s": ([round(float(tu[i]), 3) for i in (out.still[0], min(out.still[1], tu.size - 1))]
                       if out.still is not None else None),
        "standing_from": how if out.still is not None else None,
        "gyro_bias_deg_s": [round(float(v), 3) for v in np.degrees(out.gyro_bias_rad_s)],
        "forward_sign_from": out.forward_sign_from,
        "left_out": {s: per[s].left_out for s in SIDES},
    }
    if out.reference == "run_mean":
        res.notes["pelvis.reference"] = ("no standing period (static_start/static_end markers or 2 s of "
                                         "standing before the run): drop relative to the run's mean posture")
    for s in SIDES:
        c = per[s].curves_deg
        if c.shape[0]:
            sd = c.std(axis=0, ddof=1) if c.shape[0] > 1 else np.full(points, np.nan)
            res.ensembles[f"PELVIS_DROP_{s}"] = Ensemble(c.mean(axis=0), sd, int(c.shape[0]), "deg")
        res.cycles[s] = {"ic_s": per[s].cycle_ic_s + tu[0], "curves_deg": c}
    if min(m["n_cycles"].values()) == 0:
        res.notes["pelvis.n_cycles"] = f"stances left out: {res.extras['left_out']}"
    return res
