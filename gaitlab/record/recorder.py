"""The recorder: every matching LSL stream into one crash-safe session file.

Threads: the caller's thread pulls all inlets (timeout 0, into numpy buffers), writes
whole blocks and flushes the file every ``flush_interval_s``; a :class:`Connector`
thread resolves streams, opens inlets and measures clock offsets, which can block.
"""

from __future__ import annotations

import errno
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pylsl
from pylsl.util import LostError

from gaitlab.athlete import Profile
from gaitlab.errors import RecordingError
from gaitlab.io.writer import SessionWriter, check_output_path, header_from_xml
from gaitlab.lab import DeviceChooser, LabProfile
from gaitlab.record.connector import (
    Connector,
    ConnectorWarning,
    Ignored,
    Offset,
    Opened,
    Ready,
    Refused,
)
from gaitlab.record.filters import StreamFilter
from gaitlab.record.stream import StreamState

_UNCLOSABLE: list[SessionWriter] = []  # writers whose file HDF5 failed to close
STOP_SETTLE_S = 1.0  # after a stop, wait at most this long for samples stamped before it
STOP_MARKERS_S = 0.25  # … and this long for markers sent before it (their streams have no rate)


@dataclass(frozen=True)
class StatusEvent:
    """A message for the user: a periodic status line, a warning, or an info line."""

    kind: Literal["status", "warning", "info"]
    text: str


@dataclass(frozen=True)
class StreamStats:
    key: str
    name: str
    role: str
    connected: bool
    samples: int
    nominal_srate: float
    measured_srate: float
    gaps: int
    nan_values: int
    reconnects: int


@dataclass
class RecordingSummary:
    path: Path
    duration_s: float
    bytes_written: int
    complete: bool
    streams: list[StreamStats] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def lines(self) -> list[str]:
        out = [f"recorded {len(self.streams)} stream(s) for {self.duration_s:.1f} s into "
               f"{self.path} ({self.bytes_written / 1e6:.2f} MB, "
               f"{'complete' if self.complete else 'INCOMPLETE'})"]
        for s in self.streams:
            out.append(f"  {s.key} [{s.role}]: {s.samples} samples, "
                       f"{s.measured_srate:.1f}/{s.nominal_srate:g} Hz, {s.gaps} gap(s), "
                       f"{s.nan_values} NaN value(s), {s.reconnects} reconnect(s)")
        return out


