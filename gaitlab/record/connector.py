"""Background thread that finds streams, opens inlets and measures clock offsets.

Everything here may block (resolving, ``open_stream``, ``info``, ``time_correction``),
so it runs beside the pulling loop and hands its results over through a queue:
:class:`Opened` for a new or re-opened inlet and :class:`Offset` for a clock-offset
measurement. The pulling loop reports a lost inlet with :meth:`Connector.report_lost`;
the connector then reopens the stream as soon as the resolver shows a live stream with
the same identity (its source_id).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from dataclasses import dataclass

import pylsl

from gaitlab.record.filters import StreamFilter, identity_of

RETRY_SAME_UID_S = 2.0  # a lost uid may still be in the resolver's list; retry it this late


@dataclass
class Opened:
    handle: int
    identity: str
    inlet: pylsl.StreamInlet
    info_xml: str
    uid: str
    opened_lsl_time: float


@dataclass
class Offset:
    handle: int
    recorder_time: float
    offset: float


@dataclass
class ConnectorWarning:
    text: str


class Connector(threading.Thread):
    def __init__(self, filters: StreamFilter, outbox: queue.Queue, *, offset_interval_s: float = 5.0,
                 poll_s: float = 0.2, max_buflen_s: int = 30, open_timeout_s: float = 2.0):
        super().__init__(name="gaitlab-connector", daemon=True)
        self.filters = filters
        self.outbox = outbox
        self.offset_interval_s = offset_interval_s
        self.poll_s = poll_s
        self.max_buflen_s = max_buflen_s
        self.open_timeout_s = open_timeout_s
        self._quit = threading.Event()
        self._lost: queue.Queue[int] = queue.Queue()
        self._handles = itertools.count(1)
        # identity -> (handle, inlet, uid, next offset time)
        self._active: dict[str, list] = {}
        self._failed: dict[str, float] = {}  # uid -> time it was lost / failed to open

    def stop(self) -> None:
        self._quit.set()

    def report_lost(self, handle: int) -> None:
        self._lost.put(handle)

    def run(self) -> None:
        resolver = pylsl.ContinuousResolver(forget_after=3.0)
        try:
            while not self._quit.is_set():
                self._forget_lost()
                self._open_new(resolver)
                self._measure_offsets()
                self._quit.wait(self.poll_s)
        finally:
            self._active.clear()
            del resolver

    def _forget_lost(self) -> None:
        while True:
            try:
                handle = self._lost.get_nowait()
            except queue.Empty:
                return
            for ident, entry in list(self._active.items()):
                if entry[0] == handle:
                    self._failed[entry[2]] = time.monotonic()
                    del self._active[ident]

    def _open_new(self, resolver: pylsl.ContinuousResolver) -> None:
        now = time.monotonic()
        for info in resolver.results():
            if self._quit.is_set():
                return
            if not self.filters.matches_info(info):
                continue
            ident, uid = identity_of(info), info.uid()
            if ident in self._active or now - self._failed.get(uid, -1e9) < RETRY_SAME_UID_S:
                continue
            try:
                inlet = pylsl.StreamInlet(info, max_buflen=self.max_buflen_s, recover=False)
                inlet.open_stream(timeout=self.open_timeout_s)
                xml = inlet.info(timeout=self.open_timeout_s).as_xml()
            except Exception as exc:
                self._failed[uid] = time.monotonic()
                self.outbox.put(ConnectorWarning(
                    f"cannot open stream '{info.name()}' ({type(exc).__name__}); will retry"))
                continue
            handle = next(self._handles)
            self._active[ident] = [handle, inlet, uid, time.monotonic()]
            self.outbox.put(Opened(handle, ident, inlet, xml, uid, pylsl.local_clock()))

    def _measure_offsets(self) -> None:
        for entry in list(self._active.values()):
            handle, inlet, _uid, due = entry
            if time.monotonic() < due or self._quit.is_set():
                continue
            entry[3] = time.monotonic() + self.offset_interval_s
            try:
                off = inlet.time_correction(timeout=2.0)
            except Exception:
                continue
            self.outbox.put(Offset(handle, pylsl.local_clock(), float(off)))
