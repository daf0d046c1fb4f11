"""Gait mode (issue #13): walking or running detected from the contacts, or forced.

Walking has double support (a foot lands before the other lifts off) and running a
flight; a recording of one foot only (one foot switch) shows neither, and its stance says
it: walking stances are ~600–900 ms, running ones ~200–350 ms. Sessions are real HDF5
files; the one-foot walking events are the heel strikes / toe-offs that the CSU HMC lab's
own function found in its treadmill-walking force (data/real/csuhmc_vgrf_walk.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from analysis_files import StreamArrays
from click.testing import CliRunner

from gaitlab.analysis import analyze_session
from gaitlab.analysis.cli import analyze
from gaitlab.errors import GaitlabError

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "csuhmc_vgrf_walk.json"


def _events(ic_l: np.ndarray, to_l: np.ndarray, ic_r: np.ndarray | None = None,
            to_r: np.ndarray | None = None) -> StreamArrays:
    parts = [(ic_l, "IC L"), (to_l, "TO L")]
    if ic_r is not None and to_r is not None:
        parts += [(ic_r, "IC R"), (to_r, "TO R")]
    t = np.concatenate([p[0] for p in parts])
    lab = np.concatenate([[p[1]] * p[0].size for p in parts])
    o = np.argsort(t, kind="stable")
    return StreamArrays("FootSwitch", "Markers", ["event"], [""], 0.0, t[o], lab[o], fmt="string")


def _two_feet(step_s: float, stance_s: float, n: int = 20) -> StreamArrays:
    ic = 1.0 + np.arange(n) * step_s
    return _events(ic[::2], ic[::2] + stance_s, ic[1::2], ic[1::2] + stance_s)


def test_one_foot_walking_events_use_every_complete_stride(session_writer) -> None:
    ref = json.loads(REAL.read_text())["reference"]
    hs, to = np.asarray(ref["heel_strike_s"]), np.asarray(ref["toe_off_s"])
    path = session_writer([_events(hs, to)], name="walk1.h5")
    res = analyze_session(path)
    g = res.metrics["gait"]
    j = np.searchsorted(to, hs)  # each heel strike's toe-off, when the data hold one
    complete = j < to.size
    stance = (to[j[complete]] - hs[complete]) * 1000
    assert g["mode"] == "walking" and res.extras["gait_mode"]["detected"] == "walking"
    assert g["contacts"]["used"] == {"total": int(complete.sum()), "L": int(complete.sum()), "R": 0}
    assert abs(g["contact_time_ms"]["L"] - stance.mean()) < 0.01
    assert g["cadence_estimated"] is True
    assert abs(g["cadence_spm"] - 2 * 60 * (hs.size - 1) / (hs[-1] - hs[0])) < 0.01
    assert "no R contacts" in res.notes["gait.contact_time_ms.R"]


@pytest.mark.parametrize(("step_s", "stance_s", "mode", "ds"), [(0.36, 0.25, "running", 0.0),
                                                                (0.55, 0.70, "walking", 1.0)])
def test_mode_from_double_support_or_flight(session_writer, step_s: float, stance_s: float,
                                            mode: str, ds: float) -> None:
    res = analyze_session(session_writer([_two_feet(step_s, stance_s)], name=f"{mode}.h5"))
    g = res.metrics["gait"]
    assert g["mode"] == mode and res.extras["gait_mode"]["double_support_frac"] == ds
    assert g["n_steps"] == 20 and g["cadence_estimated"] is False
    assert abs(g["contact_time_ms"]["L"] - stance_s * 1000) < 1e-6


def test_forced_mode_is_stored_shown_and_applies_its_stance_range(session_writer) -> None:
    path = session_writer([_two_feet(0.55, 0.70)], name="walk2.h5")
    r = CliRunner().invoke(analyze, [str(path), "--gait", "running"])
    assert r.exit_code == 0, r.output
    assert "mode: running (forced; median stance 700 ms; double support in 100 % of steps)" in r.output
    assert "stance over 80–600 ms" in r.output
    with h5py.File(path, "r") as f:
        m = json.loads(f["analysis"].attrs["metrics_json"])["gait"]
        ex = json.loads(f["analysis"].attrs["extras_json"])["gait_mode"]
    assert m["mode"] == "running" and m["n_steps"] == 0
    assert m["contacts"]["left_out"]["stance_above_range"] == 20
    assert ex["forced"] is True and ex["detected"] == "walking"
    assert "warning: gait mode forced to running, but the contacts look like walking" in r.output


def test_unknown_mode_is_a_one_line_error(session_writer) -> None:
    path = session_writer([_two_feet(0.36, 0.25)], name="bad.h5")
    with pytest.raises(GaitlabError, match=r"gait\.mode 'jogging' is unknown"):
        analyze_session(path, {"gait": {"mode": "jogging"}})


def test_one_foot_walking_events_time_that_sides_emg_on_every_cycle(session_writer) -> None:
    """The issue's recording: treadmill walking, gluteus medius / maximus / TFL EMG, IC/TO
    of one leg only (gave 0 steps and 0 EMG cycles). Each left cycle holds one clear burst
    at a known onset/offset from its IC; the right muscles are noise only."""
    from analysis_synth import emg_signal

    rng = np.random.default_rng(13)
    ref = json.loads(REAL.read_text())["reference"]
    hs, to = np.asarray(ref["heel_strike_s"]), np.asarray(ref["toe_off_s"])
    t0, dur, fs = float(hs[0]) - 3.0, float(hs[-1] - hs[0]) + 6.0, 2000.0
    timing = {"GMED_L": (-0.06, 0.25), "GMAX_L": (-0.09, 0.20), "TFL_L": (-0.03, 0.18)}
    chans = [emg_signal(fs, dur, [(ic - t0 + on, ic - t0 + off, 120.0) for ic in hs], 20.0, rng)
             for on, off in timing.values()]
    chans.append(emg_signal(fs, dur, [], 20.0, rng))
    x = np.stack(chans, axis=1) * 1e6
    emg = StreamArrays("emg", "EMG", [*timing, "GMED_R"], ["uV"] * 4, fs,
                       t0 + np.arange(x.shape[0]) / fs, x.astype(np.float32))
    res = analyze_session(session_writer([_events(hs, to), emg], name="walk_emg.h5"))
    n_used = res.metrics["gait"]["contacts"]["used"]["L"]
    assert res.metrics["gait"]["mode"] == "walking" and n_used >= hs.size - 1
    for name, (on, off) in timing.items():
        e = res.metrics["emg"][name]
        assert e["n_cycles"] == n_used, (name, e, res.notes.get(f"emg.{name}"))
        assert abs(e["onset_ms"]["mean"] - on * 1000) <= 15.0
        assert abs(e["offset_ms"]["mean"] - off * 1000) <= 15.0
    assert res.metrics["emg"]["GMED_R"]["n_cycles"] == 0
    assert "no R contacts" in res.notes["emg.GMED_R"]
