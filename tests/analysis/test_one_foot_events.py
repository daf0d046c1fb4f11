"""One foot's gait events (a single foot switch, issue #13), on the virtual athlete.

The session is the virtual athlete's, written by the recorder's SessionWriter, with its EMG,
its protocol markers and a "FootSwitch" marker stream carrying "IC L"/"TO L" at the model's
realised left contacts only (no pressure stream: the events are the gait source). Truth:
the model's contacts and bursts (drivers/virtual/truth.py).
"""

from __future__ import annotations

import json
from typing import Any

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from gaitlab.analysis import analyze_session, store
from gaitlab.analysis.cli import analyze
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual import model as M
from gaitlab.drivers.virtual import truth as T
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.protocols import load_protocol


@pytest.fixture(scope="module")
def one_foot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    model = M.build_session(load_profile("default"), load_protocol("demo"), seed=7,
                            run_duration_s=15.0)
    path = write_offline_session(model, tmp_path_factory.mktemp("one") / "one.h5", t0=5000.0,
                                 devices=("emg", "markers"), foot_switch="L")
    res = analyze_session(path)
    store(path, res)
    return {"path": path, "res": res, "model": model, "true": T.metrics_dict(model)}


def test_left_contacts_contact_time_and_stride_time(one_foot: dict[str, Any]) -> None:
    g, c = one_foot["res"].metrics["gait"], one_foot["model"].contacts
    left = c.side == "L"
    assert g["source"] == "events" and g["n_steps"] == int(left.sum())
    assert g["contacts"]["used"] == {"total": int(left.sum()), "L": int(left.sum()), "R": 0}
    assert abs(g["contact_time_ms"]["L"] - 1000 * (c.t_to - c.t_ic)[left].mean()) <= 1.0
    stride = one_foot["res"].extras["gait_temporal"]["stride_time_ms"]
    assert abs(stride["L"] - 1000 * np.diff(c.t_ic[left]).mean()) <= 1.0


def test_cadence_is_twice_the_stride_rate_and_marked_estimated(one_foot: dict[str, Any]) -> None:
    g = one_foot["res"].metrics["gait"]
    assert g["cadence_estimated"] is True
    assert abs(g["cadence_spm"] - one_foot["true"]["gait"]["cadence_spm"]) <= 1.0
    assert "estimated: 2 × the L stride rate" in one_foot["res"].notes["gait.cadence_spm"]


def test_left_emg_is_timed_against_its_own_contacts(one_foot: dict[str, Any]) -> None:
    e, et = one_foot["res"].metrics["emg"]["GMED_L"], one_foot["true"]["emg"]["GMED_L"]
    assert e["n_cycles"] == et["n_cycles"]
    assert abs(e["onset_ms"]["mean"] - et["onset_ms"]["mean"]) <= 15.0


def test_right_keys_are_null_with_the_reason_in_table_and_file(one_foot: dict[str, Any]) -> None:
    res = one_foot["res"]
    why = "gait events for the L foot only (one foot switch): no R contacts"
    assert res.metrics["gait"]["contact_time_ms"]["R"] is None
    assert res.extras["gait_temporal"]["stride_time_ms"]["R"] is None
    assert res.extras["gait_temporal"]["step_time_ms"] == {"L": None, "R": None}
    for m in ("GMED_R", "GMAX_R", "TFL_R"):
        assert res.metrics["emg"][m]["onset_ms"]["mean"] is None
        assert res.notes[f"emg.{m}"] == why
    with h5py.File(one_foot["path"], "r") as f:
        notes = json.loads(f["analysis"].attrs["notes_json"])
        m = json.loads(f["analysis"].attrs["metrics_json"])
    assert notes["gait.contact_time_ms.R"] == why and notes["emg.GMED_R"] == why
    assert m["gait"]["cadence_estimated"] is True and m["gait"]["contact_time_ms"]["R"] is None
    r = CliRunner().invoke(analyze, [str(one_foot["path"]), "--no-store"])
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.output.splitlines() if ln.strip().startswith("contact time L / R"))
    assert line.rstrip().endswith(f"({why})")
    assert "steps/min (estimated)" in r.output
