"""The console's Gait tab: the pressure treadmill seen from above (held heat map with its colour
bar, COP, gait line) and the step width of every step against the target band, coloured by
:mod:`gaitlab.live.feedback` like the athlete window (crossover red, out of band amber)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from gaitlab.gui.feedback import WIDTH_COLOUR
from gaitlab.gui.latency import TimedLayoutWidget
from gaitlab.live import GaitView, PressureView
from gaitlab.live.feedback import Targets, feedback_state

PRESSURE_LEVELS = (0.0, 30.0)  # N/cm², colour scale of the heat map
MAX_STEPS = 400  # as many as the monitor keeps


class GaitPanel:
    def __init__(self, targets: Targets):
        self.targets = targets
        self.widget = TimedLayoutWidget()
        self.heat = pg.ImageItem()
        cmap = pg.colormap.get("inferno")
        self.heat.setColorMap(cmap)
        hp = self.widget.addPlot(title="pressure, centre of pressure (red) and gait line (white)")
        hp.addItem(self.heat)
        hp.setAspectLocked(True)
        self.cop_dot = pg.ScatterPlotItem(size=12, brush="r")
        self.gait_line = pg.PlotDataItem(pen=pg.mkPen("w", width=1))
        self.plate_outline = pg.PlotDataItem(pen=pg.mkPen("#888", width=1))
        hp.addItem(self.plate_outline)
        hp.setLabel("bottom", "across the belt, runner's left → right", units="m")
        hp.setLabel("left", "along the belt, back → front", units="m")
        for ax in ("bottom", "left"):
            hp.getAxis(ax).enableAutoSIPrefix(False)
        hp.addItem(self.gait_line)
        hp.addItem(self.cop_dot)
        self.colour_bar = pg.ColorBarItem(values=PRESSURE_LEVELS, colorMap=cmap, label="pressure (N/cm²)",
                                          interactive=False, width=18)
        self.colour_bar.setImageItem(self.heat, insert_in=hp)
        self.heat_plot = hp
        wp = self.widget.addPlot(title="step width")
        self.width_band = pg.LinearRegionItem(
            (targets.width_lo_cm, targets.width_hi_cm), orientation="horizontal",
            movable=False, brush=pg.mkBrush(40, 160, 40, 60), pen=pg.mkPen(None))
        wp.addItem(self.width_band)
        wp.addLine(y=0, pen=pg.mkPen("#d22", width=1, style=QtCore.Qt.PenStyle.DashLine))
        wp.setLabel("bottom", "step")
        wp.setLabel("left", "step width", units="cm")
        wp.getAxis("left").enableAutoSIPrefix(False)
        self.width_curve = wp.plot(pen=None, symbol="o", symbolSize=8, symbolPen=None, symbolBrush="w")
        self.width_plot, self._title, self._steps_drawn = wp, "", None

    def set_band(self, lo_cm: float, hi_cm: float) -> None:
        self.width_band.setRegion((lo_cm, hi_cm))
        self._steps_drawn = None  # the colours depend on the band

    def draw_pressure(self, pv: PressureView) -> None:
        geo = pv.geometry
        self.heat.setImage(pv.frame[::-1].T, autoLevels=False, levels=PRESSURE_LEVELS)
        w, h = geo.cols * geo.col_pitch_m, geo.rows * geo.row_pitch_m
        self.heat.setRect(QtCore.QRectF(0, 0, w, h))
        if self.plate_outline.getData()[0] is None:
            self.plate_outline.setData([0, w, w, 0, 0], [0, 0, h, h, 0])
        ok = np.isfinite(pv.cop_x)
        self.gait_line.setData(pv.cop_x[ok], pv.cop_y[ok])
        if ok.any() and ok[-1]:
            self.cop_dot.setData([pv.cop_x[-1]], [pv.cop_y[-1]])

    def draw_steps(self, g: GaitView) -> None:
        """Every step's width, coloured by the core's decision; redrawn only on a new step."""
        st = feedback_state(g, self.targets, n=MAX_STEPS)
        if not st.widths_cm.size:
            return
        sig = (st.widths_cm.size, st.last_width_cm, g.cadence_spm)
        if sig == self._steps_drawn:
            return
        self._steps_drawn = sig
        self.width_curve.setData(np.arange(st.widths_cm.size, dtype=np.float64), st.widths_cm,
                                 symbolBrush=[pg.mkBrush(WIDTH_COLOUR[s]) for s in st.width_status])
        text = f"step width {st.last_width_cm:+.1f} cm, cadence {st.cadence_spm:.0f} spm"
        if text != self._title:  # a title change re-lays out the plot: only on a new step
            self._title = text
            self.width_plot.setTitle(text)

    @property
    def point_colours(self) -> list[str]:
        """Colour of each step's dot, as drawn (#rrggbb)."""
        brushes = self.width_curve.scatter.data["brush"]
        return [pg.mkBrush(b).color().name() for b in brushes]
