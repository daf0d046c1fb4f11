"""The EMG montage dialog: each channel label of a stream → ``MUSCLE_SIDE`` (GMED_L …).

The dialog only collects the names; ``apply`` (the console's) checks them in the core
(:func:`gaitlab.streams.check_montage`) and raises a one-line error that is shown here."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtWidgets

from gaitlab.errors import GaitlabError
from gaitlab.gui.forms import add_save_row


class MontageDialog(QtWidgets.QDialog):
    def __init__(self, stream: str, labels: list[str], current: dict[str, str],
                 apply: Callable[[dict[str, str]], None], parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"EMG montage — {stream}")
        self._apply = apply
        form = QtWidgets.QFormLayout(self)
        form.addRow(QtWidgets.QLabel("Muscle and side of each channel (e.g. GMED_L, TFL_R);\n"
                                     "leave empty to keep the channel's own label."))
        self.edits: dict[str, QtWidgets.QLineEdit] = {}
        for lab in labels:
            edit = QtWidgets.QLineEdit(current.get(lab, ""))
            edit.setPlaceholderText(lab)
            self.edits[lab] = edit
            form.addRow(lab, edit)
        self.error = add_save_row(form, self)

    def save(self) -> None:
        try:
            self._apply({lab: e.text() for lab, e in self.edits.items() if e.text().strip()})
        except GaitlabError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
