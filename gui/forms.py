"""Small form helpers shared by the app's dialogs."""

from __future__ import annotations

from PySide6 import QtWidgets


def spin_box(lo: float, hi: float, value: float, decimals: int = 2,
             special: str = "") -> QtWidgets.QDoubleSpinBox:
    """A spin box with its range set *before* its value (Qt clamps to the current range).

    ``special``, if given, is shown instead of the minimum (e.g. "not logged")."""
    box = QtWidgets.QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(lo, hi)
    box.setValue(value)
    if special:
        box.setSpecialValueText(special)
    return box


def spin_value(box: QtWidgets.QDoubleSpinBox) -> float | None:
    """The box's value, or None when it sits at its minimum (shown as "not logged")."""
    return None if box.value() == box.minimum() else box.value()


def add_save_row(form: QtWidgets.QFormLayout, dialog: QtWidgets.QDialog) -> QtWidgets.QLabel:
    """Append an error line and Save / Cancel to a dialog's form; Save calls ``dialog.save``.

    Returns the error label, where ``save`` reports a bad entry in one line."""
    error = QtWidgets.QLabel("")
    error.setStyleSheet("color:#b00000;")
    form.addRow(error)
    buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Save
                                         | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.save)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    return error
