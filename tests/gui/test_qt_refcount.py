"""Guard against the PySide6 6.12.0 defect that aborted the desktop app.

On Python 3.11 ``None`` is reference-counted. PySide6 6.12.0 released one reference to it on
every call of a method returning void, so after tens of thousands of label updates the
interpreter aborted with "none_dealloc" (in whatever thread happened to drop the last
reference, which made it look like an LSL pull). pyproject.toml pins PySide6 below 6.12.
"""

from __future__ import annotations

import gc
import sys

from PySide6 import QtWidgets


def test_void_qt_methods_keep_none_alive(qtbot) -> None:
    label, table, button = QtWidgets.QLabel(), QtWidgets.QTableWidget(0, 3), QtWidgets.QPushButton()
    for w in (label, table, button):
        qtbot.addWidget(w)
    calls = (lambda: label.setText("42 fps"), lambda: label.setStyleSheet("color:#3f3;"),
             lambda: table.setRowCount(2), lambda: button.setEnabled(True))
    for call in calls:
        call()
    gc.collect()
    before = sys.getrefcount(None)
    n = 2000
    for _ in range(n):
        for call in calls:
            call()
    gc.collect()
    drift = sys.getrefcount(None) - before
    # the faulty build loses one reference per call (-8000 here); a sound one loses none
    assert abs(drift) < 20, f"None lost {-drift} references over {n * len(calls)} Qt calls"
