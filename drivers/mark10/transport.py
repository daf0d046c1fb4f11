"""Serial transport for the Mark-10 gauge and generic line sources (pyserial).

Opening errors become one-line :class:`GaitlabError`\\ s; a link that fails later raises
:class:`LinkLost`, which the bridge answers by reconnecting.
"""

from __future__ import annotations

import errno
import time

import serial

from gaitlab.drivers.mark10.protocol import (
    ErrorReply,
    Event,
    Mark10Parser,
    Reading,
    TextReply,
    command,
)
from gaitlab.errors import GaitlabError


class LinkLost(Exception):
    """The serial link failed mid-stream (cable pulled, gauge switched off)."""


def open_port(path: str, baud: int, timeout_s: float = 0.05) -> serial.Serial:
    """Open a serial port, or raise a one-line GaitlabError saying what to do."""
    try:
        return serial.Serial(path, baudrate=baud, timeout=timeout_s, write_timeout=1.0)
    except serial.SerialException as exc:
        code = getattr(exc, "errno", None)
        if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or "No such file" in str(exc):
            raise GaitlabError(f"serial port {path} not found; plug the device in and check the "
                               "port name (ls /dev/ttyUSB* /dev/ttyACM*, or COMn on Windows)"
                               ) from None
        if code in (errno.EACCES, errno.EPERM) or "ermission" in str(exc):
            raise GaitlabError(f"no permission to open {path}; add your user to the 'dialout' "
                               "group (Linux) and log in again") from None
        if code == errno.EBUSY or "busy" in str(exc).lower():
            raise GaitlabError(f"{path} is in use by another program; close it (e.g. MESUR "
                               "Lite) and retry") from None
        raise GaitlabError(f"cannot open serial port {path}: {exc}") from None
    except ValueError as exc:
        raise GaitlabError(f"bad serial settings for {path}: {exc}") from None


def read_available(port: serial.Serial) -> bytes:
    """Whatever bytes have arrived (waits up to the port timeout for the first one)."""
    try:
        n = port.in_waiting
        return port.read(n if n > 0 else 1)
    except (serial.SerialException, OSError) as exc:
        raise LinkLost(str(exc) or type(exc).__name__) from None


def write(port: serial.Serial, data: bytes) -> None:
    try:
        port.write(data)
    except (serial.SerialException, OSError) as exc:
        raise LinkLost(str(exc) or type(exc).__name__) from None


class Mark10Link:
    """Request/reply over an open port: one outstanding request at a time."""

    def __init__(self, port: serial.Serial, default_unit: str | None = None) -> None:
        self.port = port
        self.parser = Mark10Parser(default_unit)
        self._pending: list[Event] = []

    def send(self, text: str) -> None:
        write(self.port, command(text))

    def request(self, text: str, timeout_s: float,
                accept: tuple[type, ...] = (Reading, ErrorReply, TextReply)) -> Event | None:
        """Send a command and return the first reply of an ``accept``-ed kind (other
        lines, e.g. line noise that looks like text, are skipped), or None on timeout."""
        self._pending.clear()
        self.send(text)
        deadline = time.monotonic() + timeout_s
        event = self.next_event(timeout_s)
        while event is not None and not isinstance(event, accept):
            event = self.next_event(max(0.0, deadline - time.monotonic()))
        if event is None:  # a late reply must not pair with the next request
            try:
                self.port.reset_input_buffer()
            except (serial.SerialException, OSError) as exc:
                raise LinkLost(str(exc)) from None
            self.parser = Mark10Parser(self.parser.default_unit)
        return event

    def next_event(self, timeout_s: float) -> Event | None:
        deadline = time.monotonic() + timeout_s
        while not self._pending:
            if time.monotonic() > deadline:
                return None
            self._pending += self.parser.feed(read_available(self.port))
        return self._pending.pop(0)

    def close(self) -> None:
        try:
            self.port.close()
        except (serial.SerialException, OSError):
            pass
