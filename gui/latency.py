"""Sensor-timestamp-to-screen latency taken at the actual paint of a plot widget.

A view tells its :class:`PaintClock` the LSL stamp (local clock, offset applied) of the newest
sample it handed to its curves (:meth:`PaintClock.drawn`). When the widget has finished painting
a frame with new data, the clock records ``local_clock() − stamp``: the time from the sensor's
sample to the pixels being in the window's back buffer (the platform's flush to the screen follows).
Repaints of unchanged data are not counted again.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pylsl
import pyqtgraph as pg
from PySide6 import QtGui

from gaitlab.live.processing import latency_stats


class PaintClock:
    """Latency samples (s) and painted-frame times of one widget."""

    def __init__(self, maxlen: int = 3000):
        self.latencies: deque[float] = deque(maxlen=maxlen)
        self.paint_times: deque[float] = deque(maxlen=120)  # local clock of frames with new data
        self.painted = 0  # frames with new data painted
        self._pending = float("nan")

    def drawn(self, stamp: float) -> None:
        """The newest sample handed to the widget's curves has this local LSL stamp."""
        if np.isfinite(stamp):
            self._pending = stamp

    def drawn_hidden(self) -> None:
        """The widget was hidden: what was handed to it was never painted."""
        self._pending = float("nan")

    def on_paint(self) -> None:
        if not np.isfinite(self._pending):
            return
        now = pylsl.local_clock()
        self.latencies.append(now - self._pending)
        self.paint_times.append(now)
        self.painted += 1
        self._pending = float("nan")

    def stats(self) -> tuple[float, float, int]:
        """(median ms, p99 ms, n) of the recent latencies."""
        return latency_stats(np.asarray(self.latencies))

    def fps(self) -> float:
        """Painted frames (with new data) per second over the recent frames."""
        p = self.paint_times
        return (len(p) - 1) / (p[-1] - p[0]) if len(p) > 2 and p[-1] > p[0] else 0.0


class _Timed:
    """Mixin for pyqtgraph views: notify :attr:`paint_clock` after each paint."""

    paint_clock: PaintClock

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        super().paintEvent(ev)  # type: ignore[misc]
        self.paint_clock.on_paint()

    def hideEvent(self, ev: QtGui.QHideEvent) -> None:
        super().hideEvent(ev)  # type: ignore[misc]
        self.paint_clock.drawn_hidden()


class TimedLayoutWidget(_Timed, pg.GraphicsLayoutWidget):
    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.paint_clock = PaintClock()


class TimedPlotWidget(_Timed, pg.PlotWidget):
    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.paint_clock = PaintClock()


def overlay_text(clocks: dict[str, PaintClock]) -> str:
    """One line: paint-time latency median / p99 per trace."""
    parts = []
    for name, c in clocks.items():
        med, p99, n = c.stats()
        if n:
            parts.append(f"{name} {med:.0f}/{p99:.0f} ms")
    return "sensor→screen at paint (median/p99): " + (", ".join(parts) if parts else "—")
