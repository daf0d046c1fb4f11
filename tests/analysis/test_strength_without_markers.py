"""Dynamometer trials without markers: segmented from the force signal, their sides taken
from the session's metadata (the protocol's trial order written at recording)."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from gaitlab.analysis import analyze_session
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.model import build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.drivers.virtual.truth import metrics_dict
from gaitlab.protocols import load_protocol


@pytest.fixture(scope="module")
def no_markers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    model = build_session(load_profile("default"), load_protocol("demo"), seed=3, run_duration_s=2)
    path = write_offline_session(model, tmp_path_factory.mktemp("nomark") / "s.h5",
                                 devices=("dynamometer",))
    return path, metrics_dict(model)["strength"]["hip_abduction"]


def test_sides_from_the_session_order_give_the_true_peaks(no_markers: tuple[Path, dict]) -> None:
    path, true = no_markers
    with h5py.File(path, "r") as f:
        assert f.attrs["strength_order"] == "".join(load_protocol("demo").strength.sides())
    res = analyze_session(path)
    got = res.metrics["strength"]["hip_abduction"]
    for side in ("L", "R"):
        assert len(got[side]["trials_N"]) == len(true[side]["trials_N"])
        assert got[side]["peak_force_N"] == pytest.approx(true[side]["peak_force_N"], rel=0.01)
    assert got["lsi_pct"] == pytest.approx(true["lsi_pct"], abs=1.0)
    assert "from the session's strength_order" in res.notes["strength.sides"]


def test_without_any_side_the_note_says_what_to_do(no_markers: tuple[Path, dict],
                                                    tmp_path: Path) -> None:
    path, _ = no_markers
    copy = tmp_path / "copy.h5"
    copy.write_bytes(path.read_bytes())
    with h5py.File(copy, "r+") as f:
        del f.attrs["strength_order"]
    res = analyze_session(copy)
    assert res.metrics["strength"]["hip_abduction"]["L"]["peak_force_N"] is None
    assert "pass strength.order" in res.notes["strength"]
    # the clinician gives the order: the trials get their sides
    res = analyze_session(copy, {"strength": {"order": "LRLRLR"}})
    assert res.metrics["strength"]["hip_abduction"]["R"]["peak_force_N"] is not None
    bad = analyze_session(copy, {"strength": {"order": "LR"}})
    assert "has 2 trials, the force signal 6" in bad.notes["strength"]
