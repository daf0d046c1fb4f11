"""Bertec packets: command builder/validator and the resynchronising feedback parser."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitlab.drivers.bertec.protocol import (
    CMD_BYTES,
    FB_BYTES,
    CorruptFrame,
    FeedbackParser,
    build_command,
    build_feedback,
    parse_command,
)
from gaitlab.errors import GaitlabError


def test_command_layout_and_round_trip() -> None:
    pkt = build_command(left=1.25, right=-0.5, accel=0.75, incline_deg=3.5)
    assert len(pkt) == CMD_BYTES and pkt[0] == 0 and pkt[37:] == bytes(27)
    assert pkt[1:3] == (-500).to_bytes(2, "big", signed=True)  # right belt first
    assert pkt[3:5] == (1250).to_bytes(2, "big", signed=True)
    assert pkt[9:11] == (750).to_bytes(2, "big")
    assert pkt[17:19] == (350).to_bytes(2, "big")
    assert bytes(255 - b for b in pkt[1:19]) == pkt[19:37]
    cmd = parse_command(pkt)
    assert (cmd.speed_l, cmd.speed_r, cmd.accel_l, cmd.incline_deg) == (1.25, -0.5, 0.75, 3.5)


@pytest.mark.parametrize("kw, msg", [({"left": float("nan"), "right": 1.0}, "NaN"),
                                     ({"left": 12.0, "right": 1.0}, "km/h"),
                                     ({"left": 1.0, "right": 1.0, "accel": 0.0}, "acceleration"),
                                     ({"left": 1.0, "right": 1.0, "incline_deg": 50}, "incline")])
def test_bad_command_values_are_one_line_errors(kw: dict, msg: str) -> None:
    with pytest.raises(GaitlabError, match=msg) as info:
        build_command(**kw)
    assert "\n" not in str(info.value)


@settings(max_examples=200, deadline=None)
@given(st.floats(-9.9, 9.9), st.floats(-9.9, 9.9), st.integers(1, 36), st.integers(0, 7))
def test_any_flipped_bit_fails_the_complement_check(left: float, right: float, pos: int,
                                                    bit: int) -> None:
    pkt = bytearray(build_command(left, right, 1.0))
    # speeds travel in whole mm/s: at most half a quantum off (exact halves, e.g. 0.0625, round to even)
    assert parse_command(bytes(pkt)).speed_l == pytest.approx(left, abs=5e-4 + 1e-12)
    pkt[pos] ^= 1 << bit
    with pytest.raises(CorruptFrame):
        parse_command(bytes(pkt))
    with pytest.raises(CorruptFrame, match="bytes"):
        parse_command(bytes(pkt[:40]))


def _profile(steps: list[int]) -> tuple[np.ndarray, np.ndarray]:
    r = np.clip(np.cumsum(steps), -9000, 9000)
    return r, np.clip(r + 7, -9000, 9000)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-80, 80), min_size=3, max_size=60), st.data())
def test_feedback_any_split_is_decoded_exactly(steps: list[int], data: st.DataObject) -> None:
    r, left = _profile(steps)
    stream = build_feedback(r, left, 250)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    p = FeedbackParser()
    got = np.concatenate([p.feed(stream[a:b]) for a, b in zip([0, *cuts], [*cuts, len(stream)],
                                                               strict=True)])
    np.testing.assert_array_equal(got[:, 0], r)
    np.testing.assert_array_equal(got[:, 1], left)
    assert (got[:, 4] == 250).all() and p.dropped_bytes == 0 and p.strict is True


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-80, 80), min_size=20, max_size=60), st.data())
def test_feedback_resynchronises_after_garbage(steps: list[int], data: st.DataObject) -> None:
    r, left = _profile(steps)
    frames = [build_feedback(r[i:i + 1], left[i], 100) for i in range(len(r))]
    hits = data.draw(st.lists(st.integers(1, len(frames) - 1), max_size=3, unique=True))
    noise = st.binary(min_size=1, max_size=40).map(lambda b: bytes(x | 1 for x in b))
    stream = b""
    for i, f in enumerate(frames):
        if i in hits:  # garbage either between frames or inside a frame (partial frame)
            cut = data.draw(st.integers(0, FB_BYTES - 1))
            f = f[:cut] + data.draw(noise) + f[cut:]
        stream += f
    p = FeedbackParser()
    got = np.concatenate([p.feed(stream[i:i + 50]) for i in range(0, len(stream), 50)])
    sent = {(a, b) for a, b in zip(r.tolist(), left.tolist(), strict=True)}
    assert {(a, b) for a, b in got[:, :2].tolist()} <= sent  # nothing invented
    # each garbage hit costs at most the two frames around it (plus the 1st frame's sync)
    assert len(got) >= len(frames) - 3 * len(hits) - 1


def test_impossible_values_are_rejected_and_parser_recovers() -> None:
    good = build_feedback(np.full(10, 1200), 1200, 0)
    bad = build_feedback(np.array([30_000]), -30_000, 9_000)
    p = FeedbackParser()
    got = p.feed(good[:160] + bad + good[160:])
    assert len(got) == 10 and (got[:, :2] == 1200).all() and p.resyncs >= 1
    assert p.feed(b"") .shape == (0, 5)
