"""The session console driven with pytest-qt while the virtual athlete streams over LSL."""

from __future__ import annotations

import uuid

import h5py
import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.sim import start_sim
from gaitlab.gui.console import SessionConsole
from gaitlab.io.session import open_session
from gaitlab.live import LabMonitor
from gaitlab.protocols import load_protocol
from gaitlab.record.filters import StreamFilter

pytestmark = pytest.mark.lsl


@pytest.fixture
def lab(tmp_path, qtbot):
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    h = start_sim(load_profile("default"), load_protocol("demo"), seed=5,
                  instance=f"gui-{uuid.uuid4().hex[:10]}", lead_s=0.5, max_duration_s=14.0)
    ids = tuple(h.source_ids.values())
    mon = LabMonitor(StreamFilter(source_ids=ids)).start()
    win = SessionConsole(mon, tmp_path)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    # the panel shows this test's streams only (the monitor's filter); Record records exactly
    # those, plus the console's own marker stream (not in this panel): never other streams
    # on the network
    yield h, mon, win
    win.close()
    mon.stop()
    h.stop()


def test_console_shows_streams_draws_records_and_summarises(lab, qtbot, tmp_path) -> None:
    _h, _mon, win = lab
    qtbot.waitUntil(lambda: win.table.rowCount() == 4, timeout=10000)
    qtbot.waitUntil(lambda: all(win.table.item(i, 7).text() == "ok" for i in range(4)), timeout=10000)
    roles = sorted(win.table.item(i, 1).text() for i in range(4))
    assert roles == ["dynamometer", "emg", "markers", "pressure"]
    # EMG curves per muscle, stacked per side, decimated before drawing
    qtbot.waitUntil(lambda: len(win.emg.curves) == 6, timeout=5000)
    raw, _env = win.emg.curve("GMED_R")
    qtbot.waitUntil(lambda: raw.getData()[0] is not None and np.ptp(raw.getData()[0]) > 1.5,
                    timeout=5000)  # over 1.5 s of EMG on screen
    x, y = raw.getData()
    received = _mon.emg_view(5.0)
    assert received is not None
    # min/max decimation: at most 2 points per pixel column, far fewer than the samples held
    assert len(x) <= 2 * max(200, win.emg_plot.width() // 2) < received.t.size
    assert np.all(np.isfinite(y)) and np.ptp(y) > 0  # a live signal in µV, not a flat line
    # record a few seconds in the background: the UI keeps redrawing meanwhile
    win.side.setCurrentText("R")
    win.visit.setCurrentText("reassessment")
    win.phase.setCurrentText("strengthening")
    win.start_record(tmp_path / "s.h5")
    n0 = win.frames
    qtbot.wait(2500)
    assert win.frames - n0 > 40  # ~30 ms timer keeps ticking while recording
    assert "recording" in win.rec_label.text() and "MB" in win.rec_label.text()
    qtbot.keyClick(win, QtCore.Qt.Key.Key_F1)  # marker shortcut
    win.send_marker("note squat")
    qtbot.waitUntil(lambda: win.strength.state == "idle" and "trial 1" in win.s_label.text(),
                    timeout=2000)
    qtbot.wait(1500)
    win.stop_record()
    qtbot.waitUntil(lambda: "saved" in win.rec_label.text(), timeout=15000)
    qtbot.waitUntil(lambda: win.summary.toPlainText() not in ("", "analysing…"), timeout=30000)
    assert "analysis failed" not in win.summary.toPlainText()
    with open_session(tmp_path / "s.h5") as s:
        assert s.complete
        assert s.athlete["involved_side"] == "R"
        texts = []
        for st in s.by_role("markers"):
            texts += [str(v[0]) for v in st.read()]
        assert "IC L" in texts and "note squat" in texts
    with h5py.File(tmp_path / "s.h5", "r") as f:
        assert f.attrs["visit"] == "reassessment" and f.attrs["rehab_phase"] == "strengthening"
    lat = np.asarray(win.latencies)
    assert lat.size > 50 and np.median(lat) < 0.1


def test_biofeedback_window_and_targets_persist(lab, qtbot, tmp_path) -> None:
    _h, _mon, win = lab
    win.t_cad.setValue(175.0)
    win.t_met.setChecked(True)
    win.feedback.show()
    qtbot.waitUntil(lambda: "latency" in win.feedback.debug.text() and "n=0" not in
                    win.feedback.debug.text(), timeout=5000)
    assert win.feedback.targets.cadence_spm == 175.0
    assert win.t_gmed.value() == win.targets.gmed_onset_ms < 0  # spin-box range set before value
    assert win.settings.fileName().startswith(str(tmp_path))  # never the user's real settings
    assert float(win.settings.value("targets/cadence_spm")) == 175.0
    win.feedback.toggle_full()
    assert win.feedback.isFullScreen()


def test_an_unexpected_recorder_error_is_one_line_and_not_analysed(qtbot, tmp_path, uid, lsl_publisher,
                                                                  monkeypatch) -> None:
    """A recorder thread that dies of something other than a GaitlabError (a bug, an HDF5
    surprise) must not be reported as saved, nor analysed."""
    from gaitlab.record.recorder import Recorder

    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    sid = f"dyn-{uid}"
    lsl_publisher([{"name": f"Force-{uid}", "type": "Force", "source_id": sid, "channels": 1,
                    "srate": 100.0, "labels": ["force"], "units": ["N"]}])
    calls = {"n": 0}
    pull_all = Recorder._pull_all

    def failing_pull_all(self, connector) -> None:  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 20:  # after some real recording
            raise ValueError("unexpected state\nsecond line of detail")
        pull_all(self, connector)

    monkeypatch.setattr(Recorder, "_pull_all", failing_pull_all)
    with LabMonitor(StreamFilter(source_ids=(sid,))) as mon:
        win = SessionConsole(mon, tmp_path)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.table.rowCount() == 1, timeout=10000)
        QTest.mouseClick(win.rec_button, QtCore.Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.rec_button.text() == "Record", timeout=10000)
        text = win.rec_label.text()
        assert text.startswith("recording failed (ValueError: unexpected state)") and "\n" not in text
        assert "saved" not in text and "record again" in text
        assert win.summary.toPlainText() == "" and win.tabs.currentWidget() is not win.summary
        assert win.rec_button.isEnabled()
        win.close()
