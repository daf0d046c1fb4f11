"""Console set-up without a lab: the involved side follows the athlete, and the layout, the
last athlete and the current tab persist in QSettings (a temporary settings file)."""

from __future__ import annotations

import uuid

import pytest
from PySide6 import QtCore

from gaitlab.gui.app import open_console
from gaitlab.gui.console import SessionConsole
from gaitlab.live import LabMonitor
from gaitlab.record.filters import StreamFilter


@pytest.fixture
def settings_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GAITLAB_HOME", str(tmp_path / "home"))  # no athletes of this machine
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    return tmp_path / "settings"


def _console(qtbot, tmp_path) -> SessionConsole:  # type: ignore[no-untyped-def]
    # a monitor that matches no stream: these tests need no lab
    mon = LabMonitor(StreamFilter(source_ids=(f"none-{uuid.uuid4().hex}",)))
    win = open_console(mon, tmp_path)
    qtbot.addWidget(win)
    return win


def test_involved_side_follows_the_athlete(qtbot, tmp_path, settings_dir) -> None:
    win = _console(qtbot, tmp_path)
    assert [win.side.itemText(i) for i in range(win.side.count())] == ["L", "R", "none"]
    win.athlete_combo.setCurrentText("healthy")  # a healthy control: no involved side
    assert win.side.currentText() == "none" and win.profile().athlete.involved_side == ""
    win.athlete_combo.setCurrentText("default")  # right-sided ITBS
    assert win.side.currentText() == "R" and win.profile().athlete.involved_side == "R"
    win.side.setCurrentText("L")  # the clinician may still correct it for this session
    assert win.profile().athlete.involved_side == "L"
    win.athlete_combo.setCurrentText("healthy")
    assert win.side.currentText() == "none"
    win.close()


def test_layout_athlete_and_tab_persist_across_restarts(qtbot, tmp_path, settings_dir) -> None:
    win = _console(qtbot, tmp_path)
    assert (win.width(), win.height()) == (1400, 900)  # first start: the default size
    win.athlete_combo.setCurrentText("healthy")  # remembered when picked, not only on Record
    assert win.settings.value("athlete/last") == "healthy"
    win.resize(711, 533)  # inside the offscreen screen (restoreGeometry keeps windows on it)
    size = (win.width(), win.height())
    assert size[0] == 711
    win.tabs.setCurrentIndex(2)  # Gait
    win.feedback_button.click()
    fb = win.feedback
    qtbot.waitExposed(fb)
    fb.setGeometry(60, 70, 640, 360)
    qtbot.waitUntil(lambda: fb.width() == 640, timeout=3000)
    normal = fb.geometry()
    fb.toggle_full()
    qtbot.waitUntil(fb.isFullScreen, timeout=3000)
    screen = fb.screen().name()
    win.close()
    assert settings_dir.is_dir() and any(settings_dir.rglob("*.ini"))

    win2 = _console(qtbot, tmp_path)
    assert win2.athlete_combo.currentText() == "healthy" and win2.side.currentText() == "none"
    assert win2.tabs.tabText(win2.tabs.currentIndex()) == "Gait"
    assert (win2.width(), win2.height()) == size  # not overwritten by a default size
    fb2 = win2.feedback
    qtbot.waitUntil(fb2.isVisible, timeout=3000)  # it was open: it opens again, full screen
    assert fb2.isFullScreen() and fb2.screen().name() == screen
    fb2.toggle_full()
    qtbot.waitUntil(lambda: not fb2.isFullScreen() and fb2.width() == 640, timeout=3000)
    assert fb2.geometry() == normal  # its normal place and size
    win2.close()
