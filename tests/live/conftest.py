"""Fixtures of the live-core tests: the virtual athlete over real LSL, unique per test."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from gaitlab.athlete import Profile, load_profile
from gaitlab.drivers.virtual.sim import SimHandle, start_sim
from gaitlab.live import LabMonitor
from gaitlab.protocols import load_protocol
from gaitlab.record.filters import StreamFilter


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile("default")


@pytest.fixture
def sim(profile) -> Iterator[Callable[..., SimHandle]]:
    """Factory: ``sim(protocol, instance=None, **kw)`` starts the virtual lab; stopped at teardown."""
    handles: list[SimHandle] = []

    def start(protocol: str, instance: str | None = None, **kw) -> SimHandle:
        h = start_sim(profile, load_protocol(protocol), seed=kw.pop("seed", 2),
                      instance=instance or f"live-{uuid.uuid4().hex[:12]}", **kw)
        handles.append(h)
        return h

    yield start
    for h in handles:
        h.stop()


def monitor_for(handle: SimHandle, **kw) -> LabMonitor:
    return LabMonitor(StreamFilter(source_ids=tuple(handle.source_ids.values())), **kw)


def wait_for(cond: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()
