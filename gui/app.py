"""Application start-up: QApplication, the live monitor, the console."""

from __future__ import annotations

import sys

from PySide6 import QtWidgets

from gaitlab.gui.console import SessionConsole
from gaitlab.live import LabMonitor


def run_app(out_dir: str = ".") -> int:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    with LabMonitor() as monitor:
        win = SessionConsole(monitor, out_dir)
        win.resize(1400, 900)
        win.show()
        return app.exec()
