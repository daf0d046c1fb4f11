"""Bertec treadmill -> LSL: the actual belt speeds as a "BeltSpeed" stream.

Stream: type "BeltSpeed", 2 float32 channels ``speed_L``, ``speed_R`` in m/s (the
front belts; positive = belt moving backwards under a runner facing forward),
nominal rate = the control panel's feedback rate (``--rate``). Samples are stamped
from a frame counter at that rate, anchored to the LSL clock at the first frame and
re-anchored when it drifts more than 50 ms from arrival (trigno.bridge.Clock).
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pylsl

from gaitlab.drivers.bertec.protocol import DEFAULT_PORT, FeedbackParser
from gaitlab.drivers.bertec.transport import BertecControl, LinkLost, connect
from gaitlab.drivers.common import retry_with_backoff
from gaitlab.drivers.trigno.bridge import Clock

Status = Callable[[str], None]
SILENT_S = 2.0


@dataclass
class BertecOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    rate_hz: float = 100.0
    speed: float | None = None  # m/s, both belts, sent once feedback is flowing
    accel: float = 0.5  # m/s^2
    stop_on_exit: bool = True
    serial: str = ""
    model: str = "Instrumented Treadmill"
    source_id: str | None = None
    name: str = "Bertec Belt Speed"
    reconnect_max_s: float = 2.0


def belt_info(o: BertecOptions, source_id: str) -> pylsl.StreamInfo:
    info = pylsl.StreamInfo(o.name, "BeltSpeed", 2, o.rate_hz, pylsl.cf_float32, source_id)
    desc = info.desc()
    desc.append_child_value("manufacturer", "Bertec")
    desc.append_child_value("model", o.model)
    desc.append_child_value("serial", o.serial or "unknown")
    desc.append_child_value("protocol", f"remote control TCP {o.host}:{o.port}")
    chans = desc.append_child("channels")
    for label in ("speed_L", "speed_R"):
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", "m/s")
        ch.append_child_value("type", "BeltSpeed")
    return info


class BertecBridge:
    def __init__(self, opts: BertecOptions, status: Status = print) -> None:
        self.opts = opts
        self.status = status
        self.outlet: pylsl.StreamOutlet | None = None
        self.control: BertecControl | None = None
        self.reconnects = 0
        self.samples = 0
        self.last_speed: tuple[float, float] = (0.0, 0.0)  # (left, right) m/s

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        o = self.opts
        sock = connect(o.host, o.port)
        sid = o.source_id or f"bertec:{o.serial or o.host}"
        self.outlet = pylsl.StreamOutlet(belt_info(o, sid), 0, 60)
        self.status(f"bertec: control panel at {o.host}:{o.port}; publishing '{o.name}' "
                    f"(BeltSpeed speed_L/speed_R m/s, {o.rate_hz:g} Hz); LSL source_id {sid}")
        self.control = BertecControl(sock)
        while True:
            why = self._stream(sock, should_stop)
            if why is None:
                self._finish(sock)
                return
            sock.close()
            self.status(f"bertec: link lost ({why}); reconnecting to {o.host}:{o.port} …")
            new = retry_with_backoff(lambda: connect(o.host, o.port), should_stop,
                                     o.reconnect_max_s)
            if new is None:
                return
            sock = new
            self.control.sock = sock
            self.reconnects += 1
            self.status("bertec: reconnected")

    def _finish(self, sock) -> None:
        if self.control and self.control.commanded and self.opts.stop_on_exit:
            try:
                self.control.stop(self.opts.accel)
                self.status("bertec: belts commanded to stop")
            except LinkLost:
                pass
        sock.close()

    def _stream(self, sock, should_stop: Callable[[], bool]) -> str | None:
        o = self.opts
        parser = FeedbackParser()
        clock = Clock(o.rate_hz)
        last_data = time.monotonic()
        assert self.control is not None
        # (re-)send the wanted speed once feedback shows the link works and gives the incline
        want = self.control.commanded or ((o.speed, o.speed) if o.speed is not None else None)
        while not should_stop():
            ready, _, _ = select.select([sock], [], [], 0.1)
            if ready:
                now = pylsl.local_clock()
                try:
                    data = sock.recv(65536)
                except OSError as exc:
                    return str(exc)
                if not data:
                    return "connection closed by the control panel"
                last_data = time.monotonic()
                frames = parser.feed(data)
                if len(frames):
                    x = np.ascontiguousarray(frames[:, [1, 0]], dtype=np.float32) / 1000.0
                    self.outlet.push_chunk(x, clock.stamps(len(x), now).tolist())  # type: ignore[union-attr]
                    self.samples += len(x)
                    self.last_speed = (float(x[-1, 0]), float(x[-1, 1]))
                    self.control.incline_deg = max(0.0, frames[-1, 4] / 100.0)
                    if want is not None:
                        try:
                            self.control.set_speed(want[0], want[1], o.accel)
                        except LinkLost as exc:
                            return str(exc)
                        want_l, want_r, want = want[0], want[1], None
                        self.status(f"bertec: belts set to L {want_l:g}, R {want_r:g} m/s at "
                                    f"{o.accel:g} m/s^2 "
                                    f"(incline kept at {self.control.incline_deg:g} deg)")
            if time.monotonic() - last_data > SILENT_S:
                return f"no feedback for {SILENT_S:g} s"
        if parser.resyncs or parser.dropped_bytes:
            self.status(f"bertec: feedback resynchronised {parser.resyncs} times, "
                        f"{parser.dropped_bytes} bytes discarded")
        return None
