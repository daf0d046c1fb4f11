"""The console's guided strength test box: side, Start trial, Retry, and the test's state.

The test itself is :class:`gaitlab.live.strength.StrengthTest` (Qt-free, on the force samples'
LSL time); this box feeds it the dynamometer samples, writes the markers it returns through
``send_marker`` and shows its state."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6 import QtWidgets

from gaitlab.live import ForceView, LabMonitor
from gaitlab.live.strength import StrengthTest

STRENGTH_STATE = {"idle": "ready", "countdown": "get ready", "contraction": "PUSH", "done": "done"}
NO_SAMPLES = ("no dynamometer samples: check the dynamometer's row in the stream panel, then press "
              "{} again")


def strength_text(st: StrengthTest) -> str:
    """Two lines: side, trial n of N, state with the time left and the live peak; the trial
    peaks and their CV."""
    head = f"side {st.side}, trial {st.trial} of {st.trials}: {STRENGTH_STATE[st.state]}"
    if st.running:
        head += f" {st.remaining_s():.1f} s"
    if st.state == "contraction":
        head += f", live peak {st.live_peak():.0f} N" if np.isfinite(st.live_peak()) else ""
    peaks = ", ".join(f"{p:.0f}" for p in st.peaks) or "—"
    cv = f"{st.cv_pct:.1f} %" if np.isfinite(st.cv_pct) else "—"
    return f"{head}\npeaks {peaks} N, CV {cv}"


class StrengthBox(QtWidgets.QGroupBox):
    def __init__(self, monitor: LabMonitor, send_marker: Callable[[str, float], None]):
        super().__init__("Strength test (hip abduction)")
        self.monitor = monitor
        self._send = send_marker
        self.test = StrengthTest()
        self._last_raw = -np.inf  # newest dynamometer stamp fed to the test
        lay = QtWidgets.QVBoxLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.side = QtWidgets.QComboBox()
        self.side.addItems(["L", "R"])
        self.start = QtWidgets.QPushButton("Start trial")
        self.start.clicked.connect(self.start_trial)
        self.retry = QtWidgets.QPushButton("Retry")
        self.retry.clicked.connect(self.retry_trial)
        for w in (self.side, self.start, self.retry):
            row.addWidget(w)
        lay.addLayout(row)
        self.label = QtWidgets.QLabel("")
        self.label.setWordWrap(True)
        font = self.label.font()  # read while coaching the athlete, an arm's length away
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.label.setFont(font)
        lay.addWidget(self.label)

    def _force_time(self) -> float:
        """LSL time (local clock) of the newest dynamometer sample; NaN without one."""
        key = next(iter(self.monitor.keys("dynamometer")), None)
        return self.monitor.latest_time(key) if key is not None else float("nan")

    def start_trial(self) -> None:
        """Start the next trial's countdown (the test runs on the force samples' time)."""
        if self.test.running:
            return
        t = self._force_time()
        if not np.isfinite(t):
            self.label.setText(NO_SAMPLES.format("Start trial"))
            return
        if self.test.side != self.side.currentText():
            self.test = self.test.fresh(self.side.currentText())
        self.test.start(t)
        self.monitor.reset_peak()
        self.show_state()

    def retry_trial(self) -> None:
        """Void the running or last trial (a trial_void marker) and run it again."""
        t = self._force_time()
        if not np.isfinite(t):
            self.label.setText(NO_SAMPLES.format("Retry"))
            return
        for stamp, text in self.test.retry(t):
            self._send(text, stamp)
        self.monitor.reset_peak()
        self.show_state()

    def feed(self, v: ForceView) -> None:
        """Feed the test the force samples not fed yet (their LSL stamps, offset applied),
        write the markers it returns, and show its state."""
        new = v.t > self._last_raw
        if new.any():
            self._last_raw = float(v.t[-1])
        off = self.monitor.clock_offset(v.key)
        for stamp, text in self.test.feed(v.t[new] + off, v.force[new]):
            self._send(text, stamp)
        self.show_state()

    def show_state(self) -> None:
        self.label.setText(strength_text(self.test))
        self.start.setEnabled(not self.test.running)
