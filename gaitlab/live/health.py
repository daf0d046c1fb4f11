"""Per-stream health for the stream panel: rates, gaps, drops, clock offset, status."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gaitlab.record.stream import find_gaps, gap_threshold_s

Status = Literal["ok", "stale", "lost"]
RATE_WINDOW_S = 2.0  # measured rate over the newest stamps of this span


@dataclass(frozen=True)
class StreamHealth:
    key: str  # identity (source_id based)
    name: str
    type: str
    role: str  # after any override
    channels: int
    nominal_srate: float
    measured_srate: float
    samples: int
    gaps: int
    dropped: int  # samples missing inside gaps (estimate from the stamps and nominal rate)
    clock_offset_s: float  # last time_correction (NaN before the first)
    since_last_s: float  # local seconds since the last chunk arrived
    status: Status
    reconnects: int
    error: str = ""  # metadata problem, if any


def stale_after_s(srate: float) -> float:
    """Silence after which a regular stream is flagged stale (irregular streams never are)."""
    return max(0.5, 10.0 / srate) if srate > 0 else math.inf


def status_of(connected: bool, since_last_s: float, srate: float) -> Status:
    if not connected:
        return "lost"
    return "stale" if since_last_s > stale_after_s(srate) else "ok"


def measured_rate(t: np.ndarray) -> float:
    """Samples per second over the newest ``RATE_WINDOW_S`` of stamps ``t`` (sorted)."""
    if len(t) < 2:
        return 0.0
    i = int(np.searchsorted(t, t[-1] - RATE_WINDOW_S))
    span = t[-1] - t[i]
    return (len(t) - 1 - i) / span if span > 0 else 0.0


def count_drops(ts: np.ndarray, prev_ts: float | None, srate: float) -> tuple[int, int]:
    """(gaps, missing samples) in a chunk of stamps continuing from ``prev_ts``."""
    gaps = find_gaps(ts, prev_ts, srate)
    if not len(gaps) or not math.isfinite(gap_threshold_s(srate)):
        return len(gaps), 0
    missing = np.maximum(np.round((gaps[:, 1] - gaps[:, 0]) * srate) - 1, 0)
    return len(gaps), int(missing.sum())
