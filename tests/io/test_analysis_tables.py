"""The per-contact and per-cycle tables in /analysis, read back with plain h5py (as a
reviewer in Python or MATLAB would), give the same numbers as the metrics contract."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from gaitlab.analysis import analyze_session
from gaitlab.analysis.pipeline import store
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.model import build_session
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.protocols import load_protocol


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = build_session(load_profile("default"), load_protocol("demo"), seed=2, run_duration_s=12)
    path = write_offline_session(model, tmp_path_factory.mktemp("tables") / "s.h5")
    res = analyze_session(path)
    store(path, res)
    assert res.stored, res.store_error
    return path


def test_contact_table_gives_the_gait_metrics(stored: Path) -> None:
    with h5py.File(stored, "r") as f:
        g = f["analysis"]
        m = json.loads(g.attrs["metrics_json"])["gait"]
        c = {k: g["contacts"][k][()] for k in g["contacts"]}
        assert g["contacts"]["step_width_cm"].attrs["unit"] == "cm"
    n = c["ic_s"].size
    assert all(v.shape[0] == n for v in c.values())
    run = (c["bout"] >= 0) & (c["side"] >= 0)
    assert run.sum() == m["n_steps"]
    w = c["step_width_cm"][np.isfinite(c["step_width_cm"])]
    assert w.mean() == pytest.approx(m["step_width_cm"]["mean"], abs=1e-3)
    assert 100 * np.mean(w <= 0) == pytest.approx(m["crossover_pct"], abs=0.01)
    for code, side in ((0, "L"), (1, "R")):
        sel = run & (c["side"] == code)
        assert np.nanmean(c["foot_progression_deg"][sel]) == pytest.approx(
            m["foot_progression_deg"][side], abs=0.01)
        assert np.nanmean(c["contact_time_ms"][sel]) == pytest.approx(
            m["contact_time_ms"][side], abs=0.01)
    # the gait line: 21 points over the stance, travelling forward from 0 at contact to the
    # forefoot, mid- to late-stance COP moving medially (+x for a left foot)
    gy, gx = c["gait_line_y_m"][run], c["gait_line_x_m"][run]
    assert gy.shape[1] == gx.shape[1] == 21
    assert np.all(gy[:, 0] == 0) and np.all(np.diff(gy, axis=1) > -2e-3)  # a row is 12 mm
    assert 0.1 < np.median(gy[:, -1]) < 0.25
    left = c["side"][run] == 0
    assert np.median(gx[left, 20] - gx[left, 10]) > 0 > np.median(gx[~left, 20] - gx[~left, 10])


def test_emg_cycle_tables_give_the_onsets(stored: Path) -> None:
    with h5py.File(stored, "r") as f:
        g = f["analysis"]
        m = json.loads(g.attrs["metrics_json"])["emg"]
        for name, h in g["emg_cycles"].items():
            on, reason = h["onset_ms"][()], h["reason"].asstr()[()]
            ok = np.isfinite(on)
            assert np.all((reason == "") == ok)
            assert ok.sum() == m[name]["n_cycles"]
            assert np.mean(on[ok]) == pytest.approx(m[name]["onset_ms"]["mean"], abs=0.051)
            assert h.attrs["method"] == "hodges_bui"
