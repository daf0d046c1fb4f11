"""Mark-10 and generic-line parsers: bytes in, events out, under any byte split and noise."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitlab.drivers.mark10.generic import GenericLineParser, LineFormat
from gaitlab.drivers.mark10.protocol import (
    FORCE_UNITS_TO_N,
    ErrorReply,
    LineSplitter,
    Mark10Parser,
    Reading,
    TextReply,
    command,
    parse_line,
)
from gaitlab.errors import GaitlabError

LBF = FORCE_UNITS_TO_N["lbf"]


@pytest.mark.parametrize(("line", "newtons", "unit"), [
    ("4.285 N", 4.285, "N"),
    ("-18.78 lbF", -18.78 * LBF, "lbF"),
    ("1.2345 kgF", 1.2345 * 9.80665, "kgF"),
    ("250 gF", 0.25 * 9.80665, "gF"),
    ("0.150 kN", 150.0, "kN"),
    ("+12.5", 12.5, "N"),  # unit output disabled on the gauge, --assume-unit N
])
def test_readings_convert_to_newtons(line: str, newtons: float, unit: str) -> None:
    ev = parse_line(line, default_unit="N")
    assert isinstance(ev, Reading)
    assert ev.newtons == pytest.approx(newtons, rel=1e-12)
    assert ev.unit == unit


def test_unitless_reading_uses_the_configured_unit() -> None:
    ev = parse_line("10.00", default_unit="lbF")
    assert isinstance(ev, Reading) and ev.newtons == pytest.approx(10 * LBF)
    assert parse_line("7") == TextReply("7")  # without a declared unit a bare number is noise


def test_error_and_text_replies() -> None:
    assert parse_line("*10") == ErrorReply(10)
    assert parse_line("*10").meaning == "illegal command"  # type: ignore[union-attr]
    assert parse_line("*22").meaning == "value too large"  # type: ignore[union-attr]
    assert parse_line("M5-200") == TextReply("M5-200")
    assert parse_line("12.3 furlongs") == TextReply("12.3 furlongs")  # not a force
    assert parse_line("   ") is None


def test_command_encoding() -> None:
    assert command("?c") == b"?C\r"
    assert command(" lbf ") == b"LBF\r"


def _stream(values: list[float]) -> bytes:
    return b"".join(f"{v:.3f} N\r\n".encode() for v in values)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(-5000, 5000, allow_nan=False), min_size=1, max_size=30),
       cuts=st.lists(st.integers(0, 2000), max_size=40))
def test_any_byte_split_gives_the_same_readings(values: list[float], cuts: list[int]) -> None:
    data = _stream(values)
    edges = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    parser = Mark10Parser()
    events = []
    for a, b in itertools.pairwise(edges):
        events += parser.feed(data[a:b])
    got = [e.newtons for e in events if isinstance(e, Reading)]
    np.testing.assert_allclose(got, [round(v, 3) for v in values], atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(noise=st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=20))
def test_garbage_never_raises_and_never_becomes_a_reading_between_lines(noise: list[bytes]) -> None:
    # noise without printable characters between well-formed replies is dropped
    parser = Mark10Parser()
    truth = np.arange(len(noise), dtype=float) + 0.5
    events = []
    for v, junk in zip(truth, noise, strict=True):
        events += parser.feed(bytes(b for b in junk if b < 0x20 and b not in (10, 13)))
        events += parser.feed(f"{v:.3f} N\r\n".encode())
    got = [e.newtons for e in events if isinstance(e, Reading)]
    np.testing.assert_allclose(got, truth)


def test_seeded_random_byte_fuzz_only_yields_events() -> None:
    rng = np.random.default_rng(1)
    parser = Mark10Parser()
    for _ in range(300):
        chunk = rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8).tobytes()
        for ev in parser.feed(chunk):
            assert isinstance(ev, Reading | ErrorReply | TextReply)
            if isinstance(ev, Reading):
                assert np.isfinite(ev.newtons)
    # the parser still works after the noise
    assert parser.feed(b"\r\n7.000 N\r\n")[-1] == Reading(7.0, "N")


def test_overlong_line_is_discarded_not_buffered() -> None:
    sp = LineSplitter(max_line=16)
    assert sp.feed(b"x" * 40) == []
    assert sp.feed(b"y" * 40 + b"\r\n1.000 N\r\n") == ["1.000 N"]
    assert sp.dropped_bytes >= 80


def test_generic_regex_csv_scale_offset() -> None:
    rx = GenericLineParser(LineFormat(regex=r"F=(?P<force>[-\d.]+)", unit="kgf"))
    assert rx.feed(b"t=10 F=2.5\r\nt=20 F=-1\r\nhello\r\n") == pytest.approx([2.5 * 9.80665,
                                                                             -9.80665])
    assert rx.bad_lines == 1
    csv = GenericLineParser(LineFormat(csv_column=2, scale=0.01, offset=100.0))
    out = []
    for piece in (b"12,34,", b"1100\n5,6,", b"600\n1,2\n7,8,nan\n"):
        out += csv.feed(piece)
    assert out == pytest.approx([10.0, 5.0])
    assert csv.bad_lines == 2  # a missing column and a NaN are rejected, not published
    plain = GenericLineParser(LineFormat())
    assert plain.feed(b"raw: 42.5\n") == [42.5]


@pytest.mark.parametrize("fmt", [
    LineFormat(regex="(", unit="N"),
    LineFormat(regex="x", csv_column=1),
    LineFormat(unit="psi"),
    LineFormat(scale=0.0),
    LineFormat(csv_column=-1),
])
def test_generic_bad_config_is_a_one_line_error(fmt: LineFormat) -> None:
    with pytest.raises(GaitlabError) as info:
        GenericLineParser(fmt)
    assert "\n" not in str(info.value)
