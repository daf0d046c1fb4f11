"""Pelvic obliquity and drop (issue #12) on synthetic pelves with known angles.

Markers: exact recovery of a known obliquity in a Z-up lab with Vicon labels; the
rotation–obliquity–tilt decomposition against scipy's Euler angles; the tilt-first order
would invent obliquity (Baker 2001). IMU: a virtual sacral IMU (tests/analysis/pelvis_synth.py)
with noise, gyro bias and a misaligned (up to 15°, or upside-down) mounting gives the mean
peak drop within 0.5° over a grid of drops 0–10°. Metrics: the sign convention per side,
the exact values of a known trace, and every left-out stance counted with its reason.
"""

from __future__ import annotations

import numpy as np
import pytest
from pelvis_synth import pelvis_markers, running_pelvis, sacral_imu
from scipy.spatial.transform import Rotation

from gaitlab.analysis.pelvis import (
    canonical_label,
    cardan_rot_obl_tilt,
    drop_signal,
    find_pelvis_markers,
    find_still,
    imu_pelvis,
    landmark_frame,
    marker_angles,
    pelvis_metrics,
)
from gaitlab.analysis.pelvis.synth import NO_NOISE, ImuNoise, virtual_imu


@pytest.fixture(scope="module")
def run():
    return running_pelvis((6.0, 3.0))


@pytest.mark.parametrize(("label", "canon"), [
    ("L_ASIS", "L_ASIS"), ("LASI", "L_ASIS"), ("L.ASIS", "L_ASIS"), ("Subject01:RASI", "R_ASIS"),
    ("LeftASIS", "L_ASIS"), ("asis_r", "R_ASIS"), ("R.PSIS", "R_PSIS"), ("LPSI", "L_PSIS"),
    ("SACR", "SACRUM"), ("R.Iliac.Crest", None), ("LASY", None), ("pelvis_1", None)])
def test_common_marker_spellings(label: str, canon: str | None) -> None:
    assert canonical_label(label) == canon


def test_markers_recover_a_known_obliquity_in_a_z_up_lab(run) -> None:
    mk = pelvis_markers(run)  # LASI/RASI/LPSI/RPSI, lab Z up, progression -Y
    idx = find_pelvis_markers(list(mk))
    assert set(idx) == {"L_ASIS", "R_ASIS", "L_PSIS", "R_PSIS"}
    frames = landmark_frame({k: mk[list(mk)[i]] for k, i in idx.items()})
    ang, how = marker_angles(frames, frames[0], run.forward, run.up)
    assert how == "static"
    np.testing.assert_allclose(ang.obliquity_deg, run.obliquity_deg, atol=1e-9)
    # forward estimated from the pelvis itself (treadmill): within a few hundredths of a degree
    est, _ = marker_angles(frames, frames[0], None, run.up)
    assert np.max(np.abs(est.obliquity_deg - run.obliquity_deg)) < 0.1
    # without a standing posture: relative to the run's mean orientation, and labelled so
    mean_ref, how = marker_angles(frames, None, run.forward, run.up)
    assert how == "run_mean"
    assert abs(np.mean(mean_ref.obliquity_deg)) < 0.5


def test_cardan_order_matches_scipy_intrinsic_yxz() -> None:
    r = Rotation.random(500, random_state=1)
    eul = r.as_euler("YXZ", degrees=True)
    ok = np.abs(eul[:, 1]) < 80  # away from gimbal lock
    ang = cardan_rot_obl_tilt(r.as_matrix()[ok])
    np.testing.assert_allclose(ang.rotation_deg, eul[ok, 0], atol=1e-9)
    np.testing.assert_allclose(ang.obliquity_deg, eul[ok, 1], atol=1e-9)
    np.testing.assert_allclose(ang.tilt_deg, -eul[ok, 2], atol=1e-9)  # + = anterior tilt


