"""The console's EMG tab: raw signal and envelope per channel, last 5 s.

Channels are laid out per side: the athlete's left in the left column, right in the right
column, the same muscle on the same row and on the same µV scale; channels whose label names
no side (an unlabelled montage, "EMG1" …) get a column of their own. The grid is rebuilt
whenever the channel labels change (a montage correction, another stream)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore

from gaitlab.gui.latency import TimedLayoutWidget
from gaitlab.gui.traces import TraceItem, nice_limit_cols
from gaitlab.live import EmgView, decimate_minmax
from gaitlab.streams import parse_emg_label

SPAN_S = 5.0
SIDE_COLUMN = {"L": 0, "R": 1}


def emg_grid(labels: list[str]) -> list[tuple[int, int]]:
    """(row, column) of each channel: ``MUSCLE_L`` in column 0 and ``MUSCLE_R`` in column 1,
    one row per muscle (in order of first appearance, so both sides of a muscle share a row;
    a repeated label takes the next row of that muscle); channels without a side in the next
    column (column 0 when no channel has a side), in channel order. Every cell is distinct."""
    parsed = [parse_emg_label(lab) for lab in labels]
    rows: dict[tuple[str, int], int] = {}  # (muscle, repeat) -> row
    seen: dict[tuple[str, str], int] = {}  # (muscle, side) -> times placed
    unsided_col = 2 if any(parsed) else 0
    out: list[tuple[int, int]] = []
    n_unsided = 0
    for p in parsed:
        if p is None:
            out.append((n_unsided, unsided_col))
            n_unsided += 1
            continue
        muscle, side = p
        k = seen.get((muscle, side), 0)
        seen[(muscle, side)] = k + 1
        row = rows.setdefault((muscle, k), len(rows))
        out.append((row, SIDE_COLUMN[side]))
    return out


class EmgPanel:
    """The EMG tab's plots. :meth:`update` draws an :class:`~gaitlab.live.EmgView`."""

    def __init__(self) -> None:
        self.widget = TimedLayoutWidget()
        self.labels: list[str] = []
        self.plots: dict[int, pg.PlotItem] = {}  # channel index -> plot
        self.curves: dict[int, tuple[TraceItem, TraceItem]] = {}  # channel -> (raw, envelope)
        self.columns = 1
        self._scale_group: list[int] = []  # channels with the same number share a y scale

    def curve(self, label: str) -> tuple[TraceItem, TraceItem]:
        """(raw, envelope) traces of the first channel with this label."""
        return self.curves[self.labels.index(label)]

    def _rebuild(self, labels: list[str]) -> None:
        for p in list(self.plots.values()):
            self.widget.removeItem(p)
        self.plots, self.curves, self.labels = {}, {}, list(labels)
        cells = emg_grid(self.labels)
        # both sides of a muscle share one scale, so left and right compare at a glance
        self._scale_group = [row if col < 2 else -1 - row for row, col in cells]
        self.columns = len({c for _, c in cells}) or 1
        last_row = {c: max(r for r, cc in cells if cc == c) for _, c in cells}
        for i, (lab, (row, col)) in enumerate(zip(self.labels, cells, strict=True)):
            p = self.widget.addPlot(row=row, col=col, title=lab)
            p.setClipToView(True)
            p.setMouseEnabled(x=False, y=False)
            p.enableAutoRange(x=False, y=False)
            p.setXRange(-SPAN_S, 0.0, padding=0)
            p.setLabel("left", "µV")
            p.showAxis("bottom", row == last_row[col])
            if row == last_row[col]:
                p.setLabel("bottom", "s")
            # polylines with fixed bounds: a PlotDataItem's per-frame bookkeeping (clip,
            # bounds, path) cost more than the drawing (see gaitlab.gui.traces)
            span = QtCore.QRectF(-SPAN_S, -1.0, SPAN_S, 2.0)
            raw = TraceItem(span, pg.mkPen("#888", width=1))
            env = TraceItem(span, pg.mkPen("c", width=1))
            p.addItem(raw)
            p.addItem(env)
            self.plots[i], self.curves[i] = p, (raw, env)

    def update(self, v: EmgView) -> None:
        """Draw the newest ``SPAN_S`` of ``v``: min/max-decimated raw, envelope subsampled."""
        if v.labels != self.labels:
            self._rebuild(v.labels)
        cols = max(200, self.widget.width() // self.columns)
        t0 = v.t[-1]
        td, yd = decimate_minmax(v.t - t0, v.raw, cols)
        te, ye = None, None
        if v.env_t.size:  # the envelope is smooth: every k-th sample, one per pixel column
            k = max(1, v.env_t.size // cols)
            te, ye = v.env_t[::-1][::k][::-1] - t0, v.env[::-1][::k][::-1]
        lims = nice_limit_cols(yd * 1e6)
        group_max: dict[int, float] = {}
        for i, g in enumerate(self._scale_group):
            group_max[g] = max(group_max.get(g, 0.0), lims[i])
        lims = [group_max[g] for g in self._scale_group]
        for i, (raw, env) in self.curves.items():
            raw.setData(td, yd[:, i] * 1e6)
            vb = self.plots[i].getViewBox()
            if vb.viewRange()[1][1] != lims[i]:
                vb.setYRange(-lims[i], lims[i], padding=0)
                for c in (raw, env):
                    c.set_span(QtCore.QRectF(-SPAN_S, -lims[i], SPAN_S, 2 * lims[i]))
            if te is not None:
                env.setData(te, ye[:, i] * 1e6)
