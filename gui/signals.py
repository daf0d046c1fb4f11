"""SIGINT and SIGTERM in the Qt apps: close the windows (which finishes a recording) and quit.

Python runs a signal handler only between bytecodes of the main thread, and while Qt's
event loop waits in C no bytecode runs: a timer that calls into Python every
``TICK_MS`` lets a pending handler run within that time."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6 import QtCore, QtWidgets

TICK_MS = 200
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def quit_on_signals(app: QtWidgets.QApplication) -> Iterator[list[int]]:
    """While inside, SIGINT/SIGTERM close every window (their closeEvent stops what they
    run) and end ``app.exec()``. Yields the list of signals received."""
    got: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        got.append(signum)
        app.closeAllWindows()
        app.quit()

    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: None)  # a trip through Python: pending handlers run
    timer.start(TICK_MS)
    old = {s: signal.signal(s, on_signal) for s in SIGNALS}
    try:
        yield got
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        timer.stop()
