"""The virtual athlete's sacral IMU (issue #12): what it renders, and that the analysis of a
whole virtual session recovers the pelvic drop that the model put in."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gaitlab.analysis.pelvis.imu import find_still
from gaitlab.analysis.pipeline import analyze_session
from gaitlab.athlete import PelvisModel, load_profile, parse_profile
from gaitlab.drivers.virtual import pelvis
from gaitlab.drivers.virtual.model import G, build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.drivers.virtual.truth import metrics_dict
from gaitlab.errors import ProfileError
from gaitlab.protocols import load_protocol


@pytest.fixture(scope="module")
def model():
    proto = load_protocol("assessment")
    assert proto.run is not None
    proto = replace(proto, run=replace(proto.run, stand_still_s=5.0))  # the guided stand-still
    return build_session(load_profile("default"), proto, seed=7, run_duration_s=30)


def _imu(model):
    fs = model.profile.devices.imu_rate_hz
    x = pelvis.render_imu(model, 0, int(model.duration_s * fs))
    return np.radians(x[:, 3:].astype(float)), x[:, :3].astype(float) * G, fs


def test_imu_samples_do_not_depend_on_chunking(model) -> None:
    whole = pelvis.render_imu(model, 0, 3000)
    parts = np.concatenate([pelvis.render_imu(model, a, min(a + 333, 3000)) for a in range(0, 3000, 333)])
    assert whole.dtype == np.float32 and whole.shape == (3000, 6)
    np.testing.assert_array_equal(whole, parts)


def test_imu_reads_gravity_at_rest_and_running_accelerations(model) -> None:
    gyr, acc, fs = _imu(model)
    a, b = (round(v * fs) for v in model.stand_still)
    mag = np.linalg.norm(acc[a:b], axis=1)
    assert np.mean(mag) == pytest.approx(G, abs=0.15)  # 1 g plus the accelerometer's bias
    assert np.degrees(np.abs(gyr[a:b]).max()) < 3  # bias and noise only
    run = slice(round((model.run_start + 2) * fs), None)
    vert = np.linalg.norm(acc[run], axis=1)
    assert vert.max() > 2 * G and vert.min() < 0.3 * G  # stance pushes, flight is free fall
    assert np.mean(vert) == pytest.approx(G, rel=0.1)


def test_drop_follows_the_abductors_unless_given() -> None:
    base = load_profile("default")
    weak_l = replace(base, strength=replace(base.strength, hip_abduction_N={"L": 120.0, "R": 200.0}))
    pm = weak_l.pelvis
    assert pm.drop_for("L", weak_l.athlete, weak_l.strength) > pm.drop_for("R", weak_l.athlete,
                                                                             weak_l.strength)
    fixed = PelvisModel(drop_deg={"L": 3.0, "R": 9.0})
    assert fixed.drop_for("R", weak_l.athlete, weak_l.strength) == 9.0
    with pytest.raises(ProfileError, match="pelvis"):
        parse_profile('[athlete]\nid = "x"\n[pelvis]\ndrop_deg = {L = 40.0}\n')
    with pytest.raises(ProfileError, match="pelvis"):
        parse_profile('[athlete]\nid = "x"\n[pelvis]\nmisalignment_axis = [0, 0, 0]\n')


def test_still_period_is_the_standing_before_the_run_not_the_plinth(model) -> None:
    gyr, acc, fs = _imu(model)
    still = find_still(gyr, acc, fs)
    assert still is not None
    a, b = model.stand_still
    # the athlete lies still on the plinth for minutes, but the reference is the standing
    assert still[0] / fs > model.strength_end and abs(still[1] / fs - b) < 0.5
    assert (still[1] - still[0]) / fs > 0.8 * (b - a)


@pytest.mark.parametrize("static_markers", [True, False])
def test_session_analysis_recovers_the_true_drop(model, tmp_path, static_markers) -> None:
    m = model if static_markers else replace(
        model, markers=[mk for mk in model.markers if not mk[1].startswith("static")])
    path = write_offline_session(m, tmp_path / "v.h5")
    res = analyze_session(path)
    got, true = res.metrics["pelvis"], metrics_dict(m)["pelvis"]
    assert got["source"] == "imu" and res.extras["pelvis"]["reference"] == "static"
    for side in ("L", "R"):
        assert got["n_cycles"][side] >= true["n_cycles"][side] - 2
        assert got["drop_deg"][side]["mean"] == pytest.approx(true["drop_deg"][side]["mean"], abs=0.5)
        assert got["drop_at_midstance_deg"][side]["mean"] == pytest.approx(
            true["drop_at_midstance_deg"][side]["mean"], abs=0.5)
    assert got["obliquity_range_deg"] == pytest.approx(true["obliquity_range_deg"], abs=1.0)
    # the demo athlete's weaker side drops the pelvis more (profile: strength L < R or R < L)
    s = m.profile.strength.hip_abduction_N
    weak = min(s, key=s.get)
    strong = "R" if weak == "L" else "L"
    if s[weak] < 0.95 * s[strong]:
        assert got["drop_deg"][weak]["mean"] > got["drop_deg"][strong]["mean"]
