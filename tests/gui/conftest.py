"""GUI tests run offscreen against the virtual athlete over real LSL."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(scope="package", autouse=True)
def _gui_thread_gc(qapp):
    """The windows run Python's garbage collection on the GUI thread only
    (:func:`gaitlab.gui.threads.collect_on_gui_thread`); once the GUI tests are done, the
    rest of the suite gets the interpreter's automatic collection back."""
    from gaitlab.gui.threads import collect_on_gui_thread, release_gc

    collect_on_gui_thread()
    yield
    release_gc()
