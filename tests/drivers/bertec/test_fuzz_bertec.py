"""Fuzzing the Bertec treadmill packets: random/corrupted commands, feedback in any split."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gaitlab.drivers.bertec.protocol import (
    CMD_BYTES,
    FB_BYTES,
    Command,
    CorruptFrame,
    FeedbackParser,
    build_command,
    build_feedback,
    parse_command,
)
from gaitlab.errors import GaitlabError
from tests.fuzzing import FUZZ, chunked, corrupted


@FUZZ
@given(st.binary(max_size=200))
def test_any_command_bytes_decode_or_raise_corrupt_frame(data: bytes) -> None:
    try:
        cmd = parse_command(data)
    except CorruptFrame as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(cmd, Command) and len(data) == CMD_BYTES


speeds = st.floats(-10.0, 10.0)


@FUZZ
@given(speeds, speeds, st.floats(0.001, 32.767), st.floats(0, 45), st.data())
def test_commands_round_trip_and_corruption_is_caught(left: float, right: float, accel: float,
                                                      incline: float, draw: st.DataObject) -> None:
    packet = build_command(left, right, accel, incline)
    cmd = parse_command(packet)
    assert abs(cmd.speed_l - left) <= 0.0005 + 1e-9 and abs(cmd.speed_r - right) <= 0.0005 + 1e-9
    assert abs(cmd.incline_deg - incline) <= 0.005
    bad = draw.draw(corrupted(packet))
    if bad != packet:
        try:
            parse_command(bad)
        except CorruptFrame:
            pass


@FUZZ
@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True),
       st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True))
def test_any_command_numbers_build_or_refuse_in_one_line(left: float, right: float, accel: float,
                                                         incline: float) -> None:
    try:
        packet = build_command(left, right, accel, incline)
    except GaitlabError as exc:
        assert "\n" not in str(exc)
        return
    assert len(packet) == CMD_BYTES


@FUZZ
@given(st.binary(max_size=1500), st.data())
def test_feedback_parser_takes_any_bytes(data: bytes, draw: st.DataObject) -> None:
    p = FeedbackParser()
    for c in draw.draw(chunked(data)):
        out = p.feed(c)
        assert out.dtype == np.int32 and out.ndim == 2 and out.shape[1] == 5
        assert (np.abs(out[:, :4]) <= p.max_speed).all()
    assert p.pending_bytes < 8 * FB_BYTES + len(data) % FB_BYTES + FB_BYTES


@st.composite
def belt_speeds(draw: st.DrawFn) -> np.ndarray:
    """A plausible feedback stream: speeds in mm/s changing at most 1 m/s per frame."""
    n = draw(st.integers(10, 60))
    start = draw(st.integers(-5000, 5000))
    steps = draw(st.lists(st.integers(-300, 300), min_size=n - 1, max_size=n - 1))
    r = np.clip(np.cumsum([start, *steps]), -9000, 9000)
    return r.astype(np.int32)


@FUZZ
@given(belt_speeds(), st.integers(0, 4500), st.data())
def test_valid_feedback_round_trips_in_any_split(r: np.ndarray, incline: int, draw: st.DataObject) -> None:
    wire = build_feedback(r, r // 2 + 100, incline)
    p = FeedbackParser()
    parts = [p.feed(c) for c in draw.draw(chunked(wire))]
    got = np.concatenate(parts)
    assert p.dropped_bytes == 0 and p.resyncs == 0
    np.testing.assert_array_equal(got[:, 0], r)
    np.testing.assert_array_equal(got[:, 1], r // 2 + 100)
    assert (got[:, 4] == incline).all()
