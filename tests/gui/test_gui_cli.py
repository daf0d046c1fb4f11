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
    from gaitlab.gui.athlete_dialog import NewAthleteDialog, athlete_files

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


def test_simulate_without_a_screen_runs_the_demo_with_out_dir_and_protocol(tmp_path):
    """Headless `gaitlab gui --simulate` runs `gaitlab demo`, into --out-dir, with --protocol."""
    proto = tmp_path / "short.toml"
    proto.write_text('[protocol]\nname = "short-run"\ndescription = "6 s run"\n\n'
                     '[run]\nduration_s = 6.0\nsettle_s = 0.5\n')
    out_dir = tmp_path / "sessions" / "today"  # created if missing
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "gaitlab", "gui", "--simulate", "--out-dir",
                           str(out_dir), "--protocol", str(proto)], env=env, capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "protocol '" in proc.stdout and "short.toml" in proc.stdout
    files = list(out_dir.glob("gaitlab-demo-*.h5"))
    assert len(files) == 1 and not list(tmp_path.glob("*.h5"))
    from gaitlab.io.session import open_session

    with open_session(files[0]) as s:
        (pressure,) = s.by_role("pressure")
        assert s.complete and pressure.n_samples > 6.0 * 100  # the 6 s run of the given protocol
