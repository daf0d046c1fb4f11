"""Athlete biofeedback window: large, high-contrast step width, cadence and GMED onset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.gui.metronome import Metronome
from gaitlab.live import GaitView
from gaitlab.live.processing import latency_stats


@dataclass
class Targets:
    width_lo_cm: float = 5.0
    width_hi_cm: float = 12.0
    cadence_spm: float = 172.0
    gmed_onset_ms: float = -80.0  # onset at or before this (ms relative to IC)
    metronome: bool = False


N_BARS = 20  # steps shown in the step-width chart
IN_BAND, OUT_BAND, CROSSOVER = "#3f3", "#fb3", "#f44"


def width_colours(w_cm: np.ndarray, lo: float, hi: float) -> list[str]:
    """Bar colour per step: in the target band, outside it, or a crossover step (≤ 0 cm)."""
    return [CROSSOVER if w <= 0 else (IN_BAND if lo <= w <= hi else OUT_BAND) for w in w_cm]


class BiofeedbackWindow(QtWidgets.QWidget):
    def __init__(self, targets: Targets, parent: QtWidgets.QWidget | None = None,
                 metronome: Metronome | None = None):
        super().__init__(parent, QtCore.Qt.WindowType.Window)
        self.metronome = metronome if metronome is not None else Metronome()
        self._audio_note_shown = False
        self.setWindowTitle("gaitlab — athlete feedback")
        self.targets = targets
        self.setStyleSheet("background:black; color:white;")
        lay = QtWidgets.QVBoxLayout(self)
        big = QtGui.QFont()
        big.setPointSize(48)
        big.setBold(True)
        self.width_label = QtWidgets.QLabel("step width —")
        self.cadence_label = QtWidgets.QLabel("cadence —")
        self.gmed_label = QtWidgets.QLabel("GMED onset —")
        for w in (self.width_label, self.cadence_label, self.gmed_label):
            w.setFont(big)
            lay.addWidget(w)
        # step width of the last steps against the target band; crossover steps in red
        self.plot = pg.PlotWidget(background="k")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "step width (cm)")
        tick_font = QtGui.QFont()
        tick_font.setPointSize(16)
        self.plot.getAxis("left").setTickFont(tick_font)
        self.plot.getAxis("bottom").setStyle(showValues=False)
        self.band = pg.LinearRegionItem((targets.width_lo_cm, targets.width_hi_cm),
                                        orientation="horizontal", movable=False,
                                        brush=pg.mkBrush(60, 200, 60, 60))
        self.plot.addItem(self.band)
        self.plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#f44", width=2)))
        # starts with one zero-height bar: pyqtgraph 0.14 crashes painting an empty BarGraphItem
        self.bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.8)
        self.plot.addItem(self.bars)
        self.plot.setYRange(-6, 16)
        self.plot.setXRange(-0.5, N_BARS - 0.5)
        lay.addWidget(self.plot, stretch=1)
        self.beat = QtWidgets.QLabel("")
        self.beat.setFont(big)
        lay.addWidget(self.beat)
        self.debug = QtWidgets.QLabel("")
        self.debug.setStyleSheet("color:#8f8; font-size:14pt;")
        lay.addWidget(self.debug)
        self._fs = QtGui.QShortcut(QtGui.QKeySequence("F11"), self, activated=self.toggle_full)
        self._last_beat = 0.0

    def sync_metronome(self) -> str:
        """Start, retune or stop the audible click to match the targets. Returns a one-line
        note the first time the audible click cannot play (visual + beep instead), else ""."""
        t = self.targets
        if not (t.metronome and t.cadence_spm > 0):
            self.metronome.stop()
            return ""
        if self.metronome.start(t.cadence_spm):
            return ""
        if self._audio_note_shown:
            return ""
        self._audio_note_shown = True
        return f"metronome: {self.metronome.error}; visual metronome and system beep instead"

    def shutdown(self) -> None:
        """Stop the audible metronome (the console calls this when it closes)."""
        self.metronome.stop()

    def toggle_full(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    @staticmethod
    def _colour(label: QtWidgets.QLabel, ok: bool | None) -> None:
        c = "white" if ok is None else ("#3f3" if ok else "#f44")
        label.setStyleSheet(f"color:{c};")

    def update_view(self, g: GaitView, latencies_s: np.ndarray, now: float) -> None:
        t = self.targets
        steps = [s for s in g.steps if np.isfinite(s.step_width_m)]
        self.band.setRegion((t.width_lo_cm, t.width_hi_cm))
        if steps:
            wc = np.array([s.step_width_m * 100 for s in steps[-N_BARS:]])
            self.bars.setOpts(x=np.arange(wc.size), height=wc, width=0.8,
                              brushes=[pg.mkBrush(c) for c in width_colours(wc, t.width_lo_cm,
                                                                            t.width_hi_cm)])
            w = steps[-1].step_width_m * 100
            cross = w <= 0
            self.width_label.setText(f"step width {w:+.1f} cm" + ("  CROSSOVER" if cross else "")
                                     + f"  [{t.width_lo_cm:.0f}–{t.width_hi_cm:.0f}]")
            self._colour(self.width_label, t.width_lo_cm <= w <= t.width_hi_cm)
        if np.isfinite(g.cadence_spm):
            self.cadence_label.setText(f"cadence {g.cadence_spm:.0f} spm  [target {t.cadence_spm:.0f}]")
            self._colour(self.cadence_label, abs(g.cadence_spm - t.cadence_spm) <= 3)
        onsets = [c.onset_s for side in ("L", "R") for c in g.gmed.get(side, [])[-1:] if not c.reason]
        if onsets:
            on = 1000 * float(np.mean(onsets))
            self.gmed_label.setText(f"GMED onset {on:+.0f} ms  [≤ {t.gmed_onset_ms:+.0f}]")
            self._colour(self.gmed_label, on <= t.gmed_onset_ms)
        if t.metronome and t.cadence_spm > 0 and now - self._last_beat >= 60.0 / t.cadence_spm:
            self._last_beat = now  # visual beat; the audible click is gaitlab.gui.metronome
            self.beat.setText("●" if self.beat.text() != "●" else "○")
            if not self.metronome.running:
                QtWidgets.QApplication.beep()  # fallback: often silent on X11
        med, p99, n = latency_stats(latencies_s)
        self.debug.setText(f"latency sensor→screen at paint (EMG, force): median {med:.1f} ms, "
                           f"p99 {p99:.1f} ms (n={n})")
