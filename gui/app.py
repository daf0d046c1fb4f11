"""Application start-up: QApplication, the live monitor, the console."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import QtWidgets

from gaitlab.gui.console import SessionConsole
from gaitlab.gui.qt_libs import check_qt_platform
from gaitlab.gui.signals import quit_on_signals
from gaitlab.lab import LabProfile
from gaitlab.live import LabMonitor


def open_console(monitor: LabMonitor, out_dir: str | Path = ".", lab: LabProfile | None = None,
                 prefer: tuple[str, ...] = ()) -> SessionConsole:
    """The console, shown at the size and place it was left in (QSettings), else 1400×900.
    ``prefer``: identities of devices the app started itself (its simulated lab), recorded
    for their role before any other candidate."""
    win = SessionConsole(monitor, out_dir, lab=lab, prefer=prefer)
    win.show()
    return win


def run_app(out_dir: str = ".", lab: LabProfile | None = None, prefer: tuple[str, ...] = ()) -> int:
    check_qt_platform()  # one line naming the packages, before Qt's multi-line abort
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    with LabMonitor() as monitor:
        win = open_console(monitor, out_dir, lab, prefer)
        with quit_on_signals(app):  # SIGINT/SIGTERM: close the console (ends a recording), quit
            rc = app.exec()
        del win
        return rc