def test_tilt_first_order_would_invent_obliquity() -> None:
    """Baker 2001: 30° of rotation with 15° of anterior tilt and no obliquity reads as several
    degrees of obliquity when decomposed tilt first; rotation first reads 0."""
    p = Rotation.from_euler("YXZ", [30.0, 0.0, -15.0], degrees=True).as_matrix()
    assert abs(cardan_rot_obl_tilt(p).obliquity_deg) < 1e-9
    tilt_first = Rotation.from_matrix(p).as_euler("ZXY", degrees=True)[1]
    assert abs(tilt_first) > 5.0


def test_positive_drop_means_the_swing_side_is_lower() -> None:
    t = np.arange(0, 3, 0.01)
    # right side 4° lower throughout: in left stance the swing (right) side is lower -> +4;
    # in right stance the swing (left) side is higher -> -4
    obl = np.full(t.size, 4.0)
    contacts = {"L": (np.array([0.5, 1.5]), np.array([0.75, 1.75])),
                "R": (np.array([1.0, 2.0]), np.array([1.25, 2.25]))}
    m, _ = pelvis_metrics(t, obl, contacts, "markers")
    assert m["drop_deg"]["L"]["mean"] == pytest.approx(4.0)
    assert m["drop_deg"]["R"]["mean"] == pytest.approx(-4.0)
    np.testing.assert_array_equal(drop_signal(obl, "R"), -obl)
    with pytest.raises(ValueError, match="side"):
        drop_signal(obl, "X")


def test_peak_midstance_and_excursion_of_a_known_trace() -> None:
    """The drop signal rises linearly from 1° at IC to 5° at TO in every left stance."""
    fs = 1000.0
    t = np.arange(0, 6, 1 / fs)
    ic = np.arange(0.5, 5.0, 0.7)
    to = ic + 0.25
    obl = np.zeros(t.size)
    for a, b in zip(ic, to, strict=True):
        m = (t >= a) & (t <= b)
        obl[m] = 1.0 + 4.0 * (t[m] - a) / (b - a)
    m, per = pelvis_metrics(t, obl, {"L": (ic, to), "R": (np.empty(0), np.empty(0))}, "markers")
    assert m["drop_deg"]["L"]["mean"] == pytest.approx(5.0, abs=0.02)
    assert m["drop_at_midstance_deg"]["L"]["mean"] == pytest.approx(3.0, abs=0.02)
    assert m["excursion_deg"]["L"]["mean"] == pytest.approx(4.0, abs=0.02)
    assert m["obliquity_range_deg"] == pytest.approx(5.0, abs=0.02)
    assert m["n_cycles"] == {"L": ic.size, "R": 0}
    assert m["drop_deg"]["R"] == {"mean": None, "sd": None}
    assert per["L"].curves_deg.shape == (ic.size - 1, 101)


def test_left_out_stances_and_cycles_are_counted_with_their_reason() -> None:
    t = np.arange(0, 10, 0.01)
    obl = np.sin(2 * np.pi * t / 0.7)
    ic = np.r_[np.arange(0.5, 4.0, 0.7), np.arange(6.0, 9.5, 0.7)]  # a pause between bouts
    to = ic + 0.25
    to[2] = np.nan  # toe-off not seen
    obl[(t > ic[1]) & (t < ic[1] + 0.1)] = np.nan  # a marker gap in stance 1
    _, per = pelvis_metrics(t, obl, {"L": (ic, to), "R": (ic + 0.35, to + 0.35)}, "markers")
    lo = per["L"].left_out
    assert lo["stance: no toe-off or implausible duration"] == 1
    assert lo["stance: missing samples"] == 1
    assert lo["cycle: missed step or pause (stride > 1.5 x median)"] == 1
    assert lo["cycle: missing samples"] == 1
    assert per["L"].drop_deg.size == ic.size - 2
    assert per["R"].left_out.get("stance: outside the data", 0) == 0


