"""One recorded stream: pull chunks into a preallocated buffer, append whole blocks."""

from __future__ import annotations

import math

import numpy as np
import pylsl

from gaitlab.io.writer import LSL_DTYPES, StreamWriter

GAP_MIN_S = 0.1  # shortest break reported as a gap, whatever the rate
GAP_PERIODS = 5.0  # … and at least this many sample periods


def gap_threshold_s(srate: float) -> float:
    """Timestamp step above which samples are taken as missing (inf for irregular streams)."""
    return max(GAP_PERIODS / srate, GAP_MIN_S) if srate > 0 else math.inf


def find_gaps(ts: np.ndarray, prev_ts: float | None, srate: float) -> np.ndarray:
    """Breaks in a block of stamps (continuing from ``prev_ts``) as (k, 2) [before, after] rows."""
    thr = gap_threshold_s(srate)
    if not math.isfinite(thr) or len(ts) == 0:
        return np.empty((0, 2))
    t = ts if prev_ts is None else np.concatenate(([prev_ts], ts))
    i = np.flatnonzero(np.diff(t) > thr)
    return np.column_stack((t[i], t[i + 1]))


def pull_rows_for(srate: float, row_bytes: int) -> int:
    """Samples per pull: ~0.5 s of data, 16…8192 rows, at most ~4 MiB."""
    rows = int(srate * 0.5) if srate > 0 else 256
    return int(max(16, min(rows, 8192, max(16, (4 << 20) // max(1, row_bytes)))))


class StreamState:
    """Counters, buffer and writer of one stream (one HDF5 group)."""

    def __init__(self, key: str, writer: StreamWriter, srate: float, role: str, name: str):
        self.key = key
        self.writer = writer
        self.srate = srate
        self.role = role
        self.name = name
        self.dtype = LSL_DTYPES.get(writer.header.channel_format, np.dtype("<f4"))
        self.channels = writer.header.channel_count
        self.is_string = self.dtype is None
        self.inlet: pylsl.StreamInlet | None = None
        self.handle = -1
        self.identity = ""
        self.connected = False
        self.n_samples = 0
        self.n_nan = 0
        self.n_gaps = 0
        self.gap_s = 0.0  # time inside the gaps (s): left out of the measured rate
        self.n_reconnects = 0
        self.first_ts: float | None = None
        self.last_ts: float | None = None
        self.first_seen = pylsl.local_clock()
        self.offset = 0.0  # the latest clock offset (s): stream stamp + offset = our LSL clock
        self._reconnected = False
        row_bytes = 64 * self.channels if self.is_string else self.dtype.itemsize * self.channels
        self.pull_rows = pull_rows_for(srate, row_bytes)
        self.block_rows = max(writer.chunk_rows, self.pull_rows)
        cap = self.block_rows + self.pull_rows
        self._ts = np.empty(cap, dtype=np.float64)
        self._n = 0
        if self.is_string:
            self._strs: list[list[str]] = []
        else:
            self._buf = np.empty((cap, self.channels), dtype=self.dtype)
        self._gaps: list[np.ndarray] = []
        self._offsets: list[tuple[float, float]] = []

    # --- connection -------------------------------------------------------------------
    def attach(self, inlet: pylsl.StreamInlet, handle: int, identity: str) -> None:
        if self.inlet is not None or self.n_samples:
            self._reconnected = True
            self.n_reconnects += 1
        self.inlet, self.handle, self.identity, self.connected = inlet, handle, identity, True

    def mark_lost(self) -> None:
        self.inlet, self.connected = None, False

    # --- pulling ----------------------------------------------------------------------
    def pull(self) -> bool:
        """Drain the inlet into the buffer. Returns True when a block is ready to write.

        Raises pylsl's LostError when the source is gone.
        """
        inlet = self.inlet
        if inlet is None:
            return False
        while True:
            if self._n + self.pull_rows > len(self._ts):
                return True  # full: caller writes, then pulls again
            n0 = self._n
            if self.is_string:
                samples, ts = inlet.pull_chunk(timeout=0.0, max_samples=self.pull_rows)
                k = len(ts)
                if k:
                    self._strs.extend(samples)
            else:
                view = self._buf[n0:n0 + self.pull_rows]
                _, ts = inlet.pull_chunk(timeout=0.0, max_samples=self.pull_rows, dest_obj=view,
                                         as_numpy=True)
                k = len(ts)
                if k and self.dtype.kind == "f":
                    self.n_nan += int(np.count_nonzero(np.isnan(view[:k])))
            if k == 0:
                return self._n >= self.block_rows
            ts = np.asarray(ts, dtype=np.float64)
            self._ts[n0:n0 + k] = ts
            self._n += k
            self._track(ts)
            if k < self.pull_rows:
                return self._n >= self.block_rows

    def _track(self, ts: np.ndarray) -> None:
        prev = self.last_ts
        if self._reconnected:
            self._reconnected = False
            if prev is not None:
                self._gaps.append(np.array([[prev, ts[0]]]))
                self.n_gaps += 1
                self.gap_s += float(ts[0]) - prev
            prev = None
        gaps = find_gaps(ts, prev, self.srate)
        if len(gaps):
            self._gaps.append(gaps)
            self.n_gaps += len(gaps)
            self.gap_s += float(np.sum(gaps[:, 1] - gaps[:, 0]))
        if self.first_ts is None:
            self.first_ts = float(ts[0])
        self.last_ts = float(ts[-1])
        self.n_samples += len(ts)

    def add_offset(self, recorder_time: float, offset: float) -> None:
        self._offsets.append((recorder_time, offset))
        self.offset = offset

    def caught_up(self, t_lsl: float) -> bool:
        """Whether the samples up to ``t_lsl`` (this machine's LSL clock) are in: true for a
        stream that is not connected or has no nominal rate (nothing to wait for)."""
        if not self.connected or self.srate <= 0:
            return True
        return self.last_ts is not None and self.last_ts + self.offset >= t_lsl - 1.0 / self.srate

    # --- writing ----------------------------------------------------------------------
    def write_pending(self) -> None:
        """Append the buffered samples, gaps and offsets to the file.

        A stream that was lost and never came back gets no gap row: its data just end."""
        n = self._n
        if n:
            if self.is_string:
                data = np.empty((n, self.channels), dtype=object)
                data[:] = self._strs[:n]
                self._strs.clear()
            else:
                data = self._buf[:n]
            self.writer.append(self._ts[:n], data)
            self._n = 0
        if self._gaps:
            self.writer.add_gaps(np.concatenate(self._gaps))
            self._gaps.clear()
        if self._offsets:
            self.writer.add_offsets(np.asarray(self._offsets))
            self._offsets.clear()

    def measured_rate(self) -> float:
        """Samples per second while the stream was flowing: the gaps' intervals and time are left
        out, so an outage does not read as a slow device."""
        if self.first_ts is None or self.last_ts is None:
            return 0.0
        span = self.last_ts - self.first_ts - self.gap_s
        intervals = self.n_samples - 1 - self.n_gaps
        return intervals / span if span > 0 and intervals > 0 else 0.0
