"""The guided strength test, clicked through against the virtual athlete's dynamometer, and
the saved session file's trials as the offline analysis reads them."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from gaitlab.analysis import analyze_session
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.sim import start_sim
from gaitlab.gui.console import SessionConsole
from gaitlab.io.session import open_session
from gaitlab.live import LabMonitor
from gaitlab.live.strength import StrengthTest
from gaitlab.protocols import load_protocol
from gaitlab.record.filters import StreamFilter

pytestmark = pytest.mark.lsl

LEFT = QtCore.Qt.MouseButton.LeftButton


def _click(button) -> None:  # type: ignore[no-untyped-def]
    assert button.isEnabled()
    QTest.mouseClick(button, LEFT)


def test_guided_strength_test_three_trials_a_retry_and_the_saved_trials(qtbot, tmp_path) -> None:
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    # the dynamometer alone (its own trial markers would be a second set of trials): the demo
    # protocol's make tests, one every 5 s (3.5 s contraction, 1.5 s rest), sides alternating
    sim = start_sim(load_profile("default"), load_protocol("demo"), seed=4, devices=("dynamometer",),
                    instance=f"gui-{uuid.uuid4().hex[:10]}", lead_s=0.5, max_duration_s=45.0)
    mon = LabMonitor(StreamFilter(source_ids=tuple(sim.source_ids.values()))).start()
    win = SessionConsole(mon, tmp_path)
    qtbot.addWidget(win)
    try:
        win.resize(1400, 900)
        win.show()
        # a 5 s window holds one whole make test wherever it starts; a short countdown
        box = win.strength_box
        box.test = StrengthTest(countdown_s=0.5, contraction_s=5.0)
        win.tabs.setCurrentIndex(1)  # Force
        qtbot.waitUntil(lambda: win.table.rowCount() == 1 and win.table.item(0, 7).text() == "ok",
                        timeout=10000)
        qtbot.waitUntil(lambda: (v := mon.force_view()) is not None and v.t.size > 10, timeout=10000)
        box.side.setCurrentText("L")
        _click(win.rec_button)
        # the dynamometer and the console's markers are both being recorded before trial 1
        qtbot.waitUntil(lambda: "2 of 2 streams" in win.rec_label.text(), timeout=10000)

        def trial(n_done: int) -> None:
            _click(box.start)
            assert not box.start.isEnabled(), box.label.text()  # one trial at a time
            qtbot.waitUntil(lambda: "PUSH" in box.label.text(), timeout=5000)
            qtbot.waitUntil(lambda: len(box.test.peaks) == n_done and not box.test.running,
                            timeout=10000)

        trial(1)
        trial(2)
        # Retry: trial 2 is voided and run again at once; the live peak starts afresh
        _click(box.retry)
        assert len(box.test.peaks) == 1 and box.test.trial == 2
        assert box.test.state == "countdown" and np.isnan(box.test.live_peak())
        assert win.sent_markers[-1] == "trial_void hip_abduction L"
        qtbot.waitUntil(lambda: len(box.test.peaks) == 2 and not box.test.running,
                        timeout=12000)
        trial(3)
        gui_peaks = list(box.test.peaks)
        assert box.test.state == "done" and "trial 3 of 3: done" in box.label.text()
        cv = 100 * np.std(gui_peaks, ddof=1) / np.mean(gui_peaks)
        assert f"CV {cv:.1f} %" in box.label.text()
        assert f"peaks {', '.join(f'{p:.0f}' for p in gui_peaks)} N" in box.label.text()
        assert min(gui_peaks) > 100  # every window held a make test (L 175 N, R 140 N)
        _click(win.rec_button)  # Stop
        qtbot.waitUntil(lambda: "saved" in win.rec_label.text(), timeout=15000)
    finally:
        win.close()
        mon.stop()
        sim.stop()
    path = win.record_path
    with open_session(path) as s:
        marks = [str(v[0]) for st in s.by_role("markers") for v in st.read()]
    assert marks.count("trial_start hip_abduction L") == 4 and marks.count("trial_void hip_abduction L") == 1
    res = analyze_session(path)
    left = res.metrics["strength"]["hip_abduction"]["L"]
    # the file counts what the clinician saw: 3 trials, the retried one voided, over the same
    # windows (the markers carry the windows' sample-time bounds)
    assert len(left["trials_N"]) == 3
    np.testing.assert_allclose(left["trials_N"], gui_peaks, rtol=0.02, atol=1.0)
    assert abs(left["cv_pct"] - cv) < 1.0
    assert res.metrics["strength"]["hip_abduction"]["R"]["trials_N"] == []
    windows = [(tr["t0"], tr["t1"]) for tr in res.extras["strength"]["L"]["trials"]]
    assert all(abs(t1 - t0 - 5.0) < 1e-3 for t0, t1 in windows)