def _drop_errors(drop: tuple[float, float], mis: float, axis: np.ndarray, seed: int) -> np.ndarray:
    run = running_pelvis(drop)
    gyr, acc = sacral_imu(run, mis, tuple(axis), ImuNoise(), seed)
    res = imu_pelvis(gyr, acc, run.fs, "vqf", "auto", run.contacts)
    assert res.reference == "static"
    truth, _ = pelvis_metrics(run.t, run.obliquity_deg, run.contacts, "truth")
    got, _ = pelvis_metrics(run.t, res.angles.obliquity_deg, run.contacts, "imu")
    return np.array([got["drop_deg"][s]["mean"] - truth["drop_deg"][s]["mean"] for s in "LR"])


def test_imu_mean_peak_drop_within_half_a_degree_over_drops_and_misalignments() -> None:
    rng = np.random.default_rng(7)
    errs = []
    for k, (drop, mis) in enumerate([((0.0, 0.0), 15.0), ((5.0, 2.0), 0.0), ((10.0, 4.0), 15.0),
                                     ((2.0, 10.0), 8.0), ((7.0, 7.0), 15.0)]):
        errs.append(_drop_errors(drop, mis, rng.normal(size=3), k))
    errs = np.abs(np.concatenate(errs))
    assert errs.max() <= 0.5, errs


def test_imu_sensor_upside_down_still_gives_the_pelvis(run) -> None:
    gyr, acc = sacral_imu(run, 180.0, (0.0, 0.0, 1.0), ImuNoise(), 3)  # turned about its normal
    res = imu_pelvis(gyr, acc, run.fs, "vqf", "auto", run.contacts)
    got, _ = pelvis_metrics(run.t, res.angles.obliquity_deg, run.contacts, "imu")
    assert got["drop_deg"]["L"]["mean"] == pytest.approx(6.0, abs=0.5)
    assert got["drop_deg"]["R"]["mean"] == pytest.approx(3.0, abs=0.5)


def test_imu_without_contacts_takes_the_sign_from_braking(run) -> None:
    gyr, acc = sacral_imu(run, 12.0, (1.0, -1.0, 0.5), ImuNoise(), 4)
    res = imu_pelvis(gyr, acc, run.fs, "vqf", "auto", None)
    assert res.forward_sign_from == "braking"
    got, _ = pelvis_metrics(run.t, res.angles.obliquity_deg, run.contacts, "imu")
    assert got["drop_deg"]["L"]["mean"] == pytest.approx(6.0, abs=0.5)


def test_standing_period_found_and_gyro_bias_taken_from_it(run) -> None:
    bias_only = ImuNoise(0.0, np.radians(2.0), 0.0, 0.0, 0.0)
    gyr, acc = virtual_imu(run.a, run.sacrum_m, run.fs, run.up, bias_only, 5)
    clean, _ = virtual_imu(run.a, run.sacrum_m, run.fs, run.up, NO_NOISE, 5)
    true_bias = (gyr - clean)[0]
    still = find_still(gyr, acc, run.fs)
    assert still is not None
    assert 0 <= still[0] < 0.5 * run.fs and 4.0 * run.fs <= still[1] <= (run.stand_s + 0.2) * run.fs
    res = imu_pelvis(gyr, acc, run.fs, "vqf", still, run.contacts)
    np.testing.assert_allclose(res.gyro_bias_rad_s, true_bias, atol=1e-3)


def test_without_a_standing_period_the_reference_is_the_run_mean() -> None:
    run = running_pelvis((6.0, 3.0), stand_s=0.0)
    gyr, acc = sacral_imu(run, 5.0, noise=ImuNoise(), seed=6)
    assert find_still(gyr[run.t > 1.0], acc[run.t > 1.0], run.fs) is None
    res = imu_pelvis(gyr[run.t > 1.0], acc[run.t > 1.0], run.fs, "vqf", "auto")
    assert res.reference == "run_mean" and res.still is None


def test_bad_imu_input_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        imu_pelvis(np.zeros((10, 3)), np.zeros((9, 3)), 100.0)
    with pytest.raises(ValueError, match="unknown fusion"):
        imu_pelvis(np.zeros((500, 3)), np.tile([0, 0, 9.81], (500, 1)), 100.0, "kalman", None)
