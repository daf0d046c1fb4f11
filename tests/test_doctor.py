"""``gaitlab doctor``: each check against the real thing (LSL on loopback, a read-only folder,
a damaged registry, a live simulated lab)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gaitlab import doctor


@contextlib.contextmanager
def read_only_folder(base: Path) -> Iterator[Path]:
    """A folder nobody can write to: a read-only tmpfs as root (root ignores modes), else 0o500."""
    ro = base / "ro"
    ro.mkdir()
    if os.geteuid() == 0:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a read-only tmpfs as root here: {r.stderr.strip()}")
        try:
            yield ro
        finally:
            subprocess.run(["umount", str(ro)], check=True)
    else:
        ro.chmod(0o500)
        try:
            yield ro
        finally:
            ro.chmod(0o700)


def corrupt_registry(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE athletes (id TEXT PRIMARY KEY, name TEXT)")
    con.executemany("INSERT INTO athletes VALUES (?, ?)", [(f"a{i}", "x" * 500) for i in range(200)])
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    data = bytearray(path.read_bytes())
    data[4096: 4096 + 64] = b"\x0d" + b"\xff" * 63  # the second page: a b-tree header of garbage
    path.write_bytes(bytes(data))
    return path


@pytest.mark.lsl
def test_lsl_loopback_round_trip() -> None:
    c = doctor.check_lsl_loopback()
    assert c.ok, c.line()


def test_lsl_lan_is_an_info_never_a_failure() -> None:
    c = doctor.check_lsl_lan()
    assert c.ok and c.info
    assert os.environ["LSLAPICFG"].endswith("lsl_api.cfg")


def test_write_access(tmp_path: Path) -> None:
    assert doctor.check_write(tmp_path).ok
    assert not list(tmp_path.iterdir())  # the probe file is gone
    with read_only_folder(tmp_path) as ro:
        c = doctor.check_write(ro)
    assert not c.ok and "cannot write session files there" in c.line() and "\n" not in c.line()


def test_disk_states_hours_of_recording(tmp_path: Path) -> None:
    ok = doctor.check_disk(tmp_path)
    assert ok.ok and " h of full-lab recording at " in ok.info
    low = doctor.check_disk(tmp_path / "not" / "yet", low=1 << 62)  # more than any disk
    assert not low.ok and "free space" in low.fix
    # EMG 6 ch x 2 kHz, pressure 128 x 42 at 120 Hz, force at 100 Hz: float32 + float64 stamps
    assert doctor.full_lab_bytes_per_s() == pytest.approx(2000 * 32 + 120 * (4 * 5376 + 8) + 100 * 12)


def test_registry(tmp_path: Path) -> None:
    from gaitlab.registry.db import open_registry

    assert doctor.check_registry(tmp_path / "none.sqlite").ok
    assert not (tmp_path / "none.sqlite").exists()  # doctor creates nothing
    with open_registry(tmp_path / "good.sqlite") as reg:
        reg.add_athlete("A1", "Ann")
    good = doctor.check_registry(tmp_path / "good.sqlite")
    assert good.ok and "schema 2, intact" in good.info
    bad = doctor.check_registry(corrupt_registry(tmp_path / "bad.sqlite"))
    assert not bad.ok and "damaged" in bad.problem
    (tmp_path / "text.sqlite").write_text("hello")
    assert "not an SQLite database" in doctor.check_registry(tmp_path / "text.sqlite").problem


@pytest.mark.lsl
def test_a_running_simulated_lab_is_listed_with_its_pid(tmp_path: Path) -> None:
    sim = subprocess.Popen([sys.executable, "-m", "gaitlab", "sim", "--duration", "60"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            c = doctor.check_leftovers()
            if f"pid {sim.pid} " in c.problem:
                break
            time.sleep(0.5)
        assert not c.ok and str(sim.pid) in c.fix.split(), c.line()
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    assert f"pid {sim.pid} " not in doctor.check_leftovers().problem


def test_cli_one_line_per_problem(tmp_path: Path) -> None:
    env = dict(os.environ, GAITLAB_HOME=str(tmp_path / "home"))
    db = corrupt_registry(tmp_path / "bad.sqlite")
    with read_only_folder(tmp_path) as ro:
        r = subprocess.run([sys.executable, "-m", "gaitlab", "doctor", "--out-dir", str(ro), "--db", str(db)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert [ln.split(":")[0] for ln in lines].count("write") == 1
    assert [ln.split(":")[0] for ln in lines].count("registry") == 1
    assert all("; fix: " in ln for ln in lines) and "Traceback" not in r.stderr
    assert "all " not in r.stdout


def test_cli_all_passed_on_a_clean_folder(tmp_path: Path) -> None:
    checks = doctor.run_checks(tmp_path, tmp_path / "r.sqlite")
    names = [c.name for c in checks]
    assert names == ["qt-xcb", "qt-offscreen", "display", "lsl-loopback", "lsl-lan", "disk", "write",
                     "registry", "processes"]
    assert all(c.ok for c in checks if c.name not in ("qt-xcb", "processes")), [c.line() for c in checks]
