"""End to end: session files written with plain h5py → ``gaitlab analyze`` → contract."""

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from analysis_files import StreamArrays, write_session
from analysis_synth import lab_streams, threshold_times
from click.testing import CliRunner

from gaitlab.analysis import analyze_session
from gaitlab.analysis.cli import analyze

CONTRACT_KEYS = {
    "gait": {"source", "n_steps", "cadence_spm", "step_width_cm", "crossover_pct",
             "step_width_index_pct", "contact_time_ms", "foot_progression_deg", "contacts", "mode",
             "cadence_estimated"},
    "emg_muscle": {"onset_ms", "offset_ms", "n_cycles", "peak_pct_mvc"},
    "strength_side": {"peak_force_N", "trials_N", "torque_Nm_per_kg", "cv_pct"},
    "pelvis": {"source", "n_cycles", "drop_deg", "drop_at_midstance_deg", "excursion_deg",
               "obliquity_range_deg"},
}


def _contract_complete(m: dict) -> None:
    assert m["schema"] == "gaitlab.metrics/2"  # every /1 key, plus "pelvis"
    assert set(m["gait"]) == CONTRACT_KEYS["gait"]
    assert set(m["gait"]["step_width_cm"]) == {"mean", "sd"}
    assert set(m["gait"]["contact_time_ms"]) == set(m["gait"]["foot_progression_deg"]) == {"L", "R"}
    for e in m["emg"].values():
        assert set(e) == CONTRACT_KEYS["emg_muscle"]
        assert set(e["onset_ms"]) == set(e["offset_ms"]) == {"mean", "sd"}
    h = m["strength"]["hip_abduction"]
    assert set(h) == {"L", "R", "lsi_pct"}
    assert set(h["L"]) == set(h["R"]) == CONTRACT_KEYS["strength_side"]
    pv = m["pelvis"]
    assert set(pv) == CONTRACT_KEYS["pelvis"]
    assert set(pv["n_cycles"]) == {"L", "R"}
    for k in ("drop_deg", "drop_at_midstance_deg", "excursion_deg"):
        assert set(pv[k]) == {"L", "R"} and set(pv[k]["L"]) == set(pv[k]["R"]) == {"mean", "sd"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    streams, inputs = lab_streams(np.random.default_rng(11))
    path = write_session(tmp_path_factory.mktemp("lab") / "lab.h5", streams)
    return path, inputs


def test_analyze_json_contract_values_and_storage(lab: tuple[Path, dict]) -> None:
    path, inp = lab
    r = CliRunner().invoke(analyze, [str(path), "--json"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)  # JSON only on stdout
    _contract_complete(m)
    g = m["gait"]
    feet = inp["feet"]
    x = np.array([f.x for f in feet])
    left = np.array([f.toe_deg < 0 for f in feet])
    w = np.where(~left[:-1], x[:-1] - x[1:], x[1:] - x[:-1]) * 100
    assert g["source"] == "pressure" and g["n_steps"] == len(feet)
    assert abs(g["step_width_cm"]["mean"] - w.mean()) < 0.1
    assert abs(g["crossover_pct"] - 100 * np.mean(w <= 0)) < 0.01
    ic, to = np.array([threshold_times(f, 1.0) for f in feet]).T
    assert abs(g["cadence_spm"] - 60 * (len(ic) - 1) / (ic[-1] - ic[0])) < 0.2
    for side, sel in (("L", left), ("R", ~left)):
        assert abs(g["contact_time_ms"][side] - 1000 * np.mean((to - ic)[sel])) < 5
    for name, (on, off) in inp["emg_onsets"].items():
        e = m["emg"][name]
        assert e["n_cycles"] == 22
        assert abs(e["onset_ms"]["mean"] - on * 1000) < 10
        assert abs(e["offset_ms"]["mean"] - off * 1000) < 10
        assert abs(e["peak_pct_mvc"] - 40) < 2  # bursts 120 uV RMS vs 300 uV at MVC
    h = m["strength"]["hip_abduction"]
    for side in ("L", "R"):
        peaks = [pk for *_, s, pk in inp["trials"] if s == side]
        np.testing.assert_allclose(h[side]["trials_N"], peaks, atol=3)  # lbf → N, spike removed
        assert abs(h[side]["torque_Nm_per_kg"] - h[side]["peak_force_N"] * 0.42 / 62) < 1e-3
    assert abs(h["lsi_pct"] - h["R"]["peak_force_N"] / h["L"]["peak_force_N"] * 100) < 0.01
    with h5py.File(path, "r") as f:
        stored = json.loads(f["analysis"].attrs["metrics_json"])
        params = json.loads(f["analysis"].attrs["parameters_json"])
    assert stored == m
    assert params["pressure"]["threshold_ncm2"] == 1.0
    assert params["emg_streams"]["emg"]["mains_hz"] == 50.0
    assert "involved" in params["strength_lsi_basis"]
    with h5py.File(path, "r") as f:
        extras = json.loads(f["analysis"].attrs["extras_json"])
        ens = {k: (g["mean"][:], g["sd"][:], dict(g.attrs)) for k, g in
               f["analysis/ensemble"].items()}
    assert set(ens) == set(inp["emg_onsets"])
    for name, (on, off) in inp["emg_onsets"].items():
        mean, sd, attrs = ens[name]
        assert mean.shape == sd.shape == (101,) and attrs["unit"] == "%MVC"
        assert attrs["n_cycles"] >= 18
        stride = 2 * 0.36
        active = np.linspace(0, 100, 101) <= (off - 0.03) / stride * 100  # burst after IC
        pct = np.linspace(0, 100, 101)
        quiet = (pct >= (off + 0.08) / stride * 100) & (pct <= (1 + (on - 0.08) / stride) * 100)
        assert abs(np.median(mean[active]) - 40) < 5 and np.max(mean[quiet]) < 5
    st = extras["strength"]
    for side in ("L", "R"):
        best = h[side]["peak_force_N"]
        assert st[side]["peak_force_N"] == best
        assert abs(st[side]["torque_pct_bw_height"] - best * 0.42 / (62 * 9.80665 * 1.68) * 100) < 0.01
        assert all(pl <= pk + 0.5 for pl, pk in zip(st[side]["plateau_N"], h[side]["trials_N"],
                                                     strict=True))
        assert len(st[side]["rfd_N_per_s"]) == 3
    assert extras["emg_gmed_minus_tfl_onset_ms"] == {}  # no TFL channels in this session


def test_mvc_marker_trials_are_references(session_writer) -> None:
    # no dynamometer: "trial_start mvc <side>" marker trials give the MVC reference
    streams, inp = lab_streams(np.random.default_rng(12))
    streams = [s for s in streams if s.name != "dyn"]
    mk = next(s for s in streams if s.name == "markers")
    mk.data = np.array([str(v).replace("hip_abduction", "mvc") for v in mk.data])
    m = analyze_session(session_writer(streams, name="mvc.h5")).metrics
    for name in inp["emg_onsets"]:
        assert abs(m["emg"][name]["peak_pct_mvc"] - 40) < 2  # 120 uV bursts, 300 uV MVC
    assert m["strength"]["hip_abduction"]["L"]["peak_force_N"] is None


def test_analyze_table(lab: tuple[Path, dict]) -> None:
    r = CliRunner().invoke(analyze, [str(lab[0]), "--no-store"])
    assert r.exit_code == 0, r.output
    assert "GMED_L" in r.output and "LSI" in r.output and "source: pressure" in r.output


def test_missing_streams_give_nulls_with_reasons(tmp_path: Path) -> None:
    streams, _ = lab_streams(np.random.default_rng(2), with_pressure=False, with_markers=False)
    path = write_session(tmp_path / "s.h5", streams)
    r = CliRunner().invoke(analyze, [str(path), "--json"])
    m = json.loads(r.stdout)
    _contract_complete(m)
    assert m["gait"]["n_steps"] is None and m["gait"]["cadence_spm"] is None
    assert m["emg"]["GMED_L"]["onset_ms"]["mean"] is None
    assert m["strength"]["hip_abduction"]["L"]["peak_force_N"] is None
    r = CliRunner().invoke(analyze, [str(path)])
    assert "no pressure, force-treadmill or gait-event" in r.output
    assert "trials found in the force signal but their side is unknown" in r.output


def test_events_gait_source(session_writer) -> None:
    ic = 1.0 + np.arange(20) * 0.36
    t = np.r_[ic, ic + 0.25]
    lab = [f"IC {'L' if i % 2 == 0 else 'R'}" for i in range(20)]
    lab += [f"TO {'L' if i % 2 == 0 else 'R'}" for i in range(20)]
    o = np.argsort(t)
    mk = StreamArrays("foot_switch", "Markers", ["m"], [""], 0.0, t[o], np.array(lab)[o],
                      fmt="string")
    path = session_writer([mk], name="e.h5")
    m = json.loads(CliRunner().invoke(analyze, [str(path), "--json"]).stdout)
    assert m["gait"]["source"] == "events" and m["gait"]["n_steps"] == 20
    assert abs(m["gait"]["contact_time_ms"]["L"] - 250) < 1e-6
    assert m["gait"]["step_width_cm"]["mean"] is None


def _one_line_error(r, needle: str) -> None:
    assert r.exit_code != 0
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], r.output


def test_bad_inputs(tmp_path: Path) -> None:
    run = CliRunner().invoke
    _one_line_error(run(analyze, [str(tmp_path / "nope.h5")]), "no such file")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all" * 10)
    _one_line_error(run(analyze, [str(junk)]), "not an HDF5 file")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    _one_line_error(run(analyze, [str(other)]), "not a gaitlab session")
    bad = StreamArrays("emg", "EMG", ["GMED_L", "GMED_R"], ["uV", "uV"], 2000.0,
                       np.arange(100) / 2000, np.zeros((100, 2), np.float32))
    path = write_session(tmp_path / "shape.h5", [bad])
    with h5py.File(path, "a") as f:
        del f["streams/emg/data"]
        f["streams/emg/data"] = np.zeros((100, 3), np.float32)
    _one_line_error(run(analyze, [str(path)]), "stream 'emg'")


def test_nan_garbage_does_not_crash(tmp_path: Path) -> None:
    streams, _ = lab_streams(np.random.default_rng(5), with_pressure=False)
    for s in streams:
        if s.type in ("EMG", "Force"):
            s.data = s.data.copy()
            s.data[::7] = np.nan
    path = write_session(tmp_path / "n.h5", streams)
    r = CliRunner().invoke(analyze, [str(path), "--json"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)
    assert abs(m["strength"]["hip_abduction"]["L"]["peak_force_N"] - 175) < 5


KILLED_WRITER = """
import sys, os, h5py
f = h5py.File(sys.argv[1], "a", libver="latest")
f.swmr_mode = True
f.flush()
os.kill(os.getpid(), 9)
"""


def test_interrupted_recording_prints_but_does_not_store(tmp_path: Path) -> None:
    streams, _ = lab_streams(np.random.default_rng(6), with_pressure=False)
    path = write_session(tmp_path / "crash.h5", streams, complete=False)
    p = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)], check=False)
    assert p.returncode != 0  # the writer really died with the file open
    r = subprocess.run([sys.executable, "-c", "from gaitlab.analysis.cli import analyze; analyze()",
                        str(path), "--json"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["strength"]["hip_abduction"]["R"]["peak_force_N"] is not None
    assert "metrics not stored in the file" in r.stderr


def test_too_short_emg_gives_null_metrics_and_a_reason(tmp_path):
    import numpy as np

    from gaitlab.analysis import analyze_session

    t = 100 + np.arange(27) / 2000
    x = np.random.default_rng(0).normal(0, 1e-5, (27, 2)).astype(np.float32)
    p = write_session(tmp_path / "short.h5",
                      [StreamArrays("emg", "EMG", ["GMED_L", "GMED_R"], ["V", "V"], 2000.0, t, x)])
    res = analyze_session(p)
    assert res.metrics["emg"]["GMED_L"]["onset_ms"] == {"mean": None, "sd": None}
    assert "27 samples" in res.notes["emg.GMED_L"]
