"""Fixtures for the analysis tests: session files written with plain h5py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from analysis_files import StreamArrays, write_session


@pytest.fixture

def session_writer(tmp_path: Path) -> Callable[..., Path]:
    def make(streams: list[StreamArrays], name: str = "s.h5", **kw: Any) -> Path:
        return write_session(tmp_path / name, streams, **kw)
    return make
