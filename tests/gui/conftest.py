"""GUI tests run offscreen against the virtual athlete over real LSL."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_qt_garbage():
    """Collect each test's windows (reference cycles through Qt signals and pyqtgraph items)
    after pytest-qt has closed them, while the QApplication is alive: left for the
    interpreter's exit, their destructors run after Qt has gone and can crash the process.
    (Autouse: set up before qtbot, so torn down after it.)"""
    yield
    gc.collect()
