"""`gaitlab gui` on a machine without a screen answers in one line instead of aborting in Qt."""

import os
import subprocess
import sys


def test_no_display_is_a_one_line_error():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "gaitlab", "gui"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [lines[0]] and lines[0].startswith("Error: no display")
