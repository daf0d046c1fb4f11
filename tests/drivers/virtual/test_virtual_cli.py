"""``gaitlab sim`` as a real subprocess: bad input and clean stopping."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

RUN_SIM = "from gaitlab.drivers.virtual.cli import sim; sim(prog_name='gaitlab sim')"


def _sim(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", RUN_SIM, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--athlete", "/nonexistent/athlete.toml"], "no such athlete profile"),
        (["--protocol", "nope"], "no such protocol"),
        (["--devices", "emg,radar"], "unknown device(s) radar"),
    ],
)
def test_bad_input_is_one_line_error(args: list[str], fragment: str) -> None:
    proc = _sim(*args, "--quiet")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.lsl
def test_sigterm_stops_children_cleanly(tmp_path: Path) -> None:
    truth = tmp_path / "truth.json"
    proc = _sim("--protocol", "run", "--duration", "30", "--instance", uuid.uuid4().hex,
                "--devices", "emg,markers", "--truth", str(truth))
    deadline = time.monotonic() + 30
    while not truth.exists() and time.monotonic() < deadline:  # written once t0 is set
        time.sleep(0.1)
    assert truth.exists()
    assert json.loads(truth.read_text())["duration_s"] == 30.0
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Traceback" not in err and "stopped" in err
    assert "sim: athlete demo-001, protocol run" in out
