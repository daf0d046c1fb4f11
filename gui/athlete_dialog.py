"""The New athlete dialog: the ``[athlete]`` fields of a profile."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from gaitlab.errors import GaitlabError
from gaitlab.gui.forms import add_save_row, spin_box

SIDE_CHOICES = ("L", "R", "none")  # involved side; "none" for a healthy athlete (saved as "")


def side_value(choice: str) -> str:
    """The profile's involved_side for a side choice ("none" → "")."""
    return choice if choice in ("L", "R") else ""


def athlete_files() -> list[Path]:
    """Shipped sample athletes, then the athletes created on this machine."""
    from importlib import resources

    from gaitlab.athlete import user_athletes_dir

    shipped = sorted(Path(str(resources.files("gaitlab.data") / "athletes")).glob("*.toml"))
    return shipped + sorted(user_athletes_dir().glob("*.toml"))


class NewAthleteDialog(QtWidgets.QDialog):
    """The [athlete] fields of a profile; saved with gaitlab.athlete.save_athlete."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New athlete")
        form = QtWidgets.QFormLayout(self)
        self.id = QtWidgets.QLineEdit()
        self.name = QtWidgets.QLineEdit()
        self.sex = QtWidgets.QComboBox()
        self.sex.addItems(["F", "M", ""])
        self.mass = spin_box(20, 250, 70.0)
        self.height = spin_box(1.0, 2.3, 1.75)
        self.leg = spin_box(0.5, 1.3, 0.90)
        self.lever = spin_box(0.1, 1.0, 0.45)
        self.involved = QtWidgets.QComboBox()
        self.involved.addItems(SIDE_CHOICES)
        for label, w in (("id", self.id), ("name", self.name), ("sex", self.sex),
                         ("body mass kg", self.mass), ("height m", self.height),
                         ("leg length m (ASIS–medial malleolus)", self.leg),
                         ("lever arm m (hip centre–dynamometer pad)", self.lever),
                         ("involved side", self.involved)):
            form.addRow(label, w)
        self.error = add_save_row(form, self)
        self.saved: Path | None = None

    def save(self) -> None:
        from gaitlab.athlete import Athlete, save_athlete

        a = Athlete(id=self.id.text().strip(), name=self.name.text().strip(),
                    sex=self.sex.currentText(), body_mass_kg=self.mass.value(),
                    height_m=self.height.value(), leg_length_m=self.leg.value(),
                    lever_arm_m=self.lever.value(), involved_side=side_value(self.involved.currentText()))
        try:
            self.saved = save_athlete(a)
        except GaitlabError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
