"""Mark-10 gauge / generic serial load cell -> LSL dynamometer stream.

The dynamometer convention: type "Force", exactly one channel "force", unit N. The
outlet is created once, after the first successful contact, and kept through
reconnects so recorders see one continuous stream. Samples are collected into numpy
buffers and pushed as chunks every ~20 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pylsl
import serial

from gaitlab.drivers.common import retry_with_backoff
from gaitlab.drivers.mark10.generic import GenericLineParser, LineFormat
from gaitlab.drivers.mark10.protocol import (
    FORCE_UNITS_TO_N,
    UNIT_COMMANDS,
    ErrorReply,
    Reading,
    TextReply,
)
from gaitlab.drivers.mark10.transport import LinkLost, Mark10Link, open_port, read_available
from gaitlab.errors import GaitlabError

Status = Callable[[str], None]
PUSH_PERIOD_S = 0.02
CHUNK = 256
POLL_REPLIES = (Reading, ErrorReply)
MAX_MISSES = 3  # consecutive unanswered polls before the link counts as lost


@dataclass
class SerialConfig:
    port: str
    baud: int = 115200
    source_id: str | None = None
    name: str = "Dynamometer"
    rate_hz: float = 0.0  # 0: poll as fast as the gauge answers
    reply_timeout_s: float = 0.5
    set_unit: str | None = None  # send this unit command at start (N, LBF, KGF …)
    zero: bool = False
    default_unit: str | None = None  # unit of readings printed without one (unit output off)
    reconnect_max_s: float = 2.0


def dynamometer_info(name: str, source_id: str, rate_hz: float, manufacturer: str, model: str,
                     serial_no: str, port: str) -> pylsl.StreamInfo:
    info = pylsl.StreamInfo(name, "Force", 1, rate_hz, pylsl.cf_float32, source_id)
    desc = info.desc()
    desc.append_child_value("manufacturer", manufacturer)
    desc.append_child_value("model", model)
    desc.append_child_value("serial", serial_no)
    desc.append_child_value("port", port)
    ch = desc.append_child("channels").append_child("channel")
    ch.append_child_value("label", "force")
    ch.append_child_value("unit", "N")
    ch.append_child_value("type", "Force")
    return info


class ChunkBuffer:
    """Collect (value, stamp) pairs in numpy buffers; push them as one chunk when due."""

    def __init__(self, outlet: pylsl.StreamOutlet, size: int = CHUNK) -> None:
        self.outlet = outlet
        self.values = np.zeros((size, 1), np.float32)
        self.stamps = np.zeros(size, np.float64)
        self.n = 0
        self.total = 0
        self._last_push = time.monotonic()

    def add(self, value: float, stamp: float) -> None:
        self.values[self.n, 0] = value
        self.stamps[self.n] = stamp
        self.n += 1
        if self.n == len(self.stamps) or time.monotonic() - self._last_push >= PUSH_PERIOD_S:
            self.flush()

    def add_many(self, values: list[float], stamp: float, dt: float) -> None:
        """Values that arrived together; stamped backwards from ``stamp`` by ``dt``."""
        k = len(values)
        ts = stamp - dt * np.arange(k - 1, -1, -1)
        for v, t in zip(values, ts, strict=True):
            self.add(v, float(t))

    def flush(self) -> None:
        if self.n:
            self.outlet.push_chunk(self.values[: self.n], self.stamps[: self.n].tolist())
            self.total += self.n
            self.n = 0
        self._last_push = time.monotonic()


def _identify(link: Mark10Link, timeout: float) -> tuple[str, str]:
    """Model and serial number via RM / RS; empty when the gauge does not support them."""
    out = []
    for cmd in ("RM", "RS"):
        ev = link.request(cmd, timeout)
        out.append(ev.text if isinstance(ev, TextReply) else "")
    return out[0], out[1]


class Mark10Bridge:
    """Poll a Mark-10 gauge with ``?C`` and publish every reading in newtons."""

    def __init__(self, cfg: SerialConfig, status: Status = print) -> None:
        if cfg.set_unit and cfg.set_unit.upper() not in UNIT_COMMANDS:
            raise GaitlabError(f"--unit {cfg.set_unit} is not a Mark-10 unit command; use one of "
                               + ", ".join(UNIT_COMMANDS))
        if cfg.default_unit and cfg.default_unit.lower() not in FORCE_UNITS_TO_N:
            raise GaitlabError(f"--assume-unit {cfg.default_unit} is not a force unit; use one of "
                               + ", ".join(sorted(FORCE_UNITS_TO_N)))
        self.cfg = cfg
        self.status = status
        self.poll_cmd = "?C"
        self.buffer: ChunkBuffer | None = None
        self.errors = 0
        self.reconnects = 0
        self.link: Mark10Link | None = None

    # -- connection -------------------------------------------------------------
    def _handshake(self, first: bool) -> Mark10Link:
        cfg = self.cfg
        link = Mark10Link(open_port(cfg.port, cfg.baud), cfg.default_unit)
        try:
            reading = None
            for _ in range(3):
                ev = link.request(self.poll_cmd, cfg.reply_timeout_s, POLL_REPLIES)
                if isinstance(ev, ErrorReply) and self.poll_cmd == "?C":
                    self.poll_cmd = "?"  # older firmware: plain '?' is the reading request
                    continue
                if isinstance(ev, Reading):
                    reading = ev
                    break
            if reading is None:
                raise GaitlabError(
                    f"no force reading from a Mark-10 gauge on {cfg.port} at {cfg.baud} baud; "
                    "check the gauge is on and its Serial/USB baud rate matches --baud")
            if cfg.set_unit:
                link.send(cfg.set_unit.upper())
            if cfg.zero:
                link.send("Z")
            if first:
                model, serial_no = _identify(link, cfg.reply_timeout_s)
                sid = cfg.source_id or f"mark10:{serial_no or cfg.port}"
                info = dynamometer_info(cfg.name, sid, cfg.rate_hz, "Mark-10", model or "unknown",
                                        serial_no or "unknown", cfg.port)
                self.buffer = ChunkBuffer(pylsl.StreamOutlet(info, chunk_size=0, max_buffered=60))
                self.status(f"mark10: {model or 'gauge'} s/n {serial_no or '?'} on {cfg.port}, "
                            f"unit {reading.unit}, polling '{self.poll_cmd}'; LSL stream "
                            f"'{cfg.name}' source_id {sid}")
        except LinkLost as exc:
            link.close()
            raise GaitlabError(f"serial link to {cfg.port} failed during set-up ({exc})") from None
        except GaitlabError:
            link.close()
            raise
        return link

    def _reconnect(self, why: str, should_stop: Callable[[], bool]) -> Mark10Link | None:
        self.status(f"mark10: link lost ({why}); reconnecting to {self.cfg.port} …")
        link = retry_with_backoff(lambda: self._handshake(first=False), should_stop,
                                  self.cfg.reconnect_max_s)
        if link is None:
            return None
        self.reconnects += 1
        self.status("mark10: reconnected")
        return link

    # -- main loop --------------------------------------------------------------
    def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        link = self._handshake(first=True)
        assert self.buffer is not None
        period = 1.0 / self.cfg.rate_hz if self.cfg.rate_hz > 0 else 0.0
        misses = 0
        next_t = time.monotonic()
        try:
            while not should_stop():
                try:
                    t_send = pylsl.local_clock()
                    ev = link.request(self.poll_cmd, self.cfg.reply_timeout_s, POLL_REPLIES)
                    t_recv = pylsl.local_clock()
                except LinkLost as exc:
                    ev, why = None, str(exc)
                    misses = MAX_MISSES
                else:
                    why = f"no reply to {MAX_MISSES} polls"
                    misses = 0 if ev is not None else misses + 1
                if isinstance(ev, Reading):
                    # the gauge answers mid-way through the round trip
                    self.buffer.add(ev.newtons, 0.5 * (t_send + t_recv))
                elif isinstance(ev, ErrorReply):
                    self.errors += 1
                    if self.errors in (1, 10, 100, 1000):
                        self.status(f"mark10: gauge replied *{ev.code} ({ev.meaning}); "
                                    f"{self.errors} error replies so far")
                if misses >= MAX_MISSES:
                    self.buffer.flush()
                    link.close()
                    new = self._reconnect(why, should_stop)
                    if new is None:
                        return
                    link, misses = new, 0
                if period:
                    next_t += period
                    delay = next_t - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    else:
                        next_t = time.monotonic()
        finally:
            self.buffer.flush()
            link.close()


class GenericSerialBridge:
    """A microcontroller printing one reading per line -> LSL dynamometer stream."""

    def __init__(self, cfg: SerialConfig, fmt: LineFormat, status: Status = print) -> None:
        self.cfg = cfg
        self.parser = GenericLineParser(fmt)
        self.status = status
        self.reconnects = 0
        sid = cfg.source_id or f"serialforce:{cfg.port}"
        info = dynamometer_info(cfg.name, sid, cfg.rate_hz, "DIY", "line-serial load cell",
                                "", cfg.port)
        self._info = info
        self.buffer: ChunkBuffer | None = None

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        cfg = self.cfg
        port: serial.Serial | None = open_port(cfg.port, cfg.baud)
        self.buffer = ChunkBuffer(pylsl.StreamOutlet(self._info, chunk_size=0, max_buffered=60))
        self.status(f"serial: reading lines from {cfg.port} at {cfg.baud} baud; LSL stream "
                    f"'{cfg.name}' source_id {self._info.source_id()}")
        dt = 1.0 / cfg.rate_hz if cfg.rate_hz > 0 else 0.0
        silent_since = time.monotonic()
        try:
            while not should_stop():
                try:
                    data = read_available(port)
                except LinkLost as exc:
                    port = self._reconnect(port, str(exc), should_stop)
                    if port is None:
                        return
                    continue
                now = pylsl.local_clock()
                values = self.parser.feed(data) if data else []
                if values:
                    silent_since = time.monotonic()
                    self.buffer.add_many(values, now, dt)
                elif time.monotonic() - silent_since > 5.0:
                    self.status(f"serial: no valid line for 5 s ({self.parser.bad_lines} "
                                "unparseable); check --regex/--csv-column and --baud")
                    silent_since = time.monotonic()
        finally:
            self.buffer.flush()
            if port is not None:
                port.close()

    def _reconnect(self, port: serial.Serial, why: str,
                   should_stop: Callable[[], bool]) -> serial.Serial | None:
        if self.buffer is not None:
            self.buffer.flush()
        port.close()
        self.status(f"serial: link lost ({why}); reconnecting to {self.cfg.port} …")
        new = retry_with_backoff(lambda: open_port(self.cfg.port, self.cfg.baud), should_stop,
                                 self.cfg.reconnect_max_s)
        if new is None:
            return None
        self.reconnects += 1
        self.status("serial: reconnected")
        return new
