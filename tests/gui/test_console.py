"""The session console driven with pytest-qt through its real controls (mouse clicks, keys)
while the virtual athlete streams over LSL."""

from __future__ import annotations

import re
import uuid

import h5py
import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.sim import start_sim
from gaitlab.errors import GaitlabError
from gaitlab.gui.console import COLUMNS, SessionConsole
from gaitlab.gui.feedback import WIDTH_COLOUR
from gaitlab.io.session import open_session
from gaitlab.live import LabMonitor
from gaitlab.live.feedback import width_status
from gaitlab.protocols import load_protocol
from gaitlab.record.filters import StreamFilter

pytestmark = pytest.mark.lsl

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def lab(tmp_path, qtbot, monkeypatch):
    monkeypatch.setenv("GAITLAB_HOME", str(tmp_path / "home"))
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    # the virtual athlete running on the pressure treadmill, EMG on, dynamometer idle
    h = start_sim(load_profile("default"), load_protocol("run"), seed=5,
                  instance=f"gui-{uuid.uuid4().hex[:10]}", lead_s=0.5, max_duration_s=40.0)
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


def _click_tab(win: SessionConsole, name: str) -> None:
    bar = win.tabs.tabBar()
    i = [win.tabs.tabText(k) for k in range(win.tabs.count())].index(name)
    QTest.mouseClick(bar, LEFT, pos=bar.tabRect(i).center())
    assert win.tabs.currentIndex() == i


def _button(win: SessionConsole, text: str) -> QtWidgets.QPushButton:
    return next(b for b in win.findChildren(QtWidgets.QPushButton) if b.text() == text)


def _number(text: str, row: str) -> float:
    """The first number on the summary line that starts with ``row``."""
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(row))
    return float(re.search(r"[-+]?\d+(\.\d+)?", line[len(row) + 2:]).group())


