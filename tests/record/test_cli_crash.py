"""`gaitlab record` as a real subprocess: SIGKILL, SIGTERM, bad output paths, a full disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pylsl
import pytest

from gaitlab.errors import SessionFileError
from gaitlab.io.session import open_session, write_analysis

pytestmark = pytest.mark.lsl

RECORD = [sys.executable, "-m", "gaitlab.record", "record"]


def emg(uid: str, srate: float = 1000.0, **kw) -> dict:
    return dict(name=f"emg-{uid}", type="EMG", source_id=f"emg-{uid}", channels=4, srate=srate,
                labels=["GMED_L", "GMED_R", "TFL_L", "TFL_R"], units=["uV"] * 4, **kw)


def wait_for_samples(path: Path, n: int, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open_session(path) as s:
                if s.streams and min(st.n_samples for st in s.streams.values()) >= n:
                    return
        except SessionFileError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{path} did not reach {n} samples")


def test_sigkill_leaves_readable_file_then_repair(tmp_path: Path, uid: str, lsl_publisher) -> None:
    pub = lsl_publisher([emg(uid)])
    out = tmp_path / "killed.h5"
    proc = subprocess.Popen([*RECORD, "--out", str(out), "--source-id", f"emg-{uid}",
                             "--athlete", "default"], stderr=subprocess.PIPE, text=True)
    wait_for_samples(out, 1500)
    time.sleep(0.7)
    proc.send_signal(signal.SIGKILL)
    killed = pylsl.local_clock()
    proc.wait(timeout=10)
    pub.kill()

    with open_session(out) as s:
        assert not s.complete and s.athlete["id"] == "demo-001"
        (st,) = s.by_role("emg")
        x = st.read(si=False)[:, 0].astype(np.int64)
        np.testing.assert_array_equal(np.diff(x), 1)
        # the publisher had pushed sample i at t0 + i/srate: data reach within 1 s of the kill
        last_pushed_at = pub.t0[f"emg-{uid}"] + x[-1] / 1000.0
        assert killed - last_pushed_at < 1.0
        np.testing.assert_allclose(st.time_stamps, pub.t0[f"emg-{uid}"] + x / 1000.0, atol=1e-3)
        n_before = st.n_samples

    with pytest.raises(SessionFileError, match="gaitlab repair"):
        write_analysis(out, {"m": 1}, {"p": 2})
    r = subprocess.run([sys.executable, "-m", "gaitlab.record", "repair", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    write_analysis(out, {"m": 1}, {"p": 2})
    with open_session(out) as s:
        (st,) = s.by_role("emg")
        assert st.n_samples == n_before and not s.complete
        assert "repaired_utc" in s.attrs and "analysis" in s.file


def test_sigterm_stops_cleanly(tmp_path: Path, uid: str, lsl_publisher) -> None:
    lsl_publisher([emg(uid, 500.0)])
    out = tmp_path / "term.h5"
    proc = subprocess.Popen([*RECORD, "--out", str(out), "--source-id", f"emg-{uid}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_samples(out, 300)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0, stderr
    assert "complete" in stdout and f"emg-{uid}" in stdout
    with open_session(out) as s:
        assert s.complete
        assert s.by_role("emg")[0].n_samples >= 300


@pytest.mark.parametrize("case", ["missing_folder", "exists", "folder"])
def test_bad_output_is_one_line_error(tmp_path: Path, case: str) -> None:
    target = {"missing_folder": tmp_path / "nope" / "s.h5", "exists": tmp_path / "s.h5",
              "folder": tmp_path}[case]
    if case == "exists":
        target.write_bytes(b"keep me")
    r = subprocess.run([*RECORD, "--out", str(target), "--duration", "1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(err) == 1 and str(target) in err[0]
    if case == "exists":
        assert target.read_bytes() == b"keep me"


def test_full_disk_stops_with_readable_file(uid: str, lsl_publisher) -> None:
    """A real full disk (a 1 MiB tmpfs): one-line error, exit != 0, flushed data readable."""
    mnt = Path(tempfile.mkdtemp(prefix="gaitlab-full-"))
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        os.rmdir(mnt)
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        # 32 channels of noise at 1 kHz (~128 kB/s, incompressible) fill 1 MiB in seconds
        pub = lsl_publisher([emg(uid, 1000.0, noise=True) | {"channels": 32,
                                                                "labels": None, "units": None}])
        out = mnt / "full.h5"
        r = subprocess.run([*RECORD, "--out", str(out), "--source-id", f"emg-{uid}",
                            "--duration", "20"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, r.stderr[-2000:]
        assert "Traceback" not in r.stderr
        err = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
        assert len(err) == 1 and "disk full" in err[0]
        with open_session(out) as s:
            (st,) = s.streams.values()
            x = st.read(si=False)[:, 0].astype(np.int64)
            assert st.n_samples > 1000 and not s.complete
            np.testing.assert_array_equal(np.diff(x), 1)  # rows past the flush mark are cut
            np.testing.assert_allclose(st.time_stamps, pub.t0[f"emg-{uid}"] + x / 1000.0, atol=1e-3)
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        os.rmdir(mnt)


def test_bad_strength_order_is_one_line_error(tmp_path: Path) -> None:
    r = subprocess.run([*RECORD, "--out", str(tmp_path / "s.h5"), "--duration", "1",
                        "--strength-order", "LXR"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(err) == 1 and "--strength-order" in err[0]
    assert not (tmp_path / "s.h5").exists()
