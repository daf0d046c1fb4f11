"""EMG montage correction from the console: the stream row's context menu → Montage…,
checked, applied live, and written into the recording so `gaitlab analyze` uses it."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gaitlab.analysis import analyze_session
from gaitlab.gui.console import SessionConsole
from gaitlab.io.session import open_session
from gaitlab.live import LabMonitor
from gaitlab.record.filters import StreamFilter

pytestmark = pytest.mark.lsl

LABELS = ["EMG1", "EMG2", "EMG3", "EMG4"]


def test_montage_from_the_stream_menu_is_applied_live_and_recorded(qtbot, tmp_path, uid,
                                                                   lsl_publisher) -> None:
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    sid = f"emg-{uid}"
    lsl_publisher([{"name": f"Trigno-{uid}", "type": "EMG", "source_id": sid, "channels": 4,
                    "srate": 500.0, "labels": LABELS, "units": ["uV"] * 4, "noise": True}])
    with LabMonitor(StreamFilter(source_ids=(sid,))) as mon:
        win = SessionConsole(mon, tmp_path)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.table.rowCount() == 1 and len(win.emg.curves) == 4, timeout=10000)
        assert win.emg.labels == LABELS
        QTest.mouseClick(win.rec_button, QtCore.Qt.MouseButton.LeftButton)
        # both streams (the EMG and the console's markers) are in the recording
        qtbot.waitUntil(lambda: "2 of 2 streams" in win.rec_label.text(), timeout=10000)
        menu = win.stream_menu(0)
        action = next(a for a in menu.actions() if a.text() == "Montage…")
        assert action.isEnabled()
        action.trigger()
        dlg = win.montage_dialog
        assert dlg is not None and dlg.isVisible() and list(dlg.edits) == LABELS
        # a typo is refused in one line and nothing changes
        for lab, name in zip(LABELS, ["GMED_L", "GMED_R", "TFL_L", "TFL"], strict=True):
            dlg.edits[lab].setText(name)
        QTest.mouseClick(_save_button(dlg), QtCore.Qt.MouseButton.LeftButton)
        assert "TFL" in dlg.error.text() and "MUSCLE_SIDE" in dlg.error.text() and dlg.isVisible()
        assert "\n" not in dlg.error.text() and mon.montage(mon.keys()[0]) == {}
        dlg.edits["EMG4"].setText("tfl_r")
        QTest.mouseClick(_save_button(dlg), QtCore.Qt.MouseButton.LeftButton)
        assert not dlg.isVisible()
        # applied live: the EMG tab is redrawn with the muscle names, per side
        qtbot.waitUntil(lambda: win.emg.labels == ["GMED_L", "GMED_R", "TFL_L", "TFL_R"], timeout=5000)
        assert "written into the recording" in win.statusBar().currentMessage()
        qtbot.wait(500)
        QTest.mouseClick(win.rec_button, QtCore.Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "saved" in win.rec_label.text(), timeout=15000)
        path = win.record_path
        win.close()
    with open_session(path) as s:
        (emg,) = s.by_role("emg")
        assert emg.montage == {"EMG1": "GMED_L", "EMG2": "GMED_R", "EMG3": "TFL_L", "EMG4": "TFL_R"}
    res = analyze_session(path)
    assert sorted(res.metrics["emg"]) == ["GMED_L", "GMED_R", "TFL_L", "TFL_R"]


def _save_button(dlg) -> QtWidgets.QPushButton:  # type: ignore[no-untyped-def]
    box = dlg.findChild(QtWidgets.QDialogButtonBox)
    return box.button(QtWidgets.QDialogButtonBox.StandardButton.Save)
