"""Trigno parsers: command replies and float32 data frames, under any byte split."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitlab.drivers.trigno.bridge import Clock, load_montage
from gaitlab.drivers.trigno.protocol import FrameParser, ReplyParser, command, parse_yes_no
from gaitlab.errors import GaitlabError


def test_command_and_reply_framing() -> None:
    assert command("SENSOR 1 PAIRED?") == b"SENSOR 1 PAIRED?\r\n\r\n"
    p = ReplyParser()
    assert p.feed(b"Delsys Trigno\r\n\r\nO") == ["Delsys Trigno"]
    assert p.feed(b"K\r\n\r\n\x00\x07YES\r\n") == ["OK"]
    assert p.feed(b"\r\n") == ["YES"]
    assert p.dropped_bytes == 2
    assert parse_yes_no("yes") is True and parse_yes_no("NO") is False
    assert parse_yes_no("INVALID COMMAND") is None


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 40), cuts=st.lists(st.integers(0, 10_000), max_size=30))
def test_frames_survive_any_split(n: int, cuts: list[int]) -> None:
    x = np.random.default_rng(n).normal(size=(n, 16)).astype("<f4")
    data = x.tobytes()
    edges = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    p = FrameParser(16)
    got = [p.feed(data[a:b]) for a, b in itertools.pairwise(edges)]
    np.testing.assert_array_equal(np.concatenate(got), x)
    assert p.pending_bytes == 0 and p.samples == n


def test_random_bytes_give_whole_frames_only() -> None:
    rng = np.random.default_rng(2)
    p = FrameParser(144)
    total = 0
    for _ in range(200):
        chunk = rng.integers(0, 256, int(rng.integers(0, 3000)), dtype=np.uint8).tobytes()
        total += len(chunk)
        out = p.feed(chunk)
        assert out.shape[1] == 144 and out.dtype == np.float32
    assert p.samples * 576 + p.pending_bytes == total
    r = ReplyParser()
    for _ in range(200):
        for reply in r.feed(rng.integers(0, 256, 500, dtype=np.uint8).tobytes()):
            assert reply.isprintable()


def test_clock_is_regular_and_reanchors() -> None:
    c = Clock(2000.0)
    a = c.stamps(27, 100.0)
    b = c.stamps(27, 100.0135)
    np.testing.assert_allclose(np.diff(np.concatenate([a, b])), 1 / 2000, atol=1e-9)
    assert a[-1] == pytest.approx(100.0)
    late = c.stamps(27, 200.0)  # a gap (reconnect) -> re-anchored to arrival
    assert late[-1] == pytest.approx(200.0)


def test_montage(tmp_path) -> None:
    f = tmp_path / "m.toml"
    f.write_text('[sensors]\n1 = "GMED_L"\n2 = "GMED_R"\n')
    assert load_montage(f) == {1: "GMED_L", 2: "GMED_R"}
    f.write_text('[sensors]\n17 = "TFL_L"\n')
    with pytest.raises(GaitlabError, match="1-16"):
        load_montage(f)
    with pytest.raises(GaitlabError, match="not found"):
        load_montage(tmp_path / "none.toml")
