"""Biofeedback decisions (gaitlab.live.feedback): crossover / in band / out of band, cadence
±3 spm, GMED onset per step and side against its target, pelvic drop per stance side."""

from __future__ import annotations

import numpy as np

from gaitlab.analysis.online import CycleResult, DropResult, StepResult
from gaitlab.live import GaitView, PelvisView
from gaitlab.live.feedback import (
    Targets,
    cadence_on_target,
    drop_on_target,
    feedback_state,
    gmed_on_target,
    width_status,
)


def _step(i: int, width_cm: float, cadence: float = 170.0) -> StepResult:
    return StepResult(index=i, side=i % 2, ic=0.36 * i, to=0.36 * i + 0.25, contact_time_s=0.25,
                      x=0.0, medial_shift=0.0, step_time_s=0.36, step_width_m=width_cm / 100,
                      cadence_spm=cadence, bout=0, provisional=False, revised=False,
                      emitted_at=0.36 * i + 0.3)


def _cycle(ic: float, onset_ms: float, reason: str = "") -> CycleResult:
    return CycleResult(ic=ic, onset_s=onset_ms / 1000 if not reason else np.nan, offset_s=0.1,
                       reason=reason, emitted_at=ic + 0.2)


def test_width_cadence_and_gmed_rules() -> None:
    t = Targets(width_lo_cm=5.0, width_hi_cm=12.0, cadence_spm=172.0, gmed_onset_ms=-80.0)
    assert [width_status(w, t) for w in (-1.0, 0.0, 3.0, 5.0, 12.0, 13.0)] == [
        "crossover", "crossover", "out_band", "in_band", "in_band", "out_band"]
    assert [cadence_on_target(c, t) for c in (169.0, 168.9, 175.0, 175.1, np.nan)] == [
        True, False, True, False, None]
    assert [gmed_on_target(v, t) for v in (-120.0, -80.0, -79.0, np.nan)] == [True, True, False, None]


def test_state_keeps_the_newest_steps_per_side_in_ic_order() -> None:
    t = Targets(gmed_onset_ms=-80.0)
    steps = [_step(i, w) for i, w in enumerate([np.nan, 8.0, -2.0, 14.0] + [7.0] * 25)]
    # right side: a revised result arrives after a later step (appended out of order)
    gmed = {"L": [_cycle(0.0, -100.0), _cycle(0.72, -60.0), _cycle(1.44, 0.0, "no burst")],
            "R": [_cycle(0.36, -90.0), _cycle(1.8, -70.0), _cycle(1.08, -85.0)]}
    s = feedback_state(GaitView(steps, 171.0, 170.0, gmed), t, n=20)
    assert s.widths_cm.size == 20 and np.isclose(s.last_width_cm, 7.0) and s.last_width_status == "in_band"
    s_all = feedback_state(GaitView(steps[:4], 180.0, 170.0, {}), t)
    np.testing.assert_allclose(s_all.widths_cm, [8.0, -2.0, 14.0])
    assert s_all.width_status == ["in_band", "crossover", "out_band"]
    assert s_all.cadence_on_target is False and s.cadence_on_target is True
    left, right = s.gmed["L"], s.gmed["R"]
    np.testing.assert_allclose(left.values, [-100.0, -60.0, np.nan])
    assert left.on_target == [True, False, None]
    assert np.isclose(left.last, -60.0) and left.last_on_target is False  # a rejected step is skipped
    np.testing.assert_allclose(right.values, [-90.0, -85.0, -70.0])  # by IC
    assert right.on_target == [True, True, False] and np.isclose(right.last, -70.0)
    empty = feedback_state(GaitView([], np.nan, np.nan, {}), t)
    assert np.isnan(empty.last_width_cm) and empty.cadence_on_target is None
    assert empty.gmed["L"].last_on_target is None and np.isnan(empty.gmed["R"].last)


def _drop(i: int, side: str, deg: float, reason: str = "") -> DropResult:
    return DropResult(i, side, 0.36 * i, 0.36 * i + 0.25, deg, deg * 0.9, deg - 0.5, 0.36 * i + 0.3, reason)


def test_pelvic_drop_per_stance_side_against_the_ceiling() -> None:
    t = Targets(pelvic_drop_max_deg=5.0)
    assert [drop_on_target(v, t) for v in (4.0, 5.0, 5.1, np.nan)] == [True, True, False, None]
    drops = {"L": [_drop(0, "L", 3.0), _drop(4, "L", 6.0), _drop(2, "L", np.nan, "stance: missing samples")],
             "R": [_drop(1, "R", 7.5)]}
    pv = PelvisView("imu", "SACRUM", "tracking", np.zeros(0), np.zeros(0), drops)
    s = feedback_state(GaitView([], np.nan, np.nan, {}), t, pelvis=pv)
    left = s.pelvic_drop["L"]
    np.testing.assert_allclose(left.values, [3.0, np.nan, 6.0])  # by IC
    assert left.on_target == [True, None, False] and left.last == 6.0
    assert s.pelvic_drop["R"].last_on_target is False and s.pelvis_status == "tracking"
    # no sacral IMU: no pelvis block at all (the athlete window hides its rows)
    none = feedback_state(GaitView([], np.nan, np.nan, {}), t)
    assert none.pelvic_drop == {} and none.pelvis_status == ""