class Recorder:
    """Record LSL streams into one session file.

    ``status`` receives :class:`StatusEvent` objects (a status line about once a second,
    warnings as they happen). ``streams()`` lists what is being recorded.
    """

    def __init__(self, out_path: str | Path, athlete: Profile | None = None,
                 filters: StreamFilter | None = None,
                 status: Callable[[StatusEvent], None] | None = None, *,
                 overwrite: bool = False, flush_interval_s: float = 0.5,
                 offset_interval_s: float = 5.0, tick_s: float = 0.02,
                 session: dict[str, str] | None = None,
                 montages: dict[str, dict[str, str]] | None = None,
                 lab: LabProfile | None = None, discover_s: float = 1.0):
        self.path = Path(out_path)
        self.lab = lab
        self.discover_s = discover_s
        self.session = dict(session or {})
        check_output_path(self.path, overwrite)
        self.athlete = athlete
        self.filters = filters or StreamFilter()
        self.status = status
        self.overwrite = overwrite
        self.flush_interval_s = flush_interval_s
        self.offset_interval_s = offset_interval_s
        self.tick_s = tick_s
        self._states: dict[str, StreamState] = {}  # key -> state
        self._by_handle: dict[int, StreamState] = {}
        self._by_identity: dict[str, StreamState] = {}
        self._lock = threading.Lock()
        # EMG montages by stream identity (sid:<source_id> / uid:<uid>), written into the
        # stream's group by the recording thread (set_montage may be called from any thread)
        self._montages: dict[str, dict[str, str]] = {k: dict(v) for k, v in (montages or {}).items()}
        self._montage_due: set[str] = set(self._montages)
        self.warnings: list[str] = []
        self.writer: SessionWriter | None = None
        self._t0 = 0.0
        f = self.filters
        # streams the user named exactly are taken whatever else serves their role
        self.chooser = DeviceChooser(lab, (*f.identities, *(f"sid:{x}" for x in f.source_ids)))
        if f.identities or f.source_ids:
            self.discover_s = 0.0  # only named streams can match: no two can compete
        self._devices_dirty = False

    # --- public ---------------------------------------------------------------------
    def streams(self) -> list[StreamStats]:
        with self._lock:
            return [StreamStats(s.key, s.name, s.role, s.connected, s.n_samples, s.srate,
                                s.measured_rate(), s.n_gaps, s.n_nan, s.n_reconnects)
                    for s in self._states.values()]

    def set_montage(self, identity: str, montage: dict[str, str]) -> None:
        """Give a stream (by identity, as :func:`gaitlab.record.filters.identity_of`) an EMG
        montage: written into its group (``montage_json``) at the next tick, or when the
        stream appears; the analysis applies it. Thread-safe."""
        with self._lock:
            self._montages[identity] = dict(montage)
            self._montage_due.add(identity)

    def _write_montages(self) -> None:
        with self._lock:
            due = [(k, self._montages[k]) for k in self._montage_due if k in self._by_identity]
            self._montage_due.difference_update(k for k, _ in due)
        for ident, montage in due:
            self._by_identity[ident].writer.set_montage(montage)

    def run(self, duration_s: float | None = None,
            stop_event: threading.Event | None = None) -> RecordingSummary:
        """Record until ``duration_s`` has passed or ``stop_event`` is set.

        Raises :class:`RecordingError` (after closing the file, which stays readable) when
        the disk is full or the file cannot be written.
        """
        stop_event = stop_event or threading.Event()
        outbox: queue.Queue = queue.Queue()
        connector = Connector(self.filters, outbox, offset_interval_s=self.offset_interval_s,
                              chooser=self.chooser, discover_s=self.discover_s)
        connector.start()
        try:
            self._await_discovery(outbox, stop_event)
            session = dict(self.session)
            if self.lab is not None:
                session["lab_name"] = self.lab.name
                session["lab_profile_toml"] = self.lab.source_text
            self.writer = SessionWriter(self.path, self.athlete, overwrite=self.overwrite,
                                        session=session)
        except BaseException:
            connector.stop()
            connector.join(timeout=5.0)
            raise
        self._t0 = time.monotonic()
        what = f"lab profile {self.lab.path or self.lab.name}" if self.lab else self.filters.describe()
        self._emit("info", f"recording {what} into {self.path}")
        next_flush = self._t0 + self.flush_interval_s
        next_status = self._t0 + 1.0
        error = ""
        stop_at: tuple[float, float] | None = None  # the stop's LSL and monotonic times
        try:
            while True:
                now = time.monotonic()
                if stop_at is None and (stop_event.is_set() or
                                        (duration_s is not None and now - self._t0 >= duration_s)):
                    stop_at = (pylsl.local_clock(), now)
                done = stop_at is not None and self._settled(*stop_at, now)
                self._drain(outbox, connector)
                self._write_devices()
                self._write_montages()
                self._pull_all(connector)
                if now >= next_flush or done:
                    for s in list(self._states.values()):
                        s.write_pending()
                    self.writer.flush()
                    next_flush = now + self.flush_interval_s
                if now >= next_status:
                    self._emit("status", self.status_line())
                    next_status = now + 1.0
                if done:
                    break
                if stop_at is None:
                    stop_event.wait(self.tick_s)
                else:
                    time.sleep(self.tick_s)
        except (OSError, RuntimeError) as exc:  # h5py reports a failed flush as RuntimeError
            error = self._disk_error(exc)
        finally:
            connector.stop()
            self._close(complete=not error)
            connector.join(timeout=5.0)
        summary = self.summary(complete=not error)
        summary.error = error
        if error:
            raise RecordingError(error)
        return summary

    def summary(self, complete: bool) -> RecordingSummary:
        size = self.path.stat().st_size if self.path.exists() else 0
        return RecordingSummary(self.path, time.monotonic() - self._t0, size, complete,
                                self.streams(), list(self.warnings))

    def _settled(self, stop_lsl: float, stopped: float, now: float) -> bool:
        """Whether a stop (at ``stop_lsl`` on the LSL clock, ``stopped`` on the monotonic one)
        may end the recording: what was sampled up to its moment is kept, so the samples still
        on their way (LSL's latency, a loaded machine) are waited for, at most STOP_SETTLE_S;
        an irregular stream (markers) cannot tell, so it is given STOP_MARKERS_S."""
        if now >= stopped + STOP_SETTLE_S:
            return True
        states = self._states.values()
        if not all(s.caught_up(stop_lsl) for s in states):
            return False
        return now >= stopped + STOP_MARKERS_S or not any(s.connected and s.srate <= 0 for s in states)

    def status_line(self) -> str:
        elapsed = time.monotonic() - self._t0
        parts = []
        for s in self.streams():
            flag = "" if s.connected else " LOST"
            rate = f"{s.measured_srate:.0f}/{s.nominal_srate:g}Hz" if s.nominal_srate else "irreg"
            nan = f" NaN {s.nan_values}" if s.nan_values else ""
            parts.append(f"{s.name} {s.samples} {rate} gaps {s.gaps}{nan}{flag}")
        size = self.writer.size_bytes() / 1e6 if self.writer else 0.0
        body = "; ".join(parts) if parts else "waiting for streams"
        return f"[{elapsed:6.1f} s | {size:7.2f} MB | {len(parts)} stream(s)] {body}"

    @property
    def file_left_open(self) -> bool:
        """True after a write error HDF5 could not close the file from: the data flushed
        before are on disk, but this process should exit soon and without HDF5's cleanup
        (``os._exit``), which would crash on the unwritable file (the CLI does this)."""
        return self.writer is not None and self.writer in _UNCLOSABLE

    # --- internals ------------------------------------------------------------------
    def _emit(self, kind: Literal["status", "warning", "info"], text: str) -> None:
        if kind == "warning":
            self.warnings.append(text)
        if self.status is not None:
            self.status(StatusEvent(kind, text))

    def _disk_error(self, exc: Exception) -> str:
        text = " ".join(str(exc).split())
        full = getattr(exc, "errno", None) == errno.ENOSPC or "errno = 28" in text or \
            "no space left" in text.lower()
        if full:
            what = "disk full (no space left on device)"
        else:
            what = "write failed (" + ((text[:120] + "…") if len(text) > 120 else text) + ")"
        return (f"{self.path}: {what}; recording stopped, the file keeps everything flushed "
                "before (gaitlab and h5py swmr=True read it); free space and record again")

    def _close(self, complete: bool) -> None:
        if self.writer is None:
            return
        try:
            if complete:
                self.writer.close(complete=True)
            else:
                self.writer.file.close()
        except Exception:
            # HDF5 could not close the file (e.g. disk full). What was flushed before is
            # safe on disk; freeing these handles later crashes HDF5, so keep them.
            _UNCLOSABLE.append(self.writer)

    def _await_discovery(self, outbox: queue.Queue, stop_event: threading.Event) -> None:
        """Wait for the connector's look at the network; raise RecordingError (before any
        file is made) when two streams would serve one role."""
        end = time.monotonic() + self.discover_s + 10.0
        early: list = []
        while time.monotonic() < end and not stop_event.is_set():
            try:
                msg = outbox.get(timeout=0.05)
            except queue.Empty:
                continue
            if isinstance(msg, Refused):
                raise RecordingError(msg.text)
            if isinstance(msg, Ready):
                for m in early:
                    outbox.put(m)
                return
            early.append(msg)
        for m in early:
            outbox.put(m)

    def _write_devices(self) -> None:
        if not self._devices_dirty or self.writer is None:
            return
        self._devices_dirty = False
        keys = {ident: st.key for ident, st in self._by_identity.items()}
        self.writer.set_devices(self.chooser.choice_json(keys), self.chooser.ignored_json())

    def _drain(self, outbox: queue.Queue, connector: Connector) -> None:
        while True:
            try:
                msg = outbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(msg, Opened):
                self._adopt(msg)
            elif isinstance(msg, Offset):
                state = self._by_handle.get(msg.handle)
                if state is not None:
                    state.add_offset(msg.recorder_time, msg.offset)
            elif isinstance(msg, ConnectorWarning):
                self._emit("warning", msg.text)
            elif isinstance(msg, Ignored):
                self._emit("warning", msg.reason)
                self._devices_dirty = True

    def _adopt(self, msg: Opened) -> None:
        assert self.writer is not None
        header, problem = header_from_xml(msg.info_xml, msg.opened_lsl_time)
        state = self._by_identity.get(msg.identity)
        if state is not None and (state.channels != header.channel_count
                                  or state.writer.header.channel_format != header.channel_format):
            self._emit("warning", f"stream '{header.name}' came back with a different layout "
                       f"({header.channel_count} ch {header.channel_format}); recording it as a "
                       "new group")
            state.write_pending()
            state = None
        if state is None:
            if problem:
                self._emit("warning", f"{problem} (recorded raw as role 'other')")
            key, sw = self.writer.add_stream(header)
            state = StreamState(key, sw, header.nominal_srate, header.role, header.name)
            with self._lock:
                if msg.identity in self._montages:
                    self._montage_due.add(msg.identity)  # a new group: write it there too
            with self._lock:
                self._states[key] = state
            self._by_identity[msg.identity] = state
            self._devices_dirty = True
            self._emit("info", f"recording stream '{header.name}' ({header.type}, "
                       f"{header.channel_count} ch @ {header.nominal_srate:g} Hz) as /streams/{key}")
        else:
            self._emit("info", f"stream '{header.name}' is back; continuing /streams/{state.key}")
        state.attach(msg.inlet, msg.handle, msg.identity)
        self._by_handle[msg.handle] = state

    def _pull_all(self, connector: Connector) -> None:
        for s in list(self._states.values()):
            if s.inlet is None:
                continue
            try:
                while s.pull():
                    s.write_pending()
            except LostError:
                self._emit("warning", f"stream '{s.name}' lost; waiting for it to come back")
                s.mark_lost()
                self._by_handle.pop(s.handle, None)
                connector.report_lost(s.handle)
