"""The live pelvis tracker (issue #12) against the offline analysis of the same samples, and
against the virtual athlete's truth."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest
from live_data import T0

from gaitlab.analysis.online.gait import LivePressureGait
from gaitlab.analysis.online.pelvis import LivePelvis, LivePelvisParams
from gaitlab.analysis.online.replay import PelvisReplay, replay_pelvis
from gaitlab.analysis.params import PressureParams
from gaitlab.analysis.pelvis.imu import imu_pelvis
from gaitlab.analysis.pelvis.stance import side_drop
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual import model as M
from gaitlab.drivers.virtual import pelvis, render
from gaitlab.errors import GaitlabError
from gaitlab.protocols import load_protocol


@dataclass
class Session:
    model: M.SessionModel
    frames: np.ndarray
    frame_t: np.ndarray
    gyr: np.ndarray  # rad/s
    acc: np.ndarray  # m/s²
    imu_t: np.ndarray
    fs: float


@pytest.fixture(scope="module")
def sess() -> Session:
    proto = load_protocol("run")
    assert proto.run is not None
    proto = replace(proto, run=replace(proto.run, stand_still_s=5.0))
    model = M.build_session(load_profile("default"), proto, seed=3, run_duration_s=30)
    d = model.profile.devices
    n_p = render.n_samples(model.duration_s, d.pressure_rate_hz)
    n_i = render.n_samples(model.duration_s, d.imu_rate_hz)
    x = pelvis.render_imu(model, 0, n_i).astype(np.float64)
    return Session(model, render.render_pressure(model, 0, n_p), T0 + np.arange(n_p) / d.pressure_rate_hz,
                   np.radians(x[:, 3:]), x[:, :3] * M.G, T0 + np.arange(n_i) / d.imu_rate_hz,
                   d.imu_rate_hz)


def _gait(s: Session) -> LivePressureGait:
    d = s.model.profile.devices
    return LivePressureGait(d.pressure_rows, d.pressure_cols, d.pressure_row_pitch_mm / 1000,
                            d.pressure_col_pitch_mm / 1000,
                            pressure=PressureParams(belt_speed_mps=s.model.belt_speed_mps))


def _run(s: Session, seed: int, gyr: np.ndarray | None = None, static: bool = False
         ) -> tuple[LivePelvis, PelvisReplay]:
    tr = LivePelvis(s.fs)
    if static:
        assert s.model.stand_still is not None
        tr.mark_static(*(T0 + np.asarray(s.model.stand_still)))
    rep = replay_pelvis(_gait(s), s.frames, s.frame_t, tr, s.gyr if gyr is None else gyr, s.acc,
                        s.imu_t, seed=seed)
    return tr, rep


def _by_side(rep: PelvisReplay) -> dict[str, list]:
    return {side: sorted((r for r in rep.results if r.side == side), key=lambda r: r.ic)
            for side in ("L", "R")}


@pytest.mark.parametrize("static", [False, True])
def test_live_drops_equal_offline_with_the_same_calibration(sess: Session, static: bool) -> None:
    tr, rep = _run(sess, seed=4 + static, static=static)
    cal = tr.calibration
    assert cal is not None and cal.reference == "static"
    assert cal.standing_from == ("static_start/static_end markers" if static else "found in the IMU data")
    # the offline analysis of the same samples: the same first sample, standing period and
    # forward direction, VQF's causal filter
    i0 = int(np.searchsorted(sess.imu_t, cal.first_sample_t))
    t = sess.imu_t[i0:]
    assert cal.standing_samples is not None and cal.standing_s is not None
    a, b = cal.standing_samples
    assert (t[a], t[b - 1]) == cal.standing_s
    off = imu_pelvis(sess.gyr[i0:], sess.acc[i0:], sess.fs, "vqf-online", still=(a, b),
                     forward_sensor=cal.axes_sensor[:, 0])
    np.testing.assert_allclose(off.gyro_bias_rad_s, cal.gyro_bias_rad_s, atol=1e-12)
    obl = off.angles.obliquity_deg
    live = _by_side(rep)
    assert min(len(v) for v in live.values()) > 20
    for side, res in live.items():
        ic = np.array([r.ic for r in res])
        to = np.array([r.to for r in res])
        ok = np.array([np.isfinite(r.drop_deg) for r in res])
        assert ok.sum() >= len(res) - 1, [r.reason for r in res if not np.isfinite(r.drop_deg)]
        ref = side_drop(t, obl, ic[ok], to[ok], side, points=2)
        assert ref.drop_deg.size == ok.sum()
        for name in ("drop_deg", "drop_at_midstance_deg", "excursion_deg"):
            got = np.array([getattr(r, name) for r in res])[ok]
            np.testing.assert_allclose(got, getattr(ref, name), atol=1e-6, err_msg=f"{side} {name}")


def test_live_drops_recover_the_true_drop(sess: Session) -> None:
    _, rep = _run(sess, seed=8)
    c = sess.model.contacts
    for s, res in _by_side(rep).items():
        live = np.array([r.drop_deg for r in res if np.isfinite(r.drop_deg)])
        true = c.pelvic_drop_deg[c.side == s]
        # the validation tolerance of the virtual session (gaitlab.drivers.virtual.validate)
        assert np.mean(live) == pytest.approx(np.mean(true), abs=0.5), s


def test_each_stance_is_reported_within_one_step(sess: Session) -> None:
    tr, rep = _run(sess, seed=12)
    cal = tr.calibration
    assert cal is not None
    after = [r for r in rep.results if r.ic > cal.at]
    assert len(after) > 40
    step = np.median(np.diff(sorted(r.ic for r in rep.results)))
    late = [r.emitted_at - r.to for r in after]
    # a stance's value comes once its toe-off has been seen by both the pressure plate and
    # the IMU: well inside the next step (the swing foot's stance)
    assert max(late) < step, max(late)
    # before the calibration, nothing; at it, every learning stance at once
    assert all(r.emitted_at >= cal.at for r in rep.results)


def test_without_standing_the_drop_is_relative_to_the_run_and_says_so(sess: Session) -> None:
    # the athlete never stands still: the buffer starts with the run
    run0 = int(np.searchsorted(sess.imu_t, T0 + sess.model.run_start + 1.0))
    cut = Session(sess.model, sess.frames, sess.frame_t, sess.gyr[run0:], sess.acc[run0:],
                  sess.imu_t[run0:], sess.fs)
    tr, rep = _run(cut, seed=2)
    assert tr.calibration is not None and tr.calibration.reference == "run_mean"
    assert tr.calibration.standing_s is None
    assert "run's mean" in tr.status
    assert any(np.isfinite(r.drop_deg) for r in rep.results)


def test_missing_imu_samples_leave_stances_out_with_the_reason(sess: Session) -> None:
    tr = LivePelvis(sess.fs)
    gap = (sess.imu_t > T0 + sess.model.run_start + 20) & (sess.imu_t < T0 + sess.model.run_start + 21)
    keep = ~gap
    g = Session(sess.model, sess.frames, sess.frame_t, sess.gyr[keep], sess.acc[keep], sess.imu_t[keep],
                sess.fs)
    rep = replay_pelvis(_gait(g), g.frames, g.frame_t, tr, g.gyr, g.acc, g.imu_t, seed=1)
    out = [r for r in rep.results if not np.isfinite(r.drop_deg)]
    assert len(out) >= 2
    assert {r.reason for r in out} <= {"stance: missing samples", "stance: outside the data"}
    assert all(np.isfinite(r.drop_deg) for r in rep.results
               if r.ic > T0 + sess.model.run_start + 22)


def test_bad_input_is_a_one_line_error_or_ignored(sess: Session) -> None:
    with pytest.raises(GaitlabError, match="rate"):
        LivePelvis(float("nan"))
    tr = LivePelvis(sess.fs, LivePelvisParams(learn_stances=2))
    with pytest.raises(GaitlabError, match="stamp"):
        tr.feed(np.zeros((3, 3)), np.zeros((3, 3)), np.arange(2.0))
    # NaN samples and stamps that go back are dropped, never a crash
    assert tr.feed(np.full((4, 3), np.nan), np.zeros((4, 3)), np.arange(4.0)) == []
    assert tr.feed(np.zeros((4, 3)), np.zeros((4, 3)), np.arange(4.0)) == []
    assert tr.feed(np.zeros((4, 3)), np.zeros((4, 3)), np.arange(4.0)) == []
    assert tr.add_stance(0, "?", 1.0, 1.2) == []
    assert tr.obliquity()[0].size == 0 and "learning" in tr.status
