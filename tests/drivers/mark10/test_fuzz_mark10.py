"""Fuzzing the Mark-10 and generic load-cell line parsers: random bytes, random splits,
corrupted readings, huge numbers, any user regex."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaitlab.drivers.mark10.generic import GenericLineParser, LineFormat
from gaitlab.drivers.mark10.protocol import (
    FORCE_UNITS_TO_N,
    MAX_LINE,
    ErrorReply,
    LineSplitter,
    Mark10Parser,
    Reading,
    TextReply,
    parse_line,
)
from gaitlab.errors import GaitlabError
from tests.fuzzing import FUZZ, chunked, corrupted

numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.integers(-10**6, 10**6).map(float))
units = st.sampled_from(["N", "kN", "lbF", "kgF", "ozF", "gF", "mN", "klbF"])


def finite_events(events: list[object]) -> bool:
    return all(isinstance(e, ErrorReply | TextReply) or (isinstance(e, Reading) and math.isfinite(e.newtons))
               for e in events)


@FUZZ
@given(st.binary(max_size=2000), st.data())
def test_line_splitter_is_split_invariant(data: bytes, draw: st.DataObject) -> None:
    whole = LineSplitter().feed(data)
    assert all(0 < len(s) <= MAX_LINE and s.isascii() for s in whole)
    p = LineSplitter()
    assert [s for c in draw.draw(chunked(data)) for s in p.feed(c)] == whole


def test_a_complete_over_long_line_is_dropped_however_it_arrives() -> None:
    # Fails on the old code: a long line arriving whole was kept, the same bytes in pieces dropped.
    data = b"9" * (MAX_LINE + 5) + b" N\r\n1.5 N\r\n"
    assert LineSplitter().feed(data) == ["1.5 N"]


@FUZZ
@given(st.binary(max_size=1500), st.sampled_from([None, "N", "lbF"]))
def test_mark10_parser_takes_any_bytes(data: bytes, default_unit: str | None) -> None:
    events = Mark10Parser(default_unit).feed(data)
    assert finite_events(events)


def test_an_overflowing_reading_is_text_not_an_infinite_force() -> None:
    # Fails on the old code: "1e999 N" gave Reading(newtons=inf).
    assert parse_line("1e999 N") == TextReply("1e999 N")
    assert parse_line("1e308 klbF") == TextReply("1e308 klbF")


@FUZZ
@given(st.lists(st.tuples(numbers, units), min_size=1, max_size=8), st.data())
def test_readings_round_trip_through_any_split(values: list[tuple[float, str]], draw: st.DataObject) -> None:
    wire = b"".join(f"{v!r} {u}\r\n".encode() for v, u in values)
    p = Mark10Parser()
    got = [e for c in draw.draw(chunked(wire)) for e in p.feed(c)]
    want = [Reading(v * FORCE_UNITS_TO_N[u.lower()], u) for v, u in values]
    want = [w if math.isfinite(w.newtons) else TextReply(f"{v!r} {u}") for w, (v, u) in zip(want, values,
                                                                                             strict=True)]
    assert got == want
    assert finite_events(Mark10Parser().feed(draw.draw(corrupted(wire))))


formats = st.one_of(
    st.builds(LineFormat, csv_column=st.integers(0, 5), delimiter=st.sampled_from([",", ";", "\t"]),
              scale=st.floats(1e-6, 1e6), offset=st.floats(-1e6, 1e6)),
    st.builds(LineFormat, regex=st.sampled_from([r"F=(\S+)", r"(?P<force>-?\d+)", r"\d+", r"(x)?\d"]),
              unit=st.sampled_from(["N", "kgf", "lbf"]), scale=st.sampled_from([1.0, 1e300, -2.0])),
)


@FUZZ
@given(formats, st.binary(max_size=1500), st.data())
def test_generic_parser_gives_finite_forces_for_any_bytes(fmt: LineFormat, data: bytes,
                                                          draw: st.DataObject) -> None:
    whole = GenericLineParser(fmt).feed(data)
    assert all(isinstance(v, float) and math.isfinite(v) for v in whole)
    p = GenericLineParser(fmt)
    assert [v for c in draw.draw(chunked(data)) for v in p.feed(c)] == whole


def test_a_scaled_reading_that_overflows_is_a_bad_line() -> None:
    # Fails on the old code: 1e10 counts x scale 1e300 came out as an infinite force.
    p = GenericLineParser(LineFormat(scale=1e300))
    assert p.feed(b"1e10\r\n2\r\n") == [2e300] and p.bad_lines == 1


@FUZZ
@given(st.text(max_size=30), st.one_of(st.none(), st.integers(-3, 10)), st.text(max_size=5),
       st.floats(allow_nan=True))
def test_any_line_format_is_accepted_or_refused_in_one_line(regex: str, column: int | None, unit: str,
                                                            scale: float) -> None:
    try:
        fmt = LineFormat(regex=regex, csv_column=column, unit=unit or "N", scale=scale).validated()
    except GaitlabError as exc:
        assert "\n" not in str(exc)
        return
    assert re.compile(fmt.regex or "") is not None
    GenericLineParser(fmt).feed(b"1.0,2\r\n")


@pytest.mark.parametrize("line", ["-0", "+.5e-3 N", "*999", "1e-400 N", "NaN N", "inf N", "1" * 400])
def test_edge_lines(line: str) -> None:
    e = parse_line(line)
    assert e is None or finite_events([e])
