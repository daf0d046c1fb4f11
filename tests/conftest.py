"""Shared fixtures: unique LSL source ids and publisher subprocesses (tests/lsl_publisher.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PUBLISHER = Path(__file__).with_name("lsl_publisher.py")


class Publisher:
    """A subprocess publishing LSL streams; ``t0[name]`` is its stamp of sample 0."""

    def __init__(self, specs: list[dict]):
        self.specs = specs
        self.proc = subprocess.Popen([sys.executable, str(PUBLISHER), json.dumps(specs)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError("LSL publisher did not start")
        self.t0: dict[str, float] = json.loads(line)["t0"]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def uid() -> str:
    """A unique tag for source_ids and names, so parallel or earlier runs never collide."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def lsl_publisher() -> Iterator:
    """Factory: ``lsl_publisher([spec, ...])`` starts a publisher; all are killed at teardown."""
    started: list[Publisher] = []

    def start(specs: list[dict]) -> Publisher:
        p = Publisher(specs)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()
