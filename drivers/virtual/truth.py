"""Ground truth of a simulated session, as JSON (schema ``gaitlab.truth/1``).

The ``metrics`` object has exactly the layout of the metrics contract
``gaitlab.metrics/2`` and is computed from the realised model events (what was
rendered), never from the profile's nominal parameters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.drivers.virtual.model import SIDES, SessionModel

TRUTH_SCHEMA = "gaitlab.truth/1"
METRICS_SCHEMA = "gaitlab.metrics/2"


def _f(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _mean_sd(x: np.ndarray) -> dict[str, float | None]:
    x = np.asarray(x, dtype=float)
    return {
        "mean": _f(x.mean()) if x.size else None,
        "sd": _f(x.std(ddof=1)) if x.size > 1 else None,
    }


def gait_metrics(model: SessionModel) -> dict[str, Any]:
    c = model.contacts
    n = len(c)
    widths = np.empty(0)
    if n >= 2:
        # signed width of each consecutive pair: x(R) - x(L)
        sign_second = np.where(c.side[1:] == "R", 1.0, -1.0)
        widths = (c.x[1:] - c.x[:-1]) * sign_second * 100
    leg_cm = model.profile.athlete.leg_length_m * 100
    span = c.t_ic[-1] - c.t_ic[0] if n >= 2 else 0.0
    tc = {s: (c.t_to - c.t_ic)[c.side == s] * 1000 for s in SIDES}
    return {
        "source": "pressure",
        "n_steps": n,
        "cadence_spm": _f(60 * (n - 1) / span) if span > 0 else None,
        "step_width_cm": _mean_sd(widths),
        "crossover_pct": _f(100 * np.mean(widths <= 0)) if widths.size else None,
        "step_width_index_pct": _f(widths.mean() / leg_cm * 100) if widths.size else None,
        "contact_time_ms": {s: _f(tc[s].mean()) if tc[s].size else None for s in SIDES},
        # the model places every footprint at the same toe-out angle on both sides
        "foot_progression_deg": {s: _f(np.degrees(model.progression_rad)) for s in SIDES},
    }


def emg_metrics(model: SessionModel) -> dict[str, Any]:
    c = model.contacts
    out: dict[str, Any] = {}
    for name, b in model.bursts.items():
        ic = c.t_ic[b.contact]
        out[name] = {
            "onset_ms": _mean_sd((b.onset - ic) * 1000),
            "offset_ms": _mean_sd((b.offset - ic) * 1000),
            "n_cycles": int(b.onset.size),
            "peak_pct_mvc": _f(b.amplitude.mean() * 100) if b.amplitude.size else None,
        }
    return out


def strength_metrics(model: SessionModel) -> dict[str, Any]:
    a = model.profile.athlete
    tr = model.trials
    sides: dict[str, Any] = {}
    for s in SIDES:
        p = tr.peak_N[tr.side == s]
        if p.size == 0:
            sides[s] = None
            continue
        sides[s] = {
            "peak_force_N": _f(p.max()),
            "trials_N": [float(v) for v in p],
            "torque_Nm_per_kg": _f(p.max() * a.lever_arm_m / a.body_mass_kg),
            "cv_pct": _f(p.std(ddof=1) / p.mean() * 100) if p.size > 1 else None,
        }
    lsi = None
    if sides["L"] and sides["R"]:
        pk = {s: sides[s]["peak_force_N"] for s in SIDES}
        if a.involved_side in SIDES:
            other = "R" if a.involved_side == "L" else "L"
            lsi = pk[a.involved_side] / pk[other] * 100
        else:
            lsi = min(pk.values()) / max(pk.values()) * 100
    return {model.test: {"L": sides["L"], "R": sides["R"], "lsi_pct": _f(lsi) if lsi else None}}


def pelvis_metrics(model: SessionModel) -> dict[str, Any]:
    """The pelvis block: the realised drop of every stance (the bump of
    :func:`gaitlab.drivers.virtual.pelvis.drop_shape` is level at initial contact, so the
    excursion equals the peak; each gait cycle spans one stance of each side, so its obliquity
    range is the sum of their drops)."""
    from gaitlab.drivers.virtual.pelvis import drop_shape

    c = model.contacts
    d = c.pelvic_drop_deg
    mid = float(drop_shape(model, np.array([0.5]))[0])
    by = {s: d[c.side == s] for s in SIDES}
    return {
        "source": "imu",
        "n_cycles": {s: int(by[s].size) for s in SIDES},
        "drop_deg": {s: _mean_sd(by[s]) for s in SIDES},
        "drop_at_midstance_deg": {s: _mean_sd(by[s] * mid) for s in SIDES},
        "excursion_deg": {s: _mean_sd(by[s]) for s in SIDES},
        "obliquity_range_deg": _f((d[:-2] + d[1:-1]).mean()) if d.size > 2 else None,
    }


def metrics_dict(model: SessionModel) -> dict[str, Any]:
    """The true metrics, in the layout of the metrics contract gaitlab.metrics/2."""
    return {
        "schema": METRICS_SCHEMA,
        "gait": gait_metrics(model),
        "emg": emg_metrics(model),
        "strength": strength_metrics(model),
        "pelvis": pelvis_metrics(model),
    }


def truth_dict(model: SessionModel, t0_lsl: float = 0.0) -> dict[str, Any]:
    """Events (in LSL seconds: t0_lsl + model time) and true metrics of a session."""
    c, tr = model.contacts, model.trials
    return {
        "schema": TRUTH_SCHEMA,
        "t0_lsl": float(t0_lsl),
        "duration_s": float(model.duration_s),
        "seed": int(model.seed),
        "athlete_id": model.profile.athlete.id,
        "protocol": model.protocol.name,
        "belt_speed_mps": float(model.belt_speed_mps),
        "foot_progression_deg": float(np.degrees(model.progression_rad)),
        "metrics": metrics_dict(model),
        "contacts": [
            {"side": str(c.side[i]), "ic": float(t0_lsl + c.t_ic[i]),
             "to": float(t0_lsl + c.t_to[i]), "x": float(c.x[i]), "y_ic": float(c.y_ic[i]),
             "peak_force_N": float(c.peak_force_N[i])}
            for i in range(len(c))
        ],
        "bursts": {
            name: [
                {"contact": int(b.contact[k]), "onset": float(t0_lsl + b.onset[k]),
                 "offset": float(t0_lsl + b.offset[k]), "amplitude": float(b.amplitude[k])}
                for k in range(b.onset.size)
            ]
            for name, b in model.bursts.items()
        },
        "trials": [
            {"test": model.test, "side": str(tr.side[i]), "rise": float(t0_lsl + tr.t_rise[i]),
             "hold": float(t0_lsl + tr.t_hold[i]), "release": float(t0_lsl + tr.t_release[i]),
             "end": float(t0_lsl + tr.t_end[i]), "peak_N": float(tr.peak_N[i])}
            for i in range(len(tr))
        ],
        "markers": [{"t": float(t0_lsl + t), "text": text} for t, text in model.markers],
        "pelvis": {
            "sensor": "SACRUM", "misalignment_deg": float(model.profile.pelvis.misalignment_deg),
            "misalignment_axis": [float(v) for v in model.profile.pelvis.misalignment_axis],
            "stand_still": ([float(t0_lsl + v) for v in model.stand_still]
                            if model.stand_still is not None else None),
            "drop_deg": [float(v) for v in c.pelvic_drop_deg],  # per contact, as "contacts"
        },
    }


def write_truth(model: SessionModel, path: str | Path, t0_lsl: float = 0.0) -> None:
    Path(path).write_text(json.dumps(truth_dict(model, t0_lsl), indent=1), encoding="utf-8")
