"""The analysis against the virtual athlete's ground truth, on a session rendered offline.

The session file is written by drivers/virtual/offline.py from the same renderers and
stream metadata as the live simulator; the truth comes from the model's realised events
(drivers/virtual/truth.py). Nothing is computed from the truth except the comparison.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitlab.analysis import analyze_session
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual import model as M
from gaitlab.drivers.virtual import truth as T
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.protocols import load_protocol


@pytest.fixture(scope="module")
def measured_and_true(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    model = M.build_session(load_profile("default"), load_protocol("demo"), seed=7,
                            run_duration_s=15.0)
    path = write_offline_session(model, tmp_path_factory.mktemp("va") / "va.h5", t0=5000.0)
    res = analyze_session(path)
    return res.metrics, T.metrics_dict(model), res.warnings, res.extras, model


def test_gait_matches_truth(measured_and_true: tuple) -> None:
    meas, true, warnings, _, _ = measured_and_true
    g, gt = meas["gait"], true["gait"]
    assert not warnings
    assert g["n_steps"] == gt["n_steps"]
    assert abs(g["cadence_spm"] - gt["cadence_spm"]) <= 1.0
    assert abs(g["step_width_cm"]["mean"] - gt["step_width_cm"]["mean"]) <= 0.5
    assert abs(g["crossover_pct"] - gt["crossover_pct"]) <= 3.0
    for s in ("L", "R"):
        assert abs(g["contact_time_ms"][s] - gt["contact_time_ms"][s]) <= 10.0


def test_every_model_contact_is_found_and_used(measured_and_true: tuple) -> None:
    """The model's contacts are the truth: all lie inside the run, so all are used."""
    meas, *_, model = measured_and_true
    acc, side = meas["gait"]["contacts"], model.contacts.side
    n_l, n_r = int((side == "L").sum()), int((side == "R").sum())
    assert acc["found"] == {"total": len(model.contacts), "L": n_l, "R": n_r, "unknown": 0}
    assert acc["used"] == {"total": len(model.contacts), "L": n_l, "R": n_r}
    assert not any(acc["left_out"].values())


def test_emg_timing_matches_truth(measured_and_true: tuple) -> None:
    meas, true, *_ = measured_and_true
    for name in ("GMED_L", "GMED_R"):
        e, et = meas["emg"][name], true["emg"][name]
        assert e["n_cycles"] >= 0.9 * et["n_cycles"]
        assert abs(e["onset_ms"]["mean"] - et["onset_ms"]["mean"]) <= 15.0


def test_strength_matches_truth(measured_and_true: tuple) -> None:
    meas, true, *_ = measured_and_true
    s, st = meas["strength"]["hip_abduction"], true["strength"]["hip_abduction"]
    for side in ("L", "R"):
        assert abs(s[side]["peak_force_N"] / st[side]["peak_force_N"] - 1) <= 0.02
    assert abs(s["lsi_pct"] - st["lsi_pct"]) <= 2.0


def test_step_flight_times_and_step_length_match_the_model(measured_and_true: tuple) -> None:
    *_, extras, model = measured_and_true
    g = extras["gait_temporal"]
    c = model.contacts
    step = c.t_ic[1:] - c.t_ic[:-1]
    flight = c.t_ic[1:] - c.t_to[:-1]
    for s in ("L", "R"):
        ends = c.side[1:] == s  # a step of side s ends at its initial contact
        assert abs(g["step_time_ms"][s] - 1000 * step[ends].mean()) <= 2.0
        assert abs(g["flight_time_ms"][s] - 1000 * flight[ends].mean()) <= 10.0
        assert g["step_length_m"][s] == pytest.approx(model.belt_speed_mps * step[ends].mean(),
                                                      abs=0.01)


def test_offline_file_carries_the_live_stream_metadata(tmp_path: Path) -> None:
    from gaitlab.drivers.virtual.outlets import stream_info
    from gaitlab.io.session import open_session

    model = M.build_session(load_profile("healthy"), load_protocol("run"), seed=2,
                            run_duration_s=2.0)
    path = write_offline_session(model, tmp_path / "s.h5", t0=10.0)
    with open_session(path) as s:
        roles = sorted(st.role for st in s.streams.values())
        assert roles == ["dynamometer", "emg", "imu", "markers", "pressure"]
        for dev, role in (("emg", "emg"), ("pressure", "pressure")):
            (st,) = s.by_role(role)
            live = stream_info(model, dev, "offline")
            assert st.spec.name == live.name() and st.spec.channel_count == live.channel_count()
            assert st.times()[0] == 10.0
        assert s.athlete["id"] == model.profile.athlete.id
