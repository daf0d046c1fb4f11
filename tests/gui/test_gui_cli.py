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


def test_new_athlete_dialog_saves_a_profile(qtbot, tmp_path, monkeypatch):
    from gaitlab.athlete import load_profile
    from gaitlab.gui.console import NewAthleteDialog, athlete_files

    monkeypatch.setenv("GAITLAB_HOME", str(tmp_path))
    dlg = NewAthleteDialog()
    qtbot.addWidget(dlg)
    dlg.id.setText("bad id!")
    dlg.save()
    assert dlg.saved is None and "athlete id" in dlg.error.text()
    dlg.id.setText("clinic-042")
    dlg.mass.setValue(66.0)
    dlg.involved.setCurrentText("L")
    dlg.save()
    assert dlg.saved == tmp_path / "athletes" / "clinic-042.toml"
    prof = load_profile(dlg.saved)
    assert prof.athlete.body_mass_kg == 66.0 and prof.athlete.involved_side == "L"
    assert dlg.saved in athlete_files()
