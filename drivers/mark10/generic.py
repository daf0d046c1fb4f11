"""Generic line-based serial force source (DIY load cells: HX711 + microcontroller).

The microcontroller prints one reading per line. Which number on the line is the force
is configured either by a regular expression (named group ``force``, else group 1, else
the whole match) or by a CSV column. ``scale`` and ``offset`` turn raw counts into the
configured unit (value = (raw - offset) * scale), and the unit into newtons.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from gaitlab.drivers.mark10.protocol import FORCE_UNITS_TO_N, LineSplitter
from gaitlab.errors import GaitlabError

NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


@dataclass(frozen=True)
class LineFormat:
    regex: str | None = None
    csv_column: int | None = None  # 0-based
    delimiter: str = ","
    unit: str = "N"
    scale: float = 1.0
    offset: float = 0.0

    def validated(self) -> LineFormat:
        if self.regex is not None and self.csv_column is not None:
            raise GaitlabError("give either --regex or --csv-column, not both")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise GaitlabError(f"--regex {self.regex!r} is not a valid regular expression "
                                   f"({exc})") from None
        if self.csv_column is not None and self.csv_column < 0:
            raise GaitlabError("--csv-column counts from 0; give a non-negative column")
        if self.unit.lower() not in FORCE_UNITS_TO_N:
            raise GaitlabError(f"--unit {self.unit!r} is not a force unit; use one of "
                               + ", ".join(sorted(FORCE_UNITS_TO_N)))
        if not (math.isfinite(self.scale) and math.isfinite(self.offset)):
            raise GaitlabError(f"--scale {self.scale:g} / --offset {self.offset:g}: give finite numbers")
        if self.scale == 0:
            raise GaitlabError("--scale 0 would turn every reading into 0; give the load "
                               "cell's calibration factor")
        return self


class GenericLineParser:
    """Bytes in, forces in newtons out; unparseable lines are counted, not raised."""

    def __init__(self, fmt: LineFormat) -> None:
        self.fmt = fmt.validated()
        self._rx = re.compile(fmt.regex if fmt.regex is not None else NUMBER)
        self._factor = FORCE_UNITS_TO_N[fmt.unit.lower()] * fmt.scale
        self._lines = LineSplitter(max_line=512)
        self.bad_lines = 0

    @property
    def dropped_bytes(self) -> int:
        return self._lines.dropped_bytes

    def _value(self, line: str) -> float | None:
        if self.fmt.csv_column is not None:
            fields = line.split(self.fmt.delimiter)
            if self.fmt.csv_column >= len(fields):
                return None
            text = fields[self.fmt.csv_column].strip()
        else:
            m = self._rx.search(line)
            if m is None:
                return None
            if "force" in self._rx.groupindex:
                text = m.group("force")
            elif self._rx.groups:
                text = m.group(1)
            else:
                text = m.group(0)
        try:
            value = float(text)
        except (TypeError, ValueError):
            return None
        return value if value == value and abs(value) != float("inf") else None

    def feed(self, data: bytes) -> list[float]:
        out: list[float] = []
        for line in self._lines.feed(data):
            v = self._value(line)
            force = (v - self.fmt.offset) * self._factor if v is not None else math.nan
            if math.isfinite(force):  # scaling a huge reading can overflow to inf
                out.append(force)
            else:
                self.bad_lines += 1
        return out
