"""Mark-10 force-gauge serial protocol: pure parsers, bytes in, events out.

Wire format (Mark-10 Series 4/5/7 user's guides, "Data communication" sections):

* Commands are ASCII, upper case, ended by CR (a CR LF pair is accepted; the LF is
  ignored). ``?C`` / ``?`` request the current reading; ``N``, ``LBF``, ``KGF`` … set the
  unit; ``Z`` zeroes; ``RM`` / ``RS`` read the model and serial number.
* A reading is the value, a space, then the unit (the unit can be disabled on the
  gauge), ended by CR LF: ``4.285 N``, ``-18.78 lbF``. Polarity may be inverted or
  omitted by gauge settings.
* An error is reported as ``*`` and a code: ``*10`` illegal command, ``*11`` not
  applicable, ``*12`` invalid specifier, ``*21``/``*22`` value out of range.

Nothing here touches a port or a clock, so everything is testable with plain bytes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: force unit as the gauge prints it (lower-cased) -> factor to newtons
FORCE_UNITS_TO_N: dict[str, float] = {
    "n": 1.0,
    "kn": 1000.0,
    "mn": 1e-3,
    "lbf": 4.4482216152605,
    "klbf": 4448.2216152605,
    "ozf": 0.27801385095378,
    "kgf": 9.80665,
    "gf": 9.80665e-3,
}

#: unit names the gauge accepts as commands (what the driver may send)
UNIT_COMMANDS = ("N", "KN", "LBF", "KLBF", "OZF", "KGF", "GF")

ERROR_MEANINGS = {
    10: "illegal command",
    11: "not applicable",
    12: "invalid specifier",
    21: "value too small",
    22: "value too large",
}

MAX_LINE = 128  # a reply longer than this is line noise, not a reply


@dataclass(frozen=True)
class Reading:
    """One force reading, already in newtons; ``unit`` is the unit the gauge printed."""

    newtons: float
    unit: str


@dataclass(frozen=True)
class ErrorReply:
    code: int

    @property
    def meaning(self) -> str:
        return ERROR_MEANINGS.get(self.code, "unknown error")


@dataclass(frozen=True)
class TextReply:
    """Any other printable line (e.g. the answer to RM / RS)."""

    text: str


Event = Reading | ErrorReply | TextReply


class LineSplitter:
    """Incremental line framing: feed any byte split, get complete lines back.

    Lines end at CR, LF or CR LF (empty lines are dropped). Bytes outside printable
    ASCII are line noise and discarded; a line longer than ``max_line`` is discarded
    as garbage rather than growing without bound.
    """

    _NOISE = re.compile(rb"[^\x20-\x7e\r\n\t]+")

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._overflow = False
        self.dropped_bytes = 0

    def feed(self, data: bytes) -> list[str]:
        clean = self._NOISE.sub(b"", data)
        self.dropped_bytes += len(data) - len(clean)
        self._buf += clean
        parts = re.split(rb"\r\n|\r|\n", bytes(self._buf))
        tail = parts.pop()  # incomplete (possibly empty) last piece
        lines: list[str] = []
        for raw in parts:
            if self._overflow or len(raw) > self.max_line:  # an over-long line: drop it whole
                self._overflow = False
                self.dropped_bytes += len(raw)
                continue
            if raw.strip():
                lines.append(raw.decode("ascii").strip())
        if len(tail) > self.max_line:
            self.dropped_bytes += len(tail)
            tail = b""
            self._overflow = True
        self._buf = bytearray(tail)
        return lines


_READING_RE = re.compile(
    r"^(?P<value>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>[A-Za-z]+)?$"
)
_ERROR_RE = re.compile(r"^\*(?P<code>\d{1,3})$")


def parse_line(line: str, default_unit: str | None = None) -> Event | None:
    """Classify one reply line; None for an empty line.

    A number with an unknown unit is returned as text (it is not a force). A number
    without unit is read in ``default_unit`` when given (unit output disabled on the
    gauge), else it is text: a bare digit is more likely line noise than a reading.
    """
    s = line.strip()
    if not s:
        return None
    m = _ERROR_RE.match(s)
    if m:
        return ErrorReply(int(m.group("code")))
    m = _READING_RE.match(s)
    if m:
        unit = m.group("unit") or default_unit or ""
        factor = FORCE_UNITS_TO_N.get(unit.lower())
        newtons = float(m.group("value")) * factor if factor is not None else math.nan
        if math.isfinite(newtons):  # "1e999 N" is noise, not an infinite force
            return Reading(newtons, unit)
    return TextReply(s)


class Mark10Parser:
    """Bytes from the gauge in, :data:`Event` objects out (incremental)."""

    def __init__(self, default_unit: str | None = None) -> None:
        self.default_unit = default_unit
        self._lines = LineSplitter()

    @property
    def dropped_bytes(self) -> int:
        return self._lines.dropped_bytes

    def feed(self, data: bytes) -> list[Event]:
        events = (parse_line(s, self.default_unit) for s in self._lines.feed(data))
        return [e for e in events if e is not None]


def command(text: str) -> bytes:
    """Encode a command as the gauge expects it (upper case, CR terminated)."""
    return text.strip().upper().encode("ascii") + b"\r"
