"""Which LSL streams to record."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import pylsl


def identity_of(info: pylsl.StreamInfo) -> str:
    """A stream's identity across restarts: its source_id; without one, its uid (no recovery)."""
    sid = info.source_id()
    return f"sid:{sid}" if sid else f"uid:{info.uid()}"


@dataclass(frozen=True)
class StreamFilter:
    """Record a stream when it matches every non-empty criterion (each one a list of
    alternatives, compared exactly; types case-insensitively). Empty filter = all streams.

    ``identities`` lists streams by :func:`identity_of` (``sid:<source_id>`` or ``uid:<uid>``):
    the desktop app records exactly the streams of its panel this way. ``hosts`` are shell
    patterns (``*``, ``?``) of the stream's host name, compared case-insensitively."""

    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()
    identities: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()

    def matches(self, name: str, stype: str, source_id: str, host: str = "") -> bool:
        if self.hosts and not any(fnmatch.fnmatch(host.lower(), h.lower()) for h in self.hosts):
            return False
        if self.types and stype.lower() not in {t.lower() for t in self.types}:
            return False
        if self.names and name not in self.names:
            return False
        return not (self.source_ids and source_id not in self.source_ids)

    def matches_info(self, info: pylsl.StreamInfo) -> bool:
        if self.identities and identity_of(info) not in self.identities:
            return False
        return self.matches(info.name(), info.type(), info.source_id(), info.hostname())

    def describe(self) -> str:
        parts = [f"{k}={'|'.join(v)}" for k, v in
                 (("type", self.types), ("name", self.names), ("source_id", self.source_ids),
                  ("stream", self.identities), ("host", self.hosts)) if v]
        return ", ".join(parts) or "all streams"
