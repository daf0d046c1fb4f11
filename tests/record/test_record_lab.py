"""One lab per session, with real LSL streams and the real `gaitlab` CLI: a second set of
streams of the same roles (another lab PC, a simulator left running) is never recorded
beside ours, and the analysis never merges or guesses between two streams of one role."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from gaitlab.errors import SessionFileError
from gaitlab.io.session import open_session

pytestmark = pytest.mark.lsl

GAITLAB = [sys.executable, "-m", "gaitlab"]


def emg(name: str, sid: str) -> dict:
    return dict(name=name, type="EMG", source_id=sid, channels=4, srate=500.0,
                labels=["GMED_L", "GMED_R", "TFL_L", "TFL_R"], units=["uV"] * 4)


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*GAITLAB, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def two_labs(uid: str, lsl_publisher) -> tuple[str, str, str]:
    """Two EMG streams with one name (two rooms running the same software); returns
    (name, our source_id, the other lab's source_id)."""
    name = f"emg-{uid}"
    ours, theirs = f"room1-{uid}", f"room2-{uid}"
    lsl_publisher([emg(name, ours)])
    lsl_publisher([emg(name, theirs)])
    return name, ours, theirs


def test_record_refuses_two_streams_for_one_role(tmp_path: Path, two_labs) -> None:
    name, ours, theirs = two_labs
    out = tmp_path / "s.h5"
    r = run("record", "--out", str(out), "--duration", "2", "--name", name)
    assert r.returncode != 0
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("Error: 2 streams would serve one EMG role"), r.stderr
    assert ours in err[0] and theirs in err[0] and "--lab" in err[0] and "--source-id" in err[0]
    assert "Traceback" not in r.stderr and not out.exists()


def test_lab_profile_records_only_this_labs_devices(tmp_path: Path, two_labs) -> None:
    name, ours, theirs = two_labs
    prof = tmp_path / "lab.toml"
    r = run("lab", "init", "--out", str(prof), "--name", name)
    assert r.returncode != 0 and ours in r.stderr and theirs in r.stderr  # it cannot choose either
    r = run("lab", "init", "--out", str(prof), "--name", name, "--source-id", ours,
            "--lab-name", "room 1")
    assert r.returncode == 0, r.stderr
    assert ours in prof.read_text() and theirs not in prof.read_text()
    out = tmp_path / "s.h5"
    r = run("record", "--out", str(out), "--duration", "2.5", "--lab", str(prof), "--name", name)
    assert r.returncode == 0, r.stderr
    assert f"source_id {theirs}" in r.stdout + r.stderr  # said why it is left out
    with open_session(out) as s:
        assert [st.spec.source_id for st in s.streams.values()] == [ours]
        assert s.streams[next(iter(s.streams))].n_samples > 500
        assert s.device_choice() == {"emg": list(s.streams)}
    with h5py.File(out, "r") as f:
        assert f.attrs["lab_name"] == "room 1" and ours in f.attrs["lab_profile_toml"]
        ignored = json.loads(f.attrs["ignored_streams_json"])
        assert [i["source_id"] for i in ignored] == [theirs]


def test_analysis_never_merges_two_streams_of_one_role(tmp_path: Path, two_labs) -> None:
    _name, ours, theirs = two_labs
    out = tmp_path / "both.h5"
    # named one by one, both are recorded: the user's explicit choice
    r = run("record", "--out", str(out), "--duration", "2", "--source-id", ours,
            "--source-id", theirs)
    assert r.returncode == 0, r.stderr
    with open_session(out) as s:
        keys = sorted(s.streams)
        assert len(keys) == 2
        with pytest.raises(SessionFileError, match="2 emg streams"):
            s.by_role("emg")
    r = run("analyze", str(out), "--no-store")
    assert r.returncode != 0
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and "--device emg=" in err[0] and ours in err[0] and theirs in err[0]
    r = run("analyze", str(out), "--no-store", "--json", "--device", f"emg={keys[1]}")
    assert r.returncode == 0, r.stderr
    with open_session(out) as s:
        s.use_devices({"emg": keys[1]})
        assert [st.key for st in s.by_role("emg")] == [keys[1]]
        with pytest.raises(SessionFileError, match="no stream"):
            s.use_devices({"emg": "nope"})