def test_console_driven_by_its_controls_records_the_panel_and_summarises(lab, qtbot, tmp_path, uid,
                                                                         lsl_publisher) -> None:
    h, mon, win = lab
    # a stream of someone else's on the same network: not in this panel, so never recorded
    lsl_publisher([{"name": f"other-{uid}", "type": "Markers", "source_id": f"other-{uid}",
                    "channels": 1, "srate": 0, "fmt": "string", "marker_rate": 5.0}])
    qtbot.waitUntil(lambda: win.table.rowCount() == 5, timeout=10000)
    qtbot.waitUntil(lambda: all(win.table.item(i, 7).text() == "ok" for i in range(5)), timeout=10000)
    roles = sorted(win.table.item(i, 1).text() for i in range(5))
    assert roles == ["dynamometer", "emg", "imu", "markers", "pressure"]
    # EMG per muscle, left column left side, decimated before drawing
    qtbot.waitUntil(lambda: len(win.emg.curves) == 6, timeout=5000)
    raw, _env = win.emg.curve("GMED_R")
    qtbot.waitUntil(lambda: raw.getData()[0] is not None and np.ptp(raw.getData()[0]) > 1.5,
                    timeout=5000)  # over 1.5 s of EMG on screen
    x, y = raw.getData()
    received = mon.emg_view(5.0)
    assert received is not None
    # min/max decimation: at most 2 points per pixel column, far fewer than the samples held
    assert len(x) <= 2 * max(200, win.emg_plot.width() // 2) < received.t.size
    assert np.all(np.isfinite(y)) and np.ptp(y) > 0  # a live signal in µV, not a flat line
    # session set-up with the keyboard: the involved side follows the athlete (R)
    assert win.athlete_combo.currentText() == "default" and win.side.currentText() == "R"
    for combo, text in ((win.visit, "reassessment"), (win.phase, "strengthening")):
        combo.setFocus()
        QTest.keyClicks(combo, text[:5])
        assert combo.currentText() == text
    QTest.mouseClick(win.rec_button, LEFT)
    assert win.rec_button.text() == "Stop"
    n0 = win.frames
    # the four streams of the panel and the console's markers are being recorded, and the UI
    # keeps redrawing meanwhile
    qtbot.waitUntil(lambda: "6 of 6 streams" in win.rec_label.text(), timeout=10000)
    steps0 = len(mon.gait_view().steps)  # counted from here: the file holds every step after it
    qtbot.waitUntil(lambda: win.frames - n0 > 40, timeout=10000)
    # sensor-to-paint latencies of the EMG and force traces pile up while their tab is shown
    qtbot.waitUntil(lambda: win.latencies.size > 50, timeout=20000)
    assert re.match(r"recording \d+ s, \d+\.\d\d MB, 6 of 6 streams", win.rec_label.text())
    QTest.keyClick(win, QtCore.Qt.Key.Key_F1)  # marker shortcuts and buttons
    QTest.mouseClick(_button(win, "IC R (F2)"), LEFT)
    QTest.keyClick(win, QtCore.Qt.Key.Key_F3)
    assert win.sent_markers[-3:] == ["IC L", "IC R", "note"]
    # the Gait tab: heat map with its colour bar and units, steps coloured like the athlete's
    _click_tab(win, "Gait")
    gait = win.gait
    assert tuple(gait.colour_bar.levels()) == (0.0, 30.0)
    assert "N/cm²" in gait.colour_bar.getAxis("left").labelText
    for ax in ("bottom", "left"):
        assert gait.heat_plot.getAxis(ax).labelUnits == "m"
    assert gait.width_plot.getAxis("left").labelUnits == "cm"
    qtbot.waitUntil(lambda: gait.width_curve.getData()[1] is not None
                    and gait.width_curve.getData()[1].size >= 15, timeout=20000)
    widths = gait.width_curve.getData()[1]
    expected = [pg.mkColor(WIDTH_COLOUR[width_status(float(w), win.targets)]).name() for w in widths]
    assert gait.point_colours == expected
    assert pg.mkColor(WIDTH_COLOUR["crossover"]).name() in expected  # this athlete crosses over
    qtbot.waitUntil(lambda: win.gait_widget.paint_clock.painted > 0 and "gait" in win.status_label.text(),
                    timeout=5000)  # the Gait tab's frame rate and latency are measured too
    qtbot.waitUntil(lambda: len(mon.gait_view().steps) >= steps0 + 30, timeout=30000)  # ~11 s run
    QTest.mouseClick(win.rec_button, LEFT)  # Stop
    qtbot.waitUntil(lambda: "saved" in win.rec_label.text(), timeout=15000)
    qtbot.waitUntil(lambda: win.summary.toPlainText() not in ("", "analysing…"), timeout=60000)
    assert win.tabs.currentWidget() is win.summary
    text = win.summary.toPlainText()
    # real metrics of this athlete (default profile: 162 steps/min, step width 1.5 ± 2 cm,
    # right GMED late (-40 ms), left on time (-90 ms))
    prof = load_profile("default")
    assert _number(text, "steps") >= 25, text
    assert abs(_number(text, "cadence") - prof.run.cadence_spm) < 5
    assert abs(_number(text, "step width") - prof.run.step_width_mean_cm) < 1.5
    assert 0 < _number(text, "crossover steps") < 60
    onset_l, onset_r = _number(text, "GMED_L"), _number(text, "GMED_R")
    assert abs(onset_l - prof.emg.muscles["GMED_L"].onset_ms) < 30
    assert abs(onset_r - prof.emg.muscles["GMED_R"].onset_ms) < 30
    with open_session(win.record_path) as s:
        assert s.complete and s.athlete["involved_side"] == "R"
        recorded = sorted(st.spec.source_id for st in s.streams.values())
        texts = [str(v[0]) for st in s.by_role("markers") for v in st.read()]
    own = win.marker_outlet.get_info().source_id()
    assert recorded == sorted([*h.source_ids.values(), own])  # the panel's streams + own markers
    assert "IC L" in texts and "IC R" in texts and "note" in texts
    with h5py.File(win.record_path, "r") as f:
        assert f.attrs["visit"] == "reassessment" and f.attrs["rehab_phase"] == "strengthening"
    lat = np.asarray(win.latencies)
    assert lat.size > 50 and np.all(np.isfinite(lat)) and np.all(lat > 0)


def test_biofeedback_window_shows_each_side_and_targets_persist(lab, qtbot, tmp_path) -> None:
    _h, _mon, win = lab
    win.t_cad.setValue(175.0)
    win.t_met.setChecked(True)
    QTest.mouseClick(win.feedback_button, LEFT)
    fb = win.feedback
    assert fb.isVisible()
    qtbot.waitUntil(lambda: "latency" in fb.debug.text() and "n=0" not in fb.debug.text(), timeout=5000)
    assert fb.targets.cadence_spm == 175.0
    assert win.t_gmed.value() == win.targets.gmed_onset_ms < 0  # spin-box range set before value
    assert win.settings.fileName().startswith(str(tmp_path))  # never the user's real settings
    assert float(win.settings.value("targets/cadence_spm")) == 175.0
    # GMED onset per step for each side: this athlete's right GMED is late (-40 ms true), red
    # against the -80 ms target, every step of it
    qtbot.waitUntil(lambda: all(len(fb.gmed_bars[s].opts["x"]) >= 4 for s in "LR")
                    and fb.gmed_labels["R"].text().startswith("GMED R"), timeout=30000)
    red = pg.mkColor("#f44").name()
    right = [pg.mkBrush(b).color().name() for b in fb.gmed_bars["R"].opts["brushes"]]
    assert right.count(red) >= 0.8 * len(right)
    assert "#f44" in fb.gmed_labels["R"].styleSheet()
    assert abs(np.median(fb.gmed_bars["R"].opts["height"]) - (-40)) < 25
    QTest.keyClick(fb, QtCore.Qt.Key.Key_F11)
    qtbot.waitUntil(fb.isFullScreen, timeout=3000)


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


def test_console_flags_a_second_device_and_records_only_the_chosen_one(qtbot, tmp_path, uid,
                                                                       lsl_publisher) -> None:
    """Two EMG streams of one name (two rooms on one network): the panel shows host and
    source_id and flags both, Record refuses until one is chosen, then records only that
    one; "use these devices" writes a lab profile with it."""
    from gaitlab.lab import load_lab

    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    ours, theirs = f"room1-{uid}", f"room2-{uid}"
    for sid in (ours, theirs):
        lsl_publisher([{"name": f"EMG-{uid}", "type": "EMG", "source_id": sid, "channels": 2,
                        "srate": 500.0, "labels": ["GMED_L", "GMED_R"], "units": ["V", "V"]}])
    with LabMonitor(StreamFilter(source_ids=(ours, theirs))) as mon:
        win = SessionConsole(mon, tmp_path)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.table.rowCount() == 2, timeout=10000)
        qtbot.wait(400)  # a table redraw

        def column(name: str) -> list[str]:
            j = COLUMNS.index(name)
            return sorted(win.table.item(i, j).text() for i in range(win.table.rowCount()))

        assert column("source_id") == sorted([ours, theirs])
        assert all(h for h in column("host")) and column("device") == ["choose one"] * 2
        win.start_record(tmp_path / "refused.h5")
        assert "2 streams would serve one EMG role" in win.rec_label.text()
        assert win.rec_button.text() == "Record" and not (tmp_path / "refused.h5").exists()
        with pytest.raises(GaitlabError):
            win.save_lab(tmp_path / "lab.toml")
        win.use_device(f"sid:{ours}")
        qtbot.wait(400)
        rows = {win.table.item(i, COLUMNS.index("source_id")).text():
                win.table.item(i, COLUMNS.index("device")).text() for i in range(2)}
        assert rows == {ours: "recorded", theirs: "not recorded"}
        lab = win.save_lab(tmp_path / "lab.toml")
        assert [r.source_id for r in load_lab(lab).devices] == [ours]
        out = tmp_path / "chosen.h5"
        win.start_record(out)
        qtbot.wait(2500)
        win.stop_record()
        qtbot.waitUntil(lambda: win.rec_button.text() == "Record", timeout=15000)
        with open_session(out) as s:
            sids = sorted(st.spec.source_id for st in s.streams.values())
            assert theirs not in sids and ours in sids  # and the console's own markers
            assert s.attrs["lab_name"]
        win.close()


