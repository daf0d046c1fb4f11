"""Mark-10 tests: an emulated gauge on a real pseudo-terminal, and the driver as a subprocess."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gaitlab.drivers.emulators.mark10 import Mark10Emulator


@pytest.fixture
def gauge(tmp_path: Path) -> Iterator[Callable[..., Mark10Emulator]]:
    made: list[Mark10Emulator] = []

    def make(**kw: object) -> Mark10Emulator:
        emu = Mark10Emulator(tmp_path / f"ttyMARK10-{len(made)}", **kw).start()  # type: ignore[arg-type]
        made.append(emu)
        return emu

    yield make
    for emu in made:
        emu.close()
