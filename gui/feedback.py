"""Athlete biofeedback window: large, high-contrast step width, cadence, GMED onset per side and,
with a sacral IMU, pelvic drop per stance side.

Every on/off-target decision is :mod:`gaitlab.live.feedback`'s; this window only draws its
:class:`~gaitlab.live.feedback.FeedbackState`. It fits a 1280×720 screen: the text lines shrink
to fit their width (:class:`FitLabel`) and grow with the window's height."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.gui.metronome import Metronome
from gaitlab.live import GaitView, PelvisView
from gaitlab.live.feedback import N_STEPS, SIDES, FeedbackState, SideSeries, Targets, feedback_state
from gaitlab.live.processing import latency_stats

__all__ = ["BiofeedbackWindow", "FitLabel", "Targets"]

IN_BAND, OUT_BAND, CROSSOVER = "#3f3", "#fb3", "#f44"
WIDTH_COLOUR = {"in_band": IN_BAND, "out_band": OUT_BAND, "crossover": CROSSOVER}
ON, OFF, NONE = "#3f3", "#f44", "white"
GMED_RANGE_MS = (-250.0, 100.0)  # bars clipped to it; the view has a margin for the tick labels
DROP_RANGE_DEG = (-2.0, 14.0)
AXIS_PX = 22  # axis labels and ticks: readable from the treadmill


def colour(ok: bool | None) -> str:
    return NONE if ok is None else (ON if ok else OFF)


class FitLabel(QtWidgets.QLabel):
    """One line of large bold text that shrinks (down to ``min_px``) to fit its width instead of
    widening the window; :meth:`set_max_px` sets the size it uses when there is room."""

    def __init__(self, text: str = "", max_px: int = 64, min_px: int = 20):
        super().__init__(text)
        self._max_px, self._min_px = max_px, min_px
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self._fit()

    def set_max_px(self, px: int) -> None:
        if px != self._max_px:
            self._max_px = px
            self._fit()

    def setText(self, text: str) -> None:  # Qt naming
        if text != self.text():
            super().setText(text)
            self._fit()

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._fit()

    def minimumSizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(0, super().minimumSizeHint().height())

    def _fit(self) -> None:
        font = QtGui.QFont(self.font())
        font.setBold(True)
        room = max(1, self.contentsRect().width() - 4)
        px = self._max_px
        while px > self._min_px:
            font.setPixelSize(px)
            if QtGui.QFontMetrics(font).horizontalAdvance(self.text()) <= room:
                break
            px -= 2
        font.setPixelSize(max(px, self._min_px))
        self.setFont(font)
        self.setFixedHeight(int(self._max_px * 1.3))

    @property
    def pixel_size(self) -> int:
        return self.font().pixelSize()


def _strip(left_label: str) -> pg.PlotWidget:
    """A bar strip of the newest steps, with large axis text."""
    plot = pg.PlotWidget(background="k")
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    font = QtGui.QFont()
    font.setPixelSize(AXIS_PX - 4)
    for name in ("left", "bottom"):
        plot.getAxis(name).setTickFont(font)
    plot.setLabel("left", left_label, **{"font-size": f"{AXIS_PX}px", "color": "#ddd"})
    plot.getAxis("left").setWidth(int(AXIS_PX * 4))
    plot.getAxis("bottom").setStyle(showValues=False)
    plot.setXRange(-0.5, N_STEPS - 0.5, padding=0)
    return plot


class BiofeedbackWindow(QtWidgets.QWidget):
    def __init__(self, targets: Targets, parent: QtWidgets.QWidget | None = None,
                 metronome: Metronome | None = None):
        super().__init__(parent, QtCore.Qt.WindowType.Window)
        self.metronome = metronome if metronome is not None else Metronome()
        self._audio_note_shown = False
        self.setWindowTitle("gaitlab — athlete feedback")
        self.targets = targets
        self.setStyleSheet("background:black; color:white;")
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(12, 8, 12, 6)
        grid.setVerticalSpacing(2)
        self.width_label = FitLabel("width —")
        self.cadence_label = FitLabel("cadence —")
        self.beat = QtWidgets.QLabel("")  # the visual metronome
        self.gmed_labels = {s: FitLabel(f"GMED {s} —") for s in SIDES}
        # step width of the newest steps against the target band; crossover steps in red
        self.plot = _strip("step width (cm)")
        self.band = pg.LinearRegionItem((targets.width_lo_cm, targets.width_hi_cm),
                                        orientation="horizontal", movable=False,
                                        brush=pg.mkBrush(60, 200, 60, 70), pen=pg.mkPen(None))
        self.plot.addItem(self.band)
        self.plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#f44", width=3)))
        # starts with one zero-height bar: pyqtgraph 0.14 crashes painting an empty BarGraphItem
        self.bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.8)
        self.plot.addItem(self.bars)
        self.plot.setYRange(-6.5, 16.5, padding=0)
        # GMED onset (ms from the same side's IC) of each side's newest steps against the target
        self.gmed_plots: dict[str, pg.PlotWidget] = {}
        self.gmed_bars: dict[str, pg.BarGraphItem] = {}
        self.gmed_target: dict[str, pg.InfiniteLine] = {}
        for s in SIDES:
            p = _strip(f"GMED {s} onset (ms)")
            p.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#888", width=2)))  # the IC
            line = pg.InfiniteLine(targets.gmed_onset_ms, angle=0,
                                   pen=pg.mkPen("w", width=3, style=QtCore.Qt.PenStyle.DashLine))
            p.addItem(line)
            bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.8)
            p.addItem(bars)
            p.setYRange(GMED_RANGE_MS[0] - 10, GMED_RANGE_MS[1] + 15, padding=0)
            self.gmed_plots[s], self.gmed_bars[s], self.gmed_target[s] = p, bars, line
        # pelvic drop (° per stance, L/R = stance side) against the clinician's ceiling; shown
        # once a sacral IMU is streaming
        self.drop_labels = {s: FitLabel(f"{s} stance drop —") for s in SIDES}
        self.drop_plots: dict[str, pg.PlotWidget] = {}
        self.drop_bars: dict[str, pg.BarGraphItem] = {}
        self.drop_target: dict[str, pg.InfiniteLine] = {}
        for s in SIDES:
            p = _strip(f"{s} stance drop (°)")
            line = pg.InfiniteLine(targets.pelvic_drop_max_deg, angle=0,
                                   pen=pg.mkPen("w", width=3, style=QtCore.Qt.PenStyle.DashLine))
            p.addItem(line)
            bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.8)
            p.addItem(bars)
            p.setYRange(*DROP_RANGE_DEG, padding=0)
            self.drop_plots[s], self.drop_bars[s], self.drop_target[s] = p, bars, line
        self.debug = QtWidgets.QLabel("")
        self.debug.setStyleSheet("color:#8f8; font-size:14px;")
        self.debug.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                 QtWidgets.QSizePolicy.Policy.Preferred)
        grid.addWidget(self.width_label, 0, 0)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(self.cadence_label, 1)
        head.addWidget(self.beat)
        grid.addLayout(head, 0, 1)
        grid.addWidget(self.plot, 1, 0, 1, 2)
        for col, s in enumerate(SIDES):
            grid.addWidget(self.gmed_labels[s], 2, col)
            grid.addWidget(self.gmed_plots[s], 3, col)
            grid.addWidget(self.drop_labels[s], 4, col)
            grid.addWidget(self.drop_plots[s], 5, col)
        grid.addWidget(self.debug, 6, 0, 1, 2)
        grid.setRowStretch(1, 1)
        grid.setRowStretch(3, 1)
        grid.setRowStretch(5, 1)
        self._show_pelvis(False)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self._fs = QtGui.QShortcut(QtGui.QKeySequence("F11"), self, activated=self.toggle_full)
        self._last_beat = 0.0
        self._scale_text()

    # ------------------------------------------------------------------ window
    def _scale_text(self) -> None:
        """Text as large as the window's height allows (about 64 px at 720 px)."""
        rows = 4 if self.pelvis_shown else 3  # text rows to fit in the height
        px = int(min(120, max(28, self.height() / (11.25 * rows / 3))))
        for lab in (self.width_label, self.cadence_label, *self.gmed_labels.values(),
                    *self.drop_labels.values()):
            lab.set_max_px(px)
        font = QtGui.QFont()
        font.setPixelSize(px)
        self.beat.setFont(font)

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._scale_text()

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

    # ------------------------------------------------------------------ drawing
    @staticmethod
    def _colour(label: QtWidgets.QLabel, c: str) -> None:
        label.setStyleSheet(f"color:{c};")

    @property
    def pelvis_shown(self) -> bool:
        return not self.drop_plots["L"].isHidden()

    def _show_pelvis(self, on: bool) -> None:
        for w in (*self.drop_labels.values(), *self.drop_plots.values()):
            w.setVisible(on)

    def update_view(self, g: GaitView, latencies_s: np.ndarray, now: float,
                    pelvis: PelvisView | None = None) -> None:
        t = self.targets
        st = feedback_state(g, t, pelvis=pelvis)
        if (pelvis is not None) != self.pelvis_shown:
            self._show_pelvis(pelvis is not None)
            self._scale_text()
        if pelvis is not None:
            self._draw_drop(st)
        self._draw_width(st)
        if np.isfinite(st.cadence_spm):
            self.cadence_label.setText(f"cadence {st.cadence_spm:.0f} spm [{t.cadence_spm:.0f}]")
            self._colour(self.cadence_label, colour(st.cadence_on_target))
        self._draw_gmed(st)
        if t.metronome and t.cadence_spm > 0 and now - self._last_beat >= 60.0 / t.cadence_spm:
            self._last_beat = now  # visual beat; the audible click is gaitlab.gui.metronome
            self.beat.setText("●" if self.beat.text() != "●" else "○")
            if not self.metronome.running:
                QtWidgets.QApplication.beep()  # fallback: often silent on X11
        med, p99, n = latency_stats(latencies_s)
        self.debug.setText(f"latency sensor→screen at paint (EMG, force): median {med:.1f} ms, "
                           f"p99 {p99:.1f} ms (n={n})")

    def _draw_width(self, st: FeedbackState) -> None:
        t = self.targets
        self.band.setRegion((t.width_lo_cm, t.width_hi_cm))
        if not st.widths_cm.size:
            return
        self.bars.setOpts(x=np.arange(st.widths_cm.size), height=st.widths_cm, width=0.8,
                          brushes=[pg.mkBrush(WIDTH_COLOUR[s]) for s in st.width_status])
        w, status = st.last_width_cm, st.last_width_status
        self.width_label.setText(f"CROSSOVER {w:+.1f} cm" if status == "crossover" else
                                 f"width {w:+.1f} cm [{t.width_lo_cm:.0f}–{t.width_hi_cm:.0f}]")
        self._colour(self.width_label, ON if status == "in_band" else OFF)

    @staticmethod
    def _bars(bars: pg.BarGraphItem, side: SideSeries, clip: tuple[float, float]) -> None:
        """One bar per step with a value (a step left out leaves its slot empty), coloured by
        the core's decision."""
        ok = np.isfinite(side.values)
        if ok.any():
            brushes = [pg.mkBrush(colour(v)) for v, k in zip(side.on_target, ok, strict=True) if k]
            bars.setOpts(x=np.flatnonzero(ok), height=np.clip(side.values[ok], *clip), width=0.8,
                         brushes=brushes)

    def _draw_gmed(self, st: FeedbackState) -> None:
        t = self.targets
        for s in SIDES:
            self.gmed_target[s].setValue(t.gmed_onset_ms)
            side = st.gmed[s]
            self._bars(self.gmed_bars[s], side, GMED_RANGE_MS)
            if np.isfinite(side.last):
                self.gmed_labels[s].setText(f"GMED {s} {side.last:+.0f} ms [≤ {t.gmed_onset_ms:+.0f}]")
                self._colour(self.gmed_labels[s], colour(side.last_on_target))

    def _draw_drop(self, st: FeedbackState) -> None:
        t = self.targets
        for s in SIDES:
            self.drop_target[s].setValue(t.pelvic_drop_max_deg)
            side = st.pelvic_drop.get(s)
            if side is None:
                continue
            self._bars(self.drop_bars[s], side, DROP_RANGE_DEG)
            if np.isfinite(side.last):
                self.drop_labels[s].setText(
                    f"{s} stance drop {side.last:.1f}° [≤ {t.pelvic_drop_max_deg:.0f}°]")
                self._colour(self.drop_labels[s], colour(side.last_on_target))
            elif st.pelvis_status and not st.pelvic_drop[s].values.size:
                self.drop_labels[s].setText(f"{s} stance drop —")