def test_pelvis_tab_draws_the_trace_and_each_stance_and_guides_the_standing_period(lab, qtbot) -> None:
    _h, mon, win = lab
    _click_tab(win, "Pelvis")
    panel = win.pelvis
    # this run has no standing period: the tracker says what it uses instead of guessing
    qtbot.waitUntil(lambda: panel.curve.getData()[0] is not None and panel.curve.getData()[0].size > 50,
                    timeout=20000)
    x, y = panel.curve.getData()
    assert np.all(np.isfinite(y)) and np.ptp(y) > 1.0  # obliquity moves with each step, in degrees
    assert x[-1] == 0.0 and x[0] >= -10.5  # the last 10 s, newest at 0
    qtbot.waitUntil(lambda: all(panel.drop_curves[s].getData()[1] is not None
                                and panel.drop_curves[s].getData()[1].size >= 3 for s in "LR"),
                    timeout=30000)
    v = mon.pelvis_view(1.0)
    assert v is not None and "no standing" in v.status
    assert v.location in panel.status.text() and "stance drop" in panel.status.text()
    # one point per confirmed stance, the values the live tracker emitted
    for s in "LR":
        shown = panel.drop_curves[s].getData()[1]
        emitted = np.array([d.drop_deg for d in v.drops[s]])
        assert np.allclose(shown, emitted[:shown.size], equal_nan=True)
        assert np.isfinite(shown).sum() >= 3
    # the guided standing period: static_start now, static_end 5 s later, the button back
    QTest.mouseClick(panel.stand_button, LEFT)
    assert win.sent_markers[-1] == "static_start" and not panel.stand_button.isEnabled()
    QTest.mouseClick(panel.stand_button, LEFT)  # a second click while standing does nothing
    assert win.sent_markers.count("static_start") == 1
    qtbot.waitUntil(lambda: win.sent_markers[-1] == "static_end", timeout=8000)
    assert panel.stand_button.isEnabled()
    qtbot.waitUntil(lambda: panel.paint_clock.painted > 0 and "pelvis" in win.status_label.text(),
                    timeout=5000)
