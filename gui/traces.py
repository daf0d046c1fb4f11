"""A cheap live trace for pyqtgraph: one polyline inside a fixed view span.

A live trace is redrawn ~30 times a second in a view whose x span and y limits are set by
the console (fixed 5 s / 10 s windows, 1-2-5 y limits), with data already decimated to about
two points per pixel column. pyqtgraph's general curve does much more per frame: data-bounds
min/max on every ``setData`` and paint, a QPainterPath rebuilt at paint, signals. At 32 EMG
curves that cost more than the drawing itself. :class:`TraceItem` keeps the points in a
QPolygonF filled from numpy in one copy and draws it with ``drawPolyline``; its bounds are the
given span (the view clips to it).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from PySide6 import QtCore, QtGui, QtWidgets


class TraceItem(pg.GraphicsObject):
    """A polyline of (x, y) points in data coordinates, bounded by ``span``."""

    def __init__(self, span: QtCore.QRectF, pen: QtGui.QPen):
        super().__init__()
        self._span = QtCore.QRectF(span)
        self._pen = QtGui.QPen(pen)
        self._poly = QtGui.QPolygonF()
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def setData(self, x: np.ndarray, y: np.ndarray) -> None:  # pyqtgraph naming
        x = np.asarray(x, np.float64)
        y = np.asarray(y, np.float64)
        n = min(len(x), len(y))
        self._x, self._y = x[:n], y[:n]
        poly = fn.create_qpolygonf(n)
        if n:
            pts = fn.ndarray_from_qpolygonf(poly)
            pts[:, 0] = self._x
            pts[:, 1] = self._y
        self._poly = poly
        self.update()

    def getData(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        return self._x, self._y

    def set_span(self, rect: QtCore.QRectF) -> None:
        if rect != self._span:
            self.prepareGeometryChange()
            self._span = QtCore.QRectF(rect)

    def boundingRect(self) -> QtCore.QRectF:
        return self._span

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange: object = None) -> tuple[float, float]:
        r = self._span
        return (r.left(), r.right()) if ax == 0 else (r.top(), r.bottom())

    def paint(self, p: QtGui.QPainter, opt: QtWidgets.QStyleOptionGraphicsItem,
              widget: QtWidgets.QWidget | None = None) -> None:
        if self._poly.size() > 1:
            p.setPen(self._pen)
            p.drawPolyline(self._poly)


def nice_limit(peak: float) -> float:
    """Smallest 1-2-5 × 10^k at or above ``peak`` (a stable axis limit: axes are re-laid out,
    which is costly, only when the signal changes magnitude, not on every frame)."""
    if not np.isfinite(peak) or peak <= 0:
        return 1.0
    k = 10.0 ** np.floor(np.log10(peak))
    return float(next(m * k for m in (1.0, 2.0, 5.0, 10.0) if m * k >= peak))


def nice_limit_cols(y: np.ndarray) -> list[float]:
    """:func:`nice_limit` of each column's largest absolute value."""
    return [nice_limit(float(v)) for v in np.abs(y).max(axis=0)] if len(y) else [1.0] * y.shape[1]
