"""Shared hypothesis strategies for the parser fuzz tests (bytes in, frames out)."""

from __future__ import annotations

import itertools

from hypothesis import settings
from hypothesis import strategies as st

#: every parser fuzz test: a few hundred inputs, no deadline (the machine is shared and loaded)
FUZZ = settings(max_examples=200, deadline=None)


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` split at random boundaries (empty pieces included)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def corrupted(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few random bytes flipped, deleted or inserted."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(("flip", "delete", "insert")))
        i = draw(st.integers(0, max(len(buf) - 1, 0)))
        if op == "insert" or not buf:
            buf[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "flip":
            buf[i] ^= draw(st.integers(1, 255))
        else:
            del buf[i]
    return bytes(buf)
