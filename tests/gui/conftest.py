"""GUI tests run offscreen against the virtual athlete over real LSL."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc

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


@pytest.fixture(autouse=True)
def _free_windows_before_qtbot_deletes_them():
    """pytest-qt ends a test with ``close(); deleteLater()`` on every widget it was given: a
    C++ deletion the application itself never does (its windows are freed by their Python
    wrappers). Freed by Qt first, a window's pyqtgraph items left in Python reference cycles
    are deleted a second time when those cycles are collected later (a SIGSEGV in the next
    test, reproduced with tests/gui/test_console_setup.py + test_emg_view.py). So the test's
    cycles are collected here, on the GUI thread, before the event loop runs the deferred
    deletes. (Autouse: set up before qtbot, so torn down after it.)"""
    yield
    gc.collect()
