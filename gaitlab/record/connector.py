"""Background thread that finds streams, opens inlets and measures clock offsets.

Everything here may block (resolving, ``open_stream``, ``info``, ``time_correction``),
so it runs beside the pulling loop and hands its results over through a queue:
:class:`Opened` for a new or re-opened inlet and :class:`Offset` for a clock-offset
measurement. The pulling loop reports a lost inlet with :meth:`Connector.report_lost`;
the connector then reopens the stream as soon as the resolver shows a live stream with
the same identity (its source_id).

With a :class:`~gaitlab.lab.DeviceChooser` (the recorder's case) the connector first
looks at the network for ``discover_s`` and refuses (:class:`Refused`) when two streams
would serve one role; afterwards each new stream is offered to the chooser and only the
streams it takes are opened (:class:`Ignored` reports the others, with the reason). A
stream's full info is read before anything is opened, so a foreign stream never sends
data here. Without a chooser (the live monitor) every matching stream is opened.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from dataclasses import dataclass

import pylsl

from gaitlab.lab import Device, DeviceChooser, device_from_xml
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


@dataclass
class Ready:
    """Discovery is over: these streams were found and none serves a role twice."""

    devices: list[Device]


@dataclass
class Refused:
    """Two streams would serve one role: the recording must not start (one-line reason)."""

    text: str


@dataclass
class Ignored:
    """A stream that is on the network but not recorded, and why."""

    device: Device
    reason: str


class Connector(threading.Thread):
    def __init__(self, filters: StreamFilter, outbox: queue.Queue, *, offset_interval_s: float = 5.0,
                 poll_s: float = 0.2, max_buflen_s: int = 30, open_timeout_s: float = 2.0,
                 chooser: DeviceChooser | None = None, discover_s: float = 1.0):
        super().__init__(name="gaitlab-connector", daemon=True)
        self.chooser = chooser
        self.discover_s = discover_s if chooser is not None else 0.0
        self._known: dict[str, tuple[str, Device]] = {}  # uid -> (info xml, device)
        self._same_sid_warned: set[str] = set()
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
            if self.chooser is not None and not self._discover(resolver):
                return
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

    def _describe(self, info: pylsl.StreamInfo) -> tuple[str, Device] | None:
        """The stream's full info XML and its :class:`Device` (read once per uid, without
        opening the data connection); None when the source does not answer."""
        uid = info.uid()
        if uid not in self._known:
            try:
                probe = pylsl.StreamInlet(info, max_buflen=1, recover=False)
                xml = probe.info(timeout=self.open_timeout_s).as_xml()
                del probe
            except Exception as exc:
                self._failed[uid] = time.monotonic()
                self.outbox.put(ConnectorWarning(
                    f"cannot read stream '{info.name()}' ({type(exc).__name__}); will retry"))
                return None
            self._known[uid] = (xml, device_from_xml(identity_of(info), xml))
        return self._known[uid]

    def _discover(self, resolver: pylsl.ContinuousResolver) -> bool:
        """Look at the network for ``discover_s``; False (after putting :class:`Refused`)
        when two streams would serve one role."""
        end = time.monotonic() + self.discover_s
        while not self._quit.is_set():
            for info in resolver.results():
                if self.filters.matches_info(info):
                    self._describe(info)
            if time.monotonic() >= end:
                break
            self._quit.wait(min(self.poll_s, max(0.0, end - time.monotonic())))
        live = {i.uid() for i in resolver.results()}
        found = [dev for uid, (_x, dev) in self._known.items() if uid in live]
        assert self.chooser is not None
        try:
            self.chooser.check_start(found)
        except Exception as exc:
            self.outbox.put(Refused(str(exc)))
            return False
        self.outbox.put(Ready(found))
        return True

    def _open_new(self, resolver: pylsl.ContinuousResolver) -> None:
        now = time.monotonic()
        results = resolver.results()
        self._warn_same_source_id(results)
        batch: list[tuple[pylsl.StreamInfo, str, Device]] = []
        for info in results:
            if self._quit.is_set():
                return
            if not self.filters.matches_info(info):
                continue
            ident, uid = identity_of(info), info.uid()
            if ident in self._active or now - self._failed.get(uid, -1e9) < RETRY_SAME_UID_S:
                continue
            if self.chooser is None:
                self._open(info, ident, uid)
                continue
            known = self._describe(info)
            if known is None:
                continue
            if any(b[1] == ident for b in batch):
                continue  # two live streams with one source_id: warned above, first one only
            batch.append((info, known[0], known[1]))
        if self.chooser is None or not batch:
            return
        chosen = set(self.chooser.chosen)
        back = [b for b in batch if b[2].identity in chosen]  # a recorded stream returning
        take, ignored = self.chooser.offer([b[2] for b in batch if b[2].identity not in chosen])
        for ig in ignored:
            self.outbox.put(Ignored(ig.device, ig.reason))
        taken = {d.identity for d in take}
        for info, _xml, dev in back + [b for b in batch if b[2].identity in taken]:
            self._open(info, dev.identity, info.uid())

    def _warn_same_source_id(self, results: list[pylsl.StreamInfo]) -> None:
        by_sid: dict[str, list[pylsl.StreamInfo]] = {}
        for info in results:
            if info.source_id():
                by_sid.setdefault(info.source_id(), []).append(info)
        for sid, infos in by_sid.items():
            if len(infos) > 1 and sid not in self._same_sid_warned and \
                    any(self.filters.matches_info(i) for i in infos):
                self._same_sid_warned.add(sid)
                hosts = ", ".join(f"'{i.name()}' on {i.hostname()}" for i in infos)
                self.outbox.put(ConnectorWarning(
                    f"{len(infos)} live streams carry source_id {sid} ({hosts}): a copy or a "
                    "spoof; only the first one found is recorded - find the other and stop it"))

    def _open(self, info: pylsl.StreamInfo, ident: str, uid: str) -> None:
        try:
            inlet = pylsl.StreamInlet(info, max_buflen=self.max_buflen_s, recover=False)
            inlet.open_stream(timeout=self.open_timeout_s)
            xml = inlet.info(timeout=self.open_timeout_s).as_xml()
        except Exception as exc:
            self._failed[uid] = time.monotonic()
            self.outbox.put(ConnectorWarning(
                f"cannot open stream '{info.name()}' ({type(exc).__name__}); will retry"))
            return
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
