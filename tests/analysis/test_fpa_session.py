"""Foot progression angle end to end: rendered pressure session → analysis, per side."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gaitlab.analysis import analyze_session
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.model import build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.drivers.virtual.truth import metrics_dict
from gaitlab.protocols import load_protocol


def _run(tmp_path: Path, fpa_deg: float):
    prof = load_profile("default")
    prof = dataclasses.replace(prof, run=dataclasses.replace(prof.run, foot_progression_deg=fpa_deg))
    model = build_session(prof, load_protocol("demo"), seed=5, run_duration_s=12)
    return analyze_session(write_offline_session(model, tmp_path / "s.h5")), model


@pytest.mark.parametrize("fpa_deg", [-3.0, 10.0])
def test_foot_progression_angle_per_side_matches_the_model(tmp_path: Path, fpa_deg: float) -> None:
    res, model = _run(tmp_path, fpa_deg)
    got = res.metrics["gait"]["foot_progression_deg"]
    true = metrics_dict(model)["gait"]["foot_progression_deg"]
    for side in ("L", "R"):
        assert got[side] == pytest.approx(true[side], abs=1.5), side


def test_strong_toe_out_that_defeats_the_side_cues_is_flagged(tmp_path: Path) -> None:
    # at 20° toe-out the gait line no longer pushes off medially in the model's footprint and
    # the sides come out swapped: the analysis must say the cues disagree, not stay silent
    res, _ = _run(tmp_path, 20.0)
    assert any("left/right cues disagree" in w for w in res.warnings)


def test_no_belt_speed_means_no_angle() -> None:
    import numpy as np

    from gaitlab.analysis.gait import SidedContacts, contacts_from_events, gait_metrics

    c, side = contacts_from_events(np.array([0.0, 0.2, 0.35, 0.55]),
                                   np.array(["IC L", "TO L", "IC R", "TO R"]))
    out = gait_metrics(SidedContacts(c, side, np.zeros(len(c), int)), 0.9, "events")
    assert out["foot_progression_deg"] == {"L": None, "R": None}
