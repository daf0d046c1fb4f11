"""The console's Pelvis tab: the sacral IMU's obliquity trace (+ = the runner's right side
lower, relative to standing), each stance's pelvic drop per side against the target, the live
tracker's state, and the guided "stand still" step that gives the tracker its reference.

Every value is :class:`gaitlab.live.PelvisView`'s and every on/off-target decision
:mod:`gaitlab.live.feedback`'s; this panel only draws them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from gaitlab.gui.feedback import OFF, ON
from gaitlab.gui.latency import TimedPlotWidget
from gaitlab.live.buffers import decimate_minmax
from gaitlab.live.feedback import SIDES, Targets, feedback_state
from gaitlab.live.monitor import GaitView
from gaitlab.live.pelvis import PelvisView

TRACE_S = 10.0
OBLIQUITY_RANGE_DEG = (-12.0, 12.0)
STAND_STILL_S = 5.0  # the guided standing period (the tracker needs at least 2 s)
SIDE_PEN = {"L": "#5af", "R": "#f95"}
MAX_STEPS = 400


class PelvisPanel:
    def __init__(self, targets: Targets, send_marker: Callable[[str], None]):
        self.targets = targets
        self._send = send_marker
        self.widget = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(self.widget)
        row = QtWidgets.QHBoxLayout()
        self.stand_button = QtWidgets.QPushButton(f"Stand still ({STAND_STILL_S:.0f} s)")
        self.stand_button.setToolTip("The athlete stands still on the belt before it starts: the "
                                     "pelvis's reference posture (markers static_start/static_end)")
        self.stand_button.clicked.connect(self.start_stand_still)
        self.status = QtWidgets.QLabel("no sacral IMU stream")
        self.status.setWordWrap(True)
        row.addWidget(self.stand_button)
        row.addWidget(self.status, 1)
        lay.addLayout(row)
        self.plot = TimedPlotWidget(title="pelvic obliquity (°, + = right side lower)")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.enableAutoRange(x=False, y=False)
        self.plot.setXRange(-TRACE_S, 0.0, padding=0)
        self.plot.setYRange(*OBLIQUITY_RANGE_DEG, padding=0)
        self.plot.setLabel("bottom", "s")
        self.plot.addLine(y=0, pen=pg.mkPen("#888", width=1))
        self.curve = self.plot.plot(pen=pg.mkPen("w", width=2), skipFiniteCheck=True)
        lay.addWidget(self.plot, 2)
        self.drop_plot = pg.PlotWidget(title="pelvic drop per stance (°; L/R = stance side)")
        self.drop_plot.setLabel("bottom", "stance")
        self.drop_plot.addLegend(offset=(10, 5))
        self.drop_target = pg.InfiniteLine(targets.pelvic_drop_max_deg, angle=0,
                                           pen=pg.mkPen("w", width=1, style=QtCore.Qt.PenStyle.DashLine))
        self.drop_plot.addItem(self.drop_target)
        self.drop_curves = {s: self.drop_plot.plot(pen=None, symbol="o", symbolSize=8, symbolPen=None,
                                                   symbolBrush=SIDE_PEN[s], name=f"{s} stance")
                            for s in SIDES}
        lay.addWidget(self.drop_plot, 1)
        self._timer: QtCore.QTimer | None = None
        self._drawn: tuple | None = None

    @property
    def paint_clock(self):  # type: ignore[no-untyped-def]
        return self.plot.paint_clock

    # ------------------------------------------------------------------ guided standing
    def start_stand_still(self) -> None:
        """Mark a standing period: static_start now, static_end after STAND_STILL_S."""
        if self._timer is not None:
            return
        self._send("static_start")
        self.stand_button.setEnabled(False)
        self.stand_button.setText("standing still…")
        self._timer = QtCore.QTimer(self.widget, singleShot=True, interval=int(STAND_STILL_S * 1000),
                                    timeout=self._end_stand_still)
        self._timer.start()

    def _end_stand_still(self) -> None:
        self._send("static_end")
        self._timer = None
        self.stand_button.setEnabled(True)
        self.stand_button.setText(f"Stand still ({STAND_STILL_S:.0f} s)")

    # ------------------------------------------------------------------ drawing
    def draw(self, v: PelvisView | None, g: GaitView, offset_s: float) -> bool:
        """Draw the view; True when new samples were handed to the trace."""
        if v is None:
            return False
        st = feedback_state(g, self.targets, n=MAX_STEPS, pelvis=v)
        text = [f"{v.location}: {v.status}"]
        if v.calibration is not None and v.calibration.standing_from:
            text.append(f"standing reference {v.calibration.standing_from}")
        for s in SIDES:
            d = st.pelvic_drop.get(s)
            if d is not None and np.isfinite(d.last):
                text.append(f"{s} stance drop {d.last:.1f}° [≤ {self.targets.pelvic_drop_max_deg:.0f}°]")
        self.status.setText(" · ".join(text))
        sig = tuple((d.values.size, d.last) for d in st.pelvic_drop.values())
        sig += (self.targets.pelvic_drop_max_deg,)
        if sig != self._drawn:
            self._drawn = sig
            self.drop_target.setValue(self.targets.pelvic_drop_max_deg)
            for s in SIDES:
                d = st.pelvic_drop.get(s)
                if d is not None and d.values.size:
                    x = np.arange(d.values.size, dtype=np.float64)
                    self.drop_curves[s].setData(x, d.values, symbolBrush=[
                        pg.mkBrush(SIDE_PEN[s] if ok is None else (ON if ok else OFF)) for ok in d.on_target])
        if v.t.size < 2 or not self.plot.isVisible():
            return False
        td, yd = decimate_minmax(v.t - v.t[-1], v.obliquity_deg, max(200, self.plot.width()))
        self.curve.setData(td, yd)
        self.plot.paint_clock.drawn(float(v.t[-1]) + offset_s)
        return True
