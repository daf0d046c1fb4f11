"""Missing system libraries of Qt's xcb plugin: one line naming the Debian packages (issue #11, 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gaitlab.gui import qt_libs


def test_empty_library_dir_names_every_package(tmp_path: Path) -> None:
    missing = qt_libs.missing_xcb_libraries(qt_libs.finder_in([tmp_path]))
    assert "libxcb-cursor.so.0" in missing and "libxcb-icccm.so.4" in missing
    msg = qt_libs.missing_message(missing)
    assert "\n" not in msg
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in msg


def test_one_hidden_library_is_the_only_one_named(tmp_path: Path) -> None:
    for soname in qt_libs.SONAME_PACKAGES:
        if soname != "libxcb-keysyms.so.1":
            (tmp_path / soname).touch()
    find = qt_libs.finder_in([tmp_path])
    assert qt_libs.missing_xcb_libraries(find) == ["libxcb-keysyms.so.1"]
    with pytest.raises(qt_libs.QtLibrariesMissing, match=r"libxcb-keysyms\.so\.1; install them with: "
                       r"sudo apt install libxcb-keysyms1$"):
        os.environ["QT_QPA_PLATFORM"], old = "xcb", os.environ.get("QT_QPA_PLATFORM", "")
        try:
            qt_libs.check_qt_platform(find)
        finally:
            os.environ["QT_QPA_PLATFORM"] = old


def test_offscreen_and_wayland_are_not_checked() -> None:
    assert not qt_libs.uses_xcb({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"})
    assert not qt_libs.uses_xcb({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland",
                                 "DISPLAY": ":0"})
    assert qt_libs.uses_xcb({"QT_QPA_PLATFORM": "xcb"}) and qt_libs.uses_xcb({"DISPLAY": ":1"})
    assert not qt_libs.uses_xcb({})


def test_the_real_plugin_is_inspected() -> None:
    files = qt_libs.xcb_plugin_files()
    assert any(f.name == "libqxcb.so" for f in files)
    # every library ldd reports missing on this machine has a known package
    assert all(s in qt_libs.SONAME_PACKAGES for s in qt_libs.missing_xcb_libraries())


@pytest.mark.skipif(not qt_libs.missing_xcb_libraries(),
                    reason="this machine has every library of Qt's xcb plugin")
@pytest.mark.parametrize("args", [["--out-dir", "{tmp}"], ["--athletes", "--db", "{tmp}/r.sqlite"]])
def test_gui_on_a_desktop_without_xcb_libraries_says_one_line(tmp_path: Path, args: list[str]) -> None:
    # Fails on the old code: Qt printed its multi-line plugin message (and aborted).
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":99"
    r = subprocess.run([sys.executable, "-m", "gaitlab", "gui", *(a.format(tmp=tmp_path) for a in args)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("gaitlab gui: Qt cannot open a window: missing system libraries ")
    assert "sudo apt install " in lines[0] and "Traceback" not in r.stderr
    assert not list(tmp_path.glob("*.h5"))
