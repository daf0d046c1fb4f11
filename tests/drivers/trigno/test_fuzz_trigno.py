"""Fuzzing the Trigno parsers: random bytes, random splits, corrupted replies."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gaitlab.drivers.trigno.protocol import MAX_REPLY, FrameParser, ReplyParser, command, parse_number
from tests.fuzzing import FUZZ, chunked, corrupted

replies = st.lists(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                           max_size=60), max_size=6)


@FUZZ
@given(st.binary(max_size=3000), st.data())
def test_reply_parser_takes_any_bytes_in_any_split(data: bytes, draw: st.DataObject) -> None:
    whole = ReplyParser().feed(data)
    assert all(isinstance(r, str) and r.isascii() for r in whole)
    if len(data) < MAX_REPLY:  # (a reply past MAX_REPLY is dropped only when it arrives unfinished)
        p = ReplyParser()
        assert [r for c in draw.draw(chunked(data)) for r in p.feed(c)] == whole


@FUZZ
@given(replies, st.data())
def test_replies_round_trip_through_corruption(texts: list[str], draw: st.DataObject) -> None:
    wire = b"".join(command(t) for t in texts)
    p = ReplyParser()
    assert [r for c in draw.draw(chunked(wire)) for r in p.feed(c)] == texts
    bad = draw.draw(corrupted(wire))
    assert all(isinstance(r, str) for r in ReplyParser().feed(bad))
    assert all(parse_number(r) is None or isinstance(parse_number(r), float) for r in ReplyParser().feed(bad))


@FUZZ
@given(st.sampled_from([16, 144, 1, 3]), st.binary(max_size=2000), st.data())
def test_frame_parser_splits_never_change_samples(channels: int, data: bytes, draw: st.DataObject) -> None:
    whole = FrameParser(channels).feed(data)
    p = FrameParser(channels)
    parts = [p.feed(c) for c in draw.draw(chunked(data))]
    got = np.concatenate(parts) if parts else np.empty((0, channels), np.float32)
    assert got.shape == whole.shape == (len(data) // (4 * channels), channels)
    np.testing.assert_array_equal(got.view(np.uint32), whole.view(np.uint32))  # NaN payloads too
    assert p.pending_bytes == len(data) % (4 * channels)
