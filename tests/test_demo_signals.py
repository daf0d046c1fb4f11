"""`gaitlab demo` on SIGTERM: the session file is finished and the simulated lab stopped."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gaitlab.io.session import open_session

pytestmark = pytest.mark.lsl


def test_sigterm_finishes_the_file_and_stops_the_devices(proc_tree, tmp_path: Path) -> None:
    out = tmp_path / "demo.h5"
    demo = proc_tree.start([sys.executable, "-m", "gaitlab", "demo", "--out", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert demo.stdout is not None
    deadline = time.monotonic() + 120
    line = ""
    while "simulated lab running" not in line:
        assert time.monotonic() < deadline and demo.poll() is None, "the demo did not start"
        if select.select([demo.stdout], [], [], 1.0)[0]:
            line = demo.stdout.readline()
    time.sleep(2.0)  # some recording
    kids = proc_tree.descendants(demo.pid)
    assert len(kids) >= 4
    demo.send_signal(signal.SIGTERM)
    said, err = demo.communicate(timeout=60)
    assert demo.returncode == 130 and "Traceback" not in err, err[-2000:]
    assert "interrupted" in err + said
    assert proc_tree.wait_gone(kids, 2.5) is not None
    with open_session(out) as s:
        assert s.complete and s.by_role("emg")[0].n_samples > 0
