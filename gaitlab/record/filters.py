"""Which LSL streams to record."""

from __future__ import annotations

from dataclasses import dataclass

import pylsl


@dataclass(frozen=True)
class StreamFilter:
    """Record a stream when it matches every non-empty criterion (each one a list of
    alternatives, compared exactly; types case-insensitively). Empty filter = all streams."""

    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()

    def matches(self, name: str, stype: str, source_id: str) -> bool:
        if self.types and stype.lower() not in {t.lower() for t in self.types}:
            return False
        if self.names and name not in self.names:
            return False
        return not (self.source_ids and source_id not in self.source_ids)

    def matches_info(self, info: pylsl.StreamInfo) -> bool:
        return self.matches(info.name(), info.type(), info.source_id())

    def describe(self) -> str:
        parts = [f"{k}={'|'.join(v)}" for k, v in
                 (("type", self.types), ("name", self.names), ("source_id", self.source_ids)) if v]
        return ", ".join(parts) or "all streams"
