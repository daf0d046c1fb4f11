"""Shared driver-test helpers: started emulators closed at teardown, and the driver CLI
as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def emulators() -> Iterator[Callable[..., Any]]:
    """Factory: ``emulators(EmulatorClass, **kw)`` starts an emulator; all are closed at teardown."""
    made: list[Any] = []

    def make(cls: Callable[..., Any], **kw: Any) -> Any:
        emu = cls(**kw).start()
        made.append(emu)
        return emu

    yield make
    for e in made:
        e.close()


def run_driver(*args: str) -> subprocess.Popen:
    """``gaitlab driver …`` as a real subprocess (line-buffered text stdout)."""
    return subprocess.Popen([sys.executable, "-u", "-m", "gaitlab.drivers.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
