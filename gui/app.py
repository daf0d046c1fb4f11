"""Application start-up: QApplication, the live monitor, the console."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6 import QtWidgets

from gaitlab.gui.console import SessionConsole
from gaitlab.gui.qt_libs import check_qt_platform
from gaitlab.live import LabMonitor


def open_console(monitor: LabMonitor, out_dir: str | Path = ".") -> SessionConsole:
    """The console, shown at the size and place it was left in (QSettings), else 1400×900."""
    win = SessionConsole(monitor, out_dir)
    win.show()
    return win


def run_app(out_dir: str = ".") -> int:
    check_qt_platform()  # one line naming the packages, before Qt's multi-line abort
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    with LabMonitor() as monitor:
        win = open_console(monitor, out_dir)
        rc = app.exec()
        del win
        gc.collect()  # the console's reference cycles go while Qt is still up (see run_view)
        return rc
