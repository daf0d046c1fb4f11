"""Fixtures for the live-tracker tests."""

from __future__ import annotations

import pytest
from live_data import Rendered, render_run


@pytest.fixture(scope="package")
def run12() -> Rendered:
    return render_run()
