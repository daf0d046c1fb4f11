"""Numpy ring buffers for live streams, and min/max decimation for drawing (Qt-free)."""

from __future__ import annotations

import threading

import numpy as np


class RingBuffer:
    """The newest ``capacity`` rows of a stream (time stamps + samples), thread-safe.

    One producer appends whole chunks (:meth:`extend`); any thread reads copies
    (:meth:`snapshot`, :meth:`latest`). Storage is a doubled array so the newest rows are
    always one contiguous slice: no per-sample work and no wrap-around on read.
    """

    def __init__(self, capacity: int, channels: int, dtype: np.dtype | type = np.float32):
        self.capacity = max(1, int(capacity))
        self.channels = int(channels)
        self._t = np.zeros(2 * self.capacity, np.float64)
        self._x = np.zeros((2 * self.capacity, self.channels), dtype)
        self._end = 0  # rows [end - size, end) are valid
        self._size = 0
        self.total = 0  # rows ever appended
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def extend(self, t: np.ndarray, x: np.ndarray) -> None:
        t = np.asarray(t, np.float64).reshape(-1)
        x = np.asarray(x).reshape(len(t), self.channels)
        cap = self.capacity
        if len(t) > cap:
            t, x = t[-cap:], x[-cap:]
        n = len(t)
        with self._lock:
            if self._end + n > 2 * cap:  # slide the newest rows to the front
                keep = min(self._size, cap - n)
                s = self._end - keep
                self._t[:keep] = self._t[s:self._end]
                self._x[:keep] = self._x[s:self._end]
                self._end, self._size = keep, keep
            self._t[self._end:self._end + n] = t
            self._x[self._end:self._end + n] = x
            self._end += n
            self._size = min(self._size + n, cap)
            self.total += n

    def snapshot(self, seconds: float | None = None, max_rows: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Copies of (t, x) of the newest rows: within ``seconds`` of the newest stamp and/or
        at most ``max_rows``."""
        with self._lock:
            lo = self._end - self._size
            t = self._t[lo:self._end]
            if seconds is not None and len(t):
                lo += int(np.searchsorted(t, t[-1] - seconds, side="left"))
            if max_rows is not None:
                lo = max(lo, self._end - max_rows)
            return self._t[lo:self._end].copy(), self._x[lo:self._end].copy()

    def times(self, seconds: float | None = None) -> np.ndarray:
        """Copy of the newest stamps only (within ``seconds`` of the newest): cheap health checks
        of wide streams (a pressure plate's frames are ~20 kB each)."""
        with self._lock:
            t = self._t[self._end - self._size:self._end]
            if seconds is not None and len(t):
                t = t[int(np.searchsorted(t, t[-1] - seconds, side="left")):]
            return t.copy()

    def since(self, pos: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Copies of the rows appended after row number ``pos`` (of :attr:`total`), and the
        new position. Rows that fell out of the buffer meanwhile are skipped."""
        with self._lock:
            n = min(self.total - pos, self._size)
            if n <= 0:
                return self._t[:0].copy(), self._x[:0].copy(), self.total
            lo = self._end - n
            return self._t[lo:self._end].copy(), self._x[lo:self._end].copy(), self.total

    def latest_time(self) -> float:
        with self._lock:
            return float(self._t[self._end - 1]) if self._size else float("nan")


def decimate_minmax(t: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce a trace to about 2 points per pixel column (min and max of each column).

    ``t`` (n,), ``y`` (n,) or (n, k). Returns float64 t of length ≤ 2·columns and y with the
    same trailing shape: each column's minimum then maximum, so spikes stay visible. Short
    traces come back unchanged.
    """
    t = np.asarray(t, np.float64)
    y = np.asarray(y)
    n = len(t)
    columns = max(1, int(columns))
    if n <= 2 * columns:
        return t.copy(), y.copy()
    per = n // columns
    m = per * columns
    start = n - m  # keep the newest samples whole
    yy = y[start:].reshape((columns, per, *y.shape[1:]))
    tt = t[start:].reshape(columns, per)
    lo, hi = yy.min(axis=1), yy.max(axis=1)
    out_y = np.stack([lo, hi], axis=1).reshape((2 * columns, *y.shape[1:]))
    out_t = np.stack([tt[:, 0], tt[:, -1]], axis=1).reshape(-1)
    return out_t, out_y
