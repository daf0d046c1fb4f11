"""A long pressure recording is split over two processes; the contacts are the same as in one."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.analysis import pipeline
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.model import build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.io.session import open_session
from gaitlab.protocols import load_protocol


@pytest.mark.parametrize("piece_s", [300.0, 2.5])  # two pieces; several, handed out in turn
def test_two_process_split_gives_the_same_contacts(tmp_path, monkeypatch, piece_s):
    model = build_session(load_profile("default"), load_protocol("run"), seed=4, run_duration_s=12)
    path = write_offline_session(model, tmp_path / "run.h5", devices=("pressure",))
    params = pipeline.AnalysisParams()
    with open_session(path) as s:
        st = s.by_role("pressure")[0]
        t = st.times()
        monkeypatch.setattr(pipeline, "PARALLEL_MIN_S", 1e9)
        whole = pipeline._pressure_contacts(path, st, t, params)
        monkeypatch.setattr(pipeline, "PARALLEL_MIN_S", 5.0)  # force the split on 12 s
        monkeypatch.setattr(pipeline, "PIECE_S", piece_s)
        cuts: list[int | None] = []
        find = pipeline.unloaded_frame
        monkeypatch.setattr(pipeline, "unloaded_frame", lambda *a, **k: cuts.append(find(*a, **k))
                            or cuts[-1])
        split = pipeline._pressure_contacts(path, st, t, params)
    assert cuts and cuts[0] is not None  # the recording was really cut in two
    assert len(whole) >= 25
    assert len(split) == len(whole)
    assert len(cuts) == (1 if piece_s > 12 else 4)
    for name in ("ic", "to", "x", "toe_angle_deg", "medial_shift", "first", "last", "axis_deg"):
        np.testing.assert_array_equal(getattr(split, name), getattr(whole, name))
