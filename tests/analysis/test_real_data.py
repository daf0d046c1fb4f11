"""A real public recording end to end (issue #3): instrumented-treadmill walking force.

The recording (data/real/csuhmc_vgrf_walk.csv, CSU Human Motion and Control Lab, via the
GaitAnalysisToolKit 0.2.0 sdist, Apache-2.0) goes through the recorder's SessionWriter into
a session file and through ``analyze_session``; its contacts are compared with the heel
strikes / toe-offs that the dataset authors' own function found at the same threshold
(data/real/csuhmc_vgrf_walk.json). Limits (docs/validation.md, "Real recordings"): the
reference marks the first sample past the threshold and gaitlab interpolates the crossing,
so each gaitlab event must lie within the one sample interval *before* the reference event;
durations and means then within one (longest) sample interval.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gaitlab.io.session import open_session

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "validate_real.py"
EPS = 1e-6  # float32 storage of the force, float64 time stamps


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location("validate_real", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    v = _load_script()
    t, f = v.load_recording()
    ref = v.load_reference()
    path = v.write_session(t, f, tmp_path_factory.mktemp("real") / "csuhmc.h5")
    res = v.analyse(path)
    return {"v": v, "t": t, "f": f, "ref": ref, "path": path, "res": res,
            "cmp": v.compare(res, t, ref)}


def test_fixture_is_the_documented_recording(run: dict[str, Any]) -> None:
    import hashlib

    v, ref = run["v"], run["ref"]
    assert hashlib.sha256(v.CSV.read_bytes()).hexdigest() == ref["source_sha256"]
    assert run["t"].size == ref["n_samples"]
    assert np.all(np.diff(run["t"]) > 0)
    hs = np.asarray(ref["reference"]["heel_strike_s"])
    assert hs.size >= 20 and np.all(np.diff(hs) > 0)


def test_session_file_reads_back_as_an_instrumented_treadmill(run: dict[str, Any]) -> None:
    with open_session(run["path"]) as s:
        (st,) = s.by_role("force_treadmill")
        np.testing.assert_array_equal(st.times(), run["t"])
        np.testing.assert_allclose(st.read()[:, 0], run["f"], rtol=1e-6, atol=1e-4)
    assert run["res"].metrics["gait"]["source"] == "force"


def test_every_reference_contact_is_found_once(run: dict[str, Any]) -> None:
    c = run["cmp"]
    assert c["n_matched_ic"] == c["n_reference_hs"]
    assert c["n_extra_contacts"] == 0
    assert c["n_matched_to"] == c["n_reference_to"]
    assert c["n_extra_to"] == 0


@pytest.mark.parametrize("key", ["ic_err_samples", "to_err_samples"])
def test_events_lie_in_the_sample_interval_before_the_reference(run: dict[str, Any], key: str) -> None:
    e = run["cmp"][key]
    assert np.all(np.isfinite(e))
    assert e.min() >= -1 - EPS and e.max() <= EPS, (e.min(), e.max())


def test_stance_and_stride_times_within_one_sample_interval(run: dict[str, Any]) -> None:
    c, dt_max_ms = run["cmp"], float(np.diff(run["t"]).max() * 1000)
    for key in ("stance_err_ms", "stride_err_ms"):
        e = c[key][np.isfinite(c[key])]
        assert e.size >= c["n_reference_hs"] - 2
        assert np.abs(e).max() <= dt_max_ms, key
    # the contract's numbers (contact_time_ms, the step times, the contact rate)
    assert abs(c["gaitlab_stance_ms"] - c["ref_stance_ms"]) <= dt_max_ms
    assert abs(c["gaitlab_stride_ms"] - c["ref_stride_ms"]) <= dt_max_ms
    hs = np.asarray(run["ref"]["reference"]["heel_strike_s"])
    rate_tol = c["ref_rate_per_min"] * (dt_max_ms / 1000) / float(hs[-1] - hs[0])
    assert abs(c["gaitlab_rate_per_min"] - c["ref_rate_per_min"]) <= rate_tol + 0.005  # 2-dp rounding


def test_running_defaults_reject_walking_contacts_with_a_reason(run: dict[str, Any]) -> None:
    from gaitlab.analysis.pipeline import analyze_session

    # forced running: max_contact_ms 600, a 750 ms stance is not running
    res = analyze_session(run["path"], {"gait": {"mode": "running"}})
    assert res.metrics["gait"]["cadence_spm"] is None
    assert "no running bout" in res.notes["gait"]
    acc = res.metrics["gait"]["contacts"]  # every contact accounted for, with its reason
    lo = acc["left_out"]
    assert acc["used"]["total"] == 0 and sum(lo.values()) == acc["found"]["total"]
    assert lo["stance_above_range"] == run["cmp"]["n_matched_ic"] - lo["partial_end"]


def test_walking_is_detected_and_every_complete_contact_used(run: dict[str, Any]) -> None:
    """With the defaults (gait mode auto) the 755 ms median stance is walking: its stance
    range (300–1500 ms) takes every complete contact; the one channel's limits are said."""
    from gaitlab.analysis.pipeline import analyze_session

    res = analyze_session(run["path"])
    g = res.metrics["gait"]
    assert g["mode"] == "walking" and res.extras["gait_mode"]["forced"] is False
    assert g["contacts"]["used"]["total"] == run["cmp"]["n_matched_ic"] == g["n_steps"]
    assert g["contacts"]["left_out"]["partial_start"] == g["contacts"]["found"]["total"] - g["n_steps"]
    assert any("single-belt force treadmill" in w and "one foot only" in w for w in res.warnings)
