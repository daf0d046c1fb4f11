"""Mark-10 force gauge emulator on a pseudo-terminal, with faults.

Speaks the gauge's ASCII protocol (see :mod:`gaitlab.drivers.mark10.protocol`): ``?C``/
``?`` readings, unit commands, ``Z``, ``RM``/``RS``, ``*10`` for anything else. The
load is a smooth make-test curve (rest, ramp, hold, release) in newtons. Every
reading sent is logged in newtons (rounded as printed) so tests can check that what
the driver published is exactly what went over the wire.

Faults: ``garbage_prob`` (line noise before a reply), ``split_prob`` (a reply written
in two pieces with a gap), ``error_prob`` (``*11`` instead of a reading), ``silent``
(no replies: wrong baud rate), :meth:`unplug` / :meth:`replug` (cable pulled).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gaitlab.drivers.emulators.serialport import PtyDevice
from gaitlab.drivers.mark10.protocol import FORCE_UNITS_TO_N, UNIT_COMMANDS

_PRINTED_UNIT = {"N": "N", "KN": "kN", "LBF": "lbF", "KLBF": "klbF", "OZF": "ozF",
                 "KGF": "kgF", "GF": "gF"}
_DECIMALS = {"N": 3, "KN": 5, "LBF": 3, "KLBF": 6, "OZF": 2, "KGF": 4, "GF": 1}


def make_test_force(t: float, peak_n: float = 180.0, period_s: float = 4.0) -> float:
    """Load (N) of repeated isometric make tests: 1 s rest, 1 s ramp, 1.5 s hold, 0.5 s release."""
    phase = t % period_s
    if phase < 1.0:
        f = 0.0
    elif phase < 2.0:
        f = 0.5 - 0.5 * math.cos(math.pi * (phase - 1.0))
    elif phase < 3.5:
        f = 1.0 + 0.02 * math.sin(2 * math.pi * 7 * phase)
    else:
        f = 0.5 + 0.5 * math.cos(math.pi * (phase - 3.5) / 0.5)
    return 2.0 + peak_n * f


class Mark10Emulator:
    def __init__(self, link_path: str | Path, *, model: str = "M5-200", serial_no: str = "E12345",
                 baud: int = 115200, unit: str = "N", seed: int = 0,
                 garbage_prob: float = 0.0, split_prob: float = 0.0, error_prob: float = 0.0,
                 legacy_poll: bool = False,
                 force_fn: Callable[[float], float] = make_test_force) -> None:
        self.model, self.serial_no, self.baud = model, serial_no, baud
        self.unit = unit
        self.garbage_prob, self.split_prob, self.error_prob = garbage_prob, split_prob, error_prob
        self.legacy_poll = legacy_poll  # firmware that knows '?' but not '?C'
        self.silent = False
        self.rng = np.random.default_rng(seed)
        self.force_fn = force_fn  # load in N at t seconds after start
        self.sent_n: list[float] = []  # every reading sent, in N as printed
        self.sent_t: list[float] = []  # time.monotonic() of each reading sent
        self.commands: list[str] = []
        self._zero_n = 0.0
        self._t0 = time.monotonic()
        self._buf = b""
        self._lock = threading.Lock()
        self.port = PtyDevice(link_path, self._on_bytes)

    @property
    def path(self) -> str:
        return str(self.port.link_path)

    def start(self) -> Mark10Emulator:
        self.port.plug()
        return self

    def unplug(self) -> None:
        self.port.unplug()

    def replug(self) -> None:
        self.port.plug()

    def close(self) -> None:
        self.port.close()

    def force_now(self) -> float:
        return self.force_fn(time.monotonic() - self._t0) - self._zero_n

    # -- protocol --------------------------------------------------------------
    def _on_bytes(self, data: bytes) -> None:
        self._buf += data
        while b"\r" in self._buf:
            raw, _, self._buf = self._buf.partition(b"\r")
            cmd = raw.replace(b"\n", b"").decode("ascii", "replace").strip()
            if cmd:
                self._handle(cmd)

    def _handle(self, cmd: str) -> None:
        self.commands.append(cmd)
        if self.silent:
            return
        if cmd in ("?C", "?") and not (self.legacy_poll and cmd == "?C"):
            if self.rng.random() < self.error_prob:
                self._reply("*11")
                return
            unit = self.unit
            value = round(self.force_now() / FORCE_UNITS_TO_N[unit.lower()], _DECIMALS[unit])
            self.sent_n.append(value * FORCE_UNITS_TO_N[unit.lower()])
            self._reply(f"{value:.{_DECIMALS[unit]}f} {_PRINTED_UNIT[unit]}")
            self.sent_t.append(time.monotonic())
        elif cmd in UNIT_COMMANDS:
            self.unit = cmd
        elif cmd == "Z":
            self._zero_n = self.force_fn(time.monotonic() - self._t0)
        elif cmd == "RM":
            self._reply(self.model)
        elif cmd == "RS":
            self._reply(self.serial_no)
        else:
            self._reply("*10")

    def _reply(self, text: str) -> None:
        data = text.encode("ascii") + b"\r\n"
        # the time the bytes take on the wire at the configured baud (10 bits per byte)
        time.sleep(len(data) * 10 / self.baud)
        if self.rng.random() < self.garbage_prob:
            noise = self.rng.integers(0, 256, int(self.rng.integers(1, 12)), dtype=np.uint8)
            self.port.write(bytes(noise.tobytes()).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n")
        if self.rng.random() < self.split_prob:
            cut = int(self.rng.integers(1, len(data)))
            self.port.write(data[:cut])
            time.sleep(0.002)
            self.port.write(data[cut:])
        else:
            self.port.write(data)
