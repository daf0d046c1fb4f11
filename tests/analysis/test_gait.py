import numpy as np
import pytest
from analysis_synth import COL_PITCH, ROW_PITCH, render_pressure, rendered_x, running

from gaitlab.analysis import gait as G
from gaitlab.analysis.params import PressureParams, SideParams
from gaitlab.analysis.pressure import segment_contacts

FS = 120.0


def _run(first: str, width: np.ndarray, wander: np.ndarray, toe: float = 8.0,
         pushoff: float = 1.0):
    n = width.size
    feet = running(n, 0.5, 0.36, 0.25, 0.25, width, wander, toe_deg=toe, first=first,
                   pushoff=pushoff)
    frames, t = render_pressure(feet, int((0.5 + 0.36 * n + 0.5) * FS), FS)
    c = segment_contacts(frames, t, ROW_PITCH, COL_PITCH)
    return feet, G.side_contacts(c, PressureParams(), SideParams())


def _truth(feet) -> np.ndarray:
    return np.array([G.LEFT if f.is_left else G.RIGHT for f in feet])


@pytest.mark.parametrize("mean_width_cm", [1.0, -3.0])
def test_sides_hold_through_crossovers_and_wandering(mean_width_cm: float) -> None:
    rng = np.random.default_rng(3)
    n = 30
    width = rng.normal(mean_width_cm, 2.5, n)
    width[[5, 6, 13, 20]] = [-2.0, -3.0, -1.5, -2.5]  # crossover steps
    wander = np.cumsum(rng.normal(0, 0.01, n))  # drifting several cm across the belt
    for first in ("L", "R"):
        feet, sc = _run(first, width, wander)
        truth = _truth(feet)
        assert np.array_equal(sc.side, truth)
        # left feet push off toward +x (medially), right feet toward -x
        shift = sc.contacts.medial_shift
        assert np.all(shift[truth == G.LEFT] > 0) and np.all(shift[truth == G.RIGHT] < 0)
        x = rendered_x(feet, FS)
        w = np.where(truth[:-1] == G.RIGHT, x[:-1] - x[1:], x[1:] - x[:-1]) * 100
        m = G.gait_metrics(sc, 0.9, "pressure")
        assert m["n_steps"] == n
        assert (w <= 0).any()
        assert np.sign(m["step_width_cm"]["mean"]) == np.sign(mean_width_cm)
        assert abs(m["step_width_cm"]["mean"] - w.mean()) < 0.05
        assert abs(m["step_width_cm"]["sd"] - w.std(ddof=1)) < 0.05
        assert abs(m["crossover_pct"] - 100 * np.mean(w <= 0)) < 0.01
        assert abs(m["step_width_index_pct"] - w.mean() / 90 * 100) < 0.01
        assert abs(m["cadence_spm"] - 60 / 0.36) < 0.5
        assert abs(m["contact_time_ms"]["L"] - m["contact_time_ms"]["R"]) < 2


@pytest.mark.parametrize("first", ["L", "R"])
def test_gait_line_alone_decides_when_position_is_ambiguous(first: str) -> None:
    width = np.zeros(16)  # feet on one line: position says nothing
    feet, sc = _run(first, width, np.zeros(16), toe=0.0)  # and the foot axes are parallel
    assert np.array_equal(sc.side, _truth(feet))
    assert abs(sc.bouts[0]["gait_line_score"]) > 0.9


def test_toe_angle_is_not_a_side_cue() -> None:
    # toe-in runner: the footprint axes point the "wrong" way, sides must not care
    feet, sc = _run("R", np.full(16, 2.0), np.zeros(16), toe=-10.0)
    assert np.array_equal(sc.side, _truth(feet))


def test_conflicting_cues_are_flagged() -> None:
    # a lateral push-off (e.g. a rigid, supinated foot) with a wide base: the gait line
    # points the wrong way and position says otherwise
    _, sc = _run("L", np.full(16, 8.0), np.zeros(16), pushoff=-1.0)
    b = sc.bouts[0]
    assert b["cues_conflict"]
    assert b["position_score"] * b["gait_line_score"] < 0


def test_position_decides_without_a_gait_line() -> None:
    # no hallux load: the gait line has no medial end, placement decides
    feet, sc = _run("R", np.full(16, 6.0), 0.02 * np.sin(np.arange(16) / 3), pushoff=0.0)
    assert np.array_equal(sc.side, _truth(feet))
    b = sc.bouts[0]
    assert abs(b["gait_line_score"]) < SideParams().line_decisive  # no usable gait line
    assert abs(b["position_score"]) > 0.7



def test_bouts_split_at_pauses_and_standing() -> None:
    ic = np.r_[np.arange(10) * 0.36, 10 + np.arange(8) * 0.36, 20.0, 21 + np.arange(3) * 0.36]
    ok = np.ones(ic.size, bool)
    ok[18] = False  # a standing contact
    b = G.split_bouts(ic, ok, SideParams(min_bout_steps=6))
    assert list(np.unique(b[:10])) == [0] and list(np.unique(b[10:18])) == [1]
    assert np.all(b[18:] == -1)  # non-running and too short


def test_events_source() -> None:
    ic_l = np.arange(10) * 0.72 + 1.0
    ic_r = ic_l + 0.36
    t = np.r_[ic_l, ic_l + 0.24, ic_r, ic_r + 0.26]
    lab = np.array(["IC L"] * 10 + ["TO L"] * 10 + ["IC R"] * 10 + ["TO R"] * 10)
    c, side = G.contacts_from_events(t, lab)
    bout = G.split_bouts(c.ic, G.running_mask(c, PressureParams()), SideParams())
    m = G.gait_metrics(G.SidedContacts(c, side, bout), 0.9, "events")
    assert m["n_steps"] == 20
    assert abs(m["contact_time_ms"]["L"] - 240) < 1e-6 and abs(m["contact_time_ms"]["R"] - 260) < 1e-6
    assert abs(m["cadence_spm"] - 60 / 0.36) < 0.01  # rounded to 0.01
    assert m["step_width_cm"]["mean"] is None and m["crossover_pct"] is None


def test_force_source_contacts() -> None:
    fs = 1000.0
    t = np.arange(int(5 * fs)) / fs
    fz = np.zeros_like(t)
    cop = np.zeros_like(t)
    ics = 0.5 + np.arange(12) * 0.36
    for i, ic in enumerate(ics):
        k = (t >= ic) & (t <= ic + 0.25)
        fz[k] = 1800 * np.sin(np.pi * (t[k] - ic) / 0.25)
        cop[k] = 0.01 * (1 if i % 2 else -1)
    c = G.contacts_from_force(t, fz, cop)
    d = np.arcsin(50 / 1800) / np.pi * 0.25
    assert len(c) == 12
    np.testing.assert_allclose(c.ic, ics + d, atol=1e-3)
    np.testing.assert_allclose(c.x, np.where(np.arange(12) % 2, 0.01, -0.01), atol=1e-9)
    sc = G.side_contacts(c, PressureParams(), SideParams())
    assert np.array_equal(sc.side, np.arange(12) % 2)
