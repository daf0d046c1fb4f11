"""Application start-up: QApplication, the live monitor, the console."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import QtWidgets

from gaitlab.gui.console import SessionConsole
from gaitlab.live import LabMonitor


def open_console(monitor: LabMonitor, out_dir: str | Path = ".") -> SessionConsole:
    """The console, shown at the size and place it was left in (QSettings), else 1400×900."""
    win = SessionConsole(monitor, out_dir)
    win.show()
    return win


def run_app(out_dir: str = ".") -> int:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    with LabMonitor() as monitor:
        win = open_console(monitor, out_dir)
        rc = app.exec()
        del win
        return rc
