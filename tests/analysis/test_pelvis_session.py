"""The ``pelvis`` block of ``gaitlab.metrics/2`` from a session file (issue #12): a sacral IMU
stream (Trigno-style MoCap channels in g and deg/s, beside a thigh sensor) or an optical
MoCap stream (LASI/RASI/LPSI/RPSI PositionX/Y/Z in mm, Z-up lab), with foot-switch IC/TO
events, analysed and stored; the per-cycle curves read back with plain h5py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import h5py
import numpy as np
import pytest
from analysis_files import StreamArrays, write_session
from pelvis_synth import pelvis_markers, running_pelvis, sacral_imu

from gaitlab.analysis import analyze_session, store
from gaitlab.analysis.pelvis import pelvis_metrics
from gaitlab.analysis.pelvis.synth import ImuNoise

T0 = 100.0  # recorder clock of the first sample


def _events(run, t0: float = T0, extra: list[tuple[float, str]] | None = None) -> StreamArrays:
    ev = [(t0 + a, f"IC {s}") for s in "LR" for a in run.contacts[s][0]]
    ev += [(t0 + b, f"TO {s}") for s in "LR" for b in run.contacts[s][1]]
    ev += extra or []
    ev.sort()
    return StreamArrays("foot_switch", "Markers", ["m"], [""], 0.0, np.array([e[0] for e in ev]),
                        np.array([e[1] for e in ev]), fmt="string")


def _imu(run, location: str = "SACRUM", seed: int = 0) -> StreamArrays:
    gyr, acc = sacral_imu(run, 12.0, (1.0, 2.0, -1.0), ImuNoise(), seed)
    thigh_g, thigh_a = sacral_imu(run, 40.0, (0.0, 1.0, 0.0), ImuNoise(), seed + 1)
    labels, units, cols = [], [], []
    for loc, a, g in (("GMED_L", thigh_a, thigh_g), (location, acc, gyr)):
        for kind, unit, x in (("Acceleration", "g", a / 9.80665),
                              ("AngularVelocity", "deg/s", np.degrees(g))):
            for j, axis in enumerate("XYZ"):
                labels.append(f"{loc}_{kind}{axis}")
                units.append(unit)
                cols.append(x[:, j])
    return StreamArrays("Trigno AUX", "MoCap", labels, units, run.fs, T0 + run.t, np.column_stack(cols))


@pytest.fixture(scope="module")
def run():
    return running_pelvis((7.0, 3.0))


def test_sacral_imu_session_gives_the_pelvis_block(run, tmp_path: Path) -> None:
    path = write_session(tmp_path / "imu.h5", [_imu(run), _events(run)])
    res = analyze_session(path)
    pv = res.metrics["pelvis"]
    assert res.metrics["schema"] == "gaitlab.metrics/2"
    assert pv["source"] == "imu", res.notes
    truth, _ = pelvis_metrics(run.t, run.obliquity_deg, run.contacts, "truth")
    for s in "LR":
        assert pv["drop_deg"][s]["mean"] == pytest.approx(truth["drop_deg"][s]["mean"], abs=0.5)
        assert pv["n_cycles"][s] >= truth["n_cycles"][s] - 2  # first/last contacts outside a bout
    assert pv["drop_deg"]["L"]["mean"] > pv["drop_deg"]["R"]["mean"]
    x = res.extras["pelvis"]
    assert x["sensor"] == "Trigno AUX:SACRUM" and x["reference"] == "static"
    assert x["standing_from"] == "found in the IMU data"
    assert T0 <= x["standing_s"][0] and x["standing_s"][1] <= T0 + run.stand_s + 0.3
    store(path, res)
    assert res.stored, res.store_error
    with h5py.File(path, "r") as f:
        c = f["analysis/pelvis_cycles/L/curves_deg"][()]
        ic = f["analysis/pelvis_cycles/L/ic_s"][()]
        assert c.shape == (ic.size, 101) and ic.size >= 10
        assert np.all(ic > T0)
        assert "ensemble" not in f["analysis"]  # not an EMG ensemble
        # side L's mean curve peaks near the drop of L, early in the cycle (stance)
        assert np.argmax(c.mean(axis=0)) < 40
        assert c.mean(axis=0).max() == pytest.approx(truth["drop_deg"]["L"]["mean"], abs=0.5)


def test_static_markers_give_the_standing_period(run, tmp_path: Path) -> None:
    ev = _events(run, extra=[(T0 + 1.0, "static_start"), (T0 + 4.0, "static_end")])
    res = analyze_session(write_session(tmp_path / "static.h5", [_imu(run, "S1"), ev]))
    x = res.extras["pelvis"]
    assert x["standing_from"] == "static_start/static_end markers"
    assert x["standing_s"] == pytest.approx([T0 + 1.0, T0 + 4.0], abs=0.02)


def test_no_pelvis_sensor_leaves_the_block_null_with_a_reason(run, tmp_path: Path) -> None:
    res = analyze_session(write_session(tmp_path / "none.h5", [_events(run)]))
    assert res.metrics["pelvis"]["source"] is None
    assert res.metrics["pelvis"]["drop_deg"]["L"] == {"mean": None, "sd": None}
    assert "no MoCap/IMU stream" in res.notes["pelvis"]
    res = analyze_session(write_session(tmp_path / "thigh.h5", [_imu(run, "R_THIGH"), _events(run)]))
    assert res.metrics["pelvis"]["source"] is None
    assert "no sensor on the pelvis" in res.notes["pelvis"] and "R_THIGH" in res.notes["pelvis"]
    # the rest of the contract is untouched
    assert res.metrics["gait"]["source"] == "events"


def _mocap(run) -> StreamArrays:
    mk = pelvis_markers(run)
    labels, cols = [], []
    for name in ("LASI", "RASI", "LPSI", "RPSI"):
        for j, axis in enumerate("XYZ"):
            labels.append(f"{name}_Position{axis}")
            cols.append(mk[name][:, j] * 1000.0)
    x = np.column_stack(cols)
    x[1000:1004, 3:6] = np.nan  # RASI unseen for 4 frames
    return StreamArrays("Qualisys", "MoCap", labels, ["mm"] * len(labels), run.fs, T0 + run.t, x)


def test_pelvis_markers_session_gives_the_pelvis_block(run, tmp_path: Path) -> None:
    path = write_session(tmp_path / "mocap.h5", [_mocap(run), _imu(run), _events(run)])
    res = analyze_session(path)
    pv = res.metrics["pelvis"]
    assert pv["source"] == "markers", res.notes  # markers win over the IMU
    truth, _ = pelvis_metrics(run.t, run.obliquity_deg, run.contacts, "truth")
    for s in "LR":
        assert pv["drop_deg"][s]["mean"] == pytest.approx(truth["drop_deg"][s]["mean"], abs=0.1)
        assert pv["excursion_deg"][s]["mean"] == pytest.approx(truth["excursion_deg"][s]["mean"], abs=0.1)
    x = res.extras["pelvis"]
    assert x["reference"] == "static" and x["standing_from"] == "found in the marker data"
    assert x["standing_s"][1] <= T0 + run.stand_s + 0.3
    assert sum(x["left_out"]["R"].values()) >= 1  # the stance with the RASI gap
    # a lab whose vertical is not what the parameter says: a note, not a failed analysis
    bad = analyze_session(path, {"pelvis": {"lab_up": "w"}})
    assert bad.metrics["pelvis"]["source"] == "imu"  # the IMU still gives it
    assert bad.metrics["gait"]["source"] == "events"
    # a device picked by hand for the role is honoured
    only_imu = analyze_session(path, {"devices": {"imu": "Trigno AUX"}})
    assert only_imu.metrics["pelvis"]["source"] == "imu"


def test_wrong_lab_vertical_is_a_note(run, tmp_path: Path) -> None:
    res = analyze_session(write_session(tmp_path / "m.h5", [_mocap(run), _events(run)]),
                          {"pelvis": {"lab_up": "w"}})
    assert res.metrics["pelvis"]["source"] is None
    assert "lab_up" in res.notes["pelvis"]


def test_two_streams_with_a_pelvis_are_never_chosen_between(run, tmp_path: Path) -> None:
    """A second lab's mocap (or a copy of the stream) carries a pelvis too: no guess, a note
    naming both and how to pick; the pick is then honoured."""
    other = dataclasses.replace(_mocap(run), name="Qualisys lab 2")
    path = write_session(tmp_path / "two.h5", [_mocap(run), other, _events(run)])
    res = analyze_session(path)
    assert res.metrics["pelvis"]["source"] is None
    note = res.notes["pelvis"]
    assert "2 streams carry a pelvis (markers)" in note and "Qualisys lab 2" in note, note
    assert "gaitlab analyze --device imu=" in note
    assert res.metrics["gait"]["source"] == "events"  # the rest of the analysis goes on
    picked = analyze_session(path, {"devices": {"imu": "Qualisys lab 2"}})
    assert picked.metrics["pelvis"]["source"] == "markers"
