"""The athlete registry view: athletes, program enrolment and phase, visits (pain NRS, run
volume), their session files; add an athlete, enrol in a program, import files, log a visit,
compare visits, make the PDF report.

The view reads the registry (SQLite, :mod:`gaitlab.registry`) through short-lived
connections; imports and the report run on the thread pool
(:class:`gaitlab.gui.threads.Background`: plain data in, plain results back on the GUI
thread), each with its own connection, so the window never blocks. Errors are one line in the status bar.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.errors import GaitlabError
from gaitlab.gui.compare_view import WIDTH_BAND_CM, CompareView
from gaitlab.gui.forms import add_save_row, spin_box, spin_value
from gaitlab.gui.threads import Background, collect_on_gui_thread, one_line
from gaitlab.protocols.program import DEFAULT_PROGRAM, program_week
from gaitlab.registry.db import VISIT_KINDS, AthleteRow, VisitRow, default_db_path, open_registry

ATHLETE_COLUMNS = ("id", "name", "involved side", "program", "visits")
VISIT_COLUMNS = ("date", "kind", "program week", "pain NRS", "run km/week", "pain-free days",
                 "phase 3 pain-free", "session files")
MISSING_COLOUR = "#f4c2c2"


def _opt(x: float | int | bool | None, fmt: str = "{:g}") -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return fmt.format(x)


class AddVisitDialog(QtWidgets.QDialog):
    """Log a visit: kind, date, program week, pain NRS, run volume, readiness answers."""

    def __init__(self, db: Path, athlete_id: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.db, self.athlete_id = db, athlete_id
        self.setWindowTitle(f"New visit — {athlete_id}")
        form = QtWidgets.QFormLayout(self)
        self.kind = QtWidgets.QComboBox()
        self.kind.addItems(VISIT_KINDS)
        self.date = QtWidgets.QDateEdit(QtCore.QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.week = spin_box(-1, 104, -1, decimals=0, special="not logged")
        self.pain = spin_box(-1, 10, -1, decimals=1, special="not logged")
        self.volume = spin_box(-1, 500, -1, decimals=1, special="not logged")
        self.pain_free = spin_box(-1, 365, -1, decimals=0, special="not logged")
        self.phase3 = QtWidgets.QComboBox()
        self.phase3.addItems(["not logged", "yes", "no"])
        self.notes = QtWidgets.QLineEdit()
        for label, w in (("kind", self.kind), ("date", self.date), ("program week (0 = baseline)", self.week),
                         ("pain NRS 0–10", self.pain), ("running km/week", self.volume),
                         ("pain-free days of daily activity", self.pain_free),
                         ("phase 3 exercises pain-free", self.phase3), ("notes", self.notes)):
            form.addRow(label, w)
        self.error = add_save_row(form, self)
        self.saved: VisitRow | None = None

    def save(self) -> None:
        week, days = spin_value(self.week), spin_value(self.pain_free)
        p3 = {"yes": True, "no": False}.get(self.phase3.currentText())
        try:
            with open_registry(self.db) as r:
                self.saved = r.add_visit(
                    self.athlete_id, self.kind.currentText(), self.date.date().toString("yyyy-MM-dd"),
                    week=None if week is None else int(week), pain_nrs=spin_value(self.pain),
                    run_volume_km=spin_value(self.volume),
                    pain_free_days=None if days is None else int(days), phase3_pain_free=p3,
                    notes=self.notes.text().strip())
        except GaitlabError as exc:
            self.error.setText(one_line(exc))
            return
        self.accept()


class AddAthleteDialog(QtWidgets.QDialog):
    """Add an athlete: id, name, sex, body measures, dynamometer lever arm, involved side."""

    def __init__(self, db: Path, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("New athlete")
        self.setMinimumWidth(420)
        form = QtWidgets.QFormLayout(self)
        self.athlete_id = QtWidgets.QLineEdit()
        self.athlete_id.setPlaceholderText("one word, e.g. R-017")
        self.name = QtWidgets.QLineEdit()
        self.sex = QtWidgets.QComboBox()
        self.sex.addItems(["—", "F", "M"])
        self.side = QtWidgets.QComboBox()
        self.side.addItems(["—", "L", "R"])
        self.mass = spin_box(19, 250, 19, decimals=1, special="not logged")
        self.height = spin_box(0.99, 2.3, 0.99, decimals=2, special="not logged")
        self.leg = spin_box(0.49, 1.3, 0.49, decimals=2, special="not logged")
        self.lever = spin_box(0.09, 1.0, 0.09, decimals=2, special="not logged")
        for label, w in (("athlete id", self.athlete_id), ("name", self.name), ("sex", self.sex),
                         ("involved (painful) side", self.side), ("body mass, kg", self.mass),
                         ("height, m", self.height), ("leg length, m", self.leg),
                         ("dynamometer lever arm, m", self.lever)):
            form.addRow(label, w)
        self.error = add_save_row(form, self)
        self.saved: AthleteRow | None = None

    def save(self) -> None:
        pick = {"—": ""}
        try:
            with open_registry(self.db) as r:
                self.saved = r.add_athlete(
                    self.athlete_id.text().strip(), name=self.name.text().strip(),
                    sex=pick.get(self.sex.currentText(), self.sex.currentText()),
                    involved_side=pick.get(self.side.currentText(), self.side.currentText()),
                    body_mass_kg=spin_value(self.mass), height_m=spin_value(self.height),
                    leg_length_m=spin_value(self.leg), lever_arm_m=spin_value(self.lever))
        except GaitlabError as exc:
            self.error.setText(one_line(exc))
            return
        self.accept()


class EnrolDialog(QtWidgets.QDialog):
    """Enrol an athlete in a rehab program (a built-in name or a clinic's .toml) from a start
    date; a clinic's file is stored by its absolute path."""

    def __init__(self, db: Path, athlete_id: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.db, self.athlete_id = db, athlete_id
        self.setWindowTitle(f"Enrol in a program — {athlete_id}")
        self.setMinimumWidth(520)
        form = QtWidgets.QFormLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.program = QtWidgets.QComboBox()
        self.program.setEditable(True)
        self.program.addItems([DEFAULT_PROGRAM])
        self.program.setToolTip("a built-in program (itbs) or the path of a clinic's program .toml")
        browse = QtWidgets.QPushButton("File…")
        browse.clicked.connect(self.browse)
        row.addWidget(self.program, 1)
        row.addWidget(browse)
        self.start = QtWidgets.QDateEdit(QtCore.QDate.currentDate())
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd")
        form.addRow("program", row)
        form.addRow("start date (week 1 = days 0–6)", self.start)
        self.error = add_save_row(form, self)
        self.saved: tuple[str, str] | None = None

    def browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Program file", "", "program (*.toml)")
        if path:
            self.program.setEditText(path)

    def save(self) -> None:
        from gaitlab.protocols.program import program_reference

        start = self.start.date().toString("yyyy-MM-dd")
        try:
            _prog, ref = program_reference(self.program.currentText().strip() or DEFAULT_PROGRAM)
            with open_registry(self.db) as r:
                r.enrol(self.athlete_id, ref, start)
        except GaitlabError as exc:
            self.error.setText(one_line(exc))
            return
        self.saved = (ref, start)
        self.accept()


class RegistryView(QtWidgets.QMainWindow):
    """Athletes and their visits from the registry at ``db`` (default: the user's registry)."""

    changed = QtCore.Signal()  # the registry was written (import, visit)
    report_done = QtCore.Signal(str)  # path of the PDF
    failed = QtCore.Signal(str)

    def __init__(self, db: str | Path | None = None, width_band_cm: tuple[float, float] = WIDTH_BAND_CM,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        collect_on_gui_thread()
        self.db = Path(db) if db else default_db_path()
        self.width_band_cm = width_band_cm
        self.setWindowTitle(f"gaitlab — athletes ({self.db})")
        self.message = ""
        self.compare_windows: list[CompareView] = []
        self._tasks: list[Background] = []
        self._build()
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        left = QtWidgets.QWidget()
        ll = QtWidgets.QVBoxLayout(left)
        ll.addWidget(QtWidgets.QLabel("<b>Athletes</b>"))
        self.athletes = self._table(ATHLETE_COLUMNS)
        self.athletes.horizontalHeader().setStretchLastSection(False)
        self.athletes.horizontalHeader().setSectionResizeMode(
            1, QtWidgets.QHeaderView.ResizeMode.Stretch)  # the name takes what is left
        self.athletes.itemSelectionChanged.connect(self._show_athlete)
        ll.addWidget(self.athletes, 1)
        row = QtWidgets.QHBoxLayout()
        self.b_add = QtWidgets.QPushButton("Add athlete…")
        self.b_add.clicked.connect(self.add_athlete)
        row.addWidget(self.b_add)
        self.b_import = QtWidgets.QPushButton("Import session files…")
        self.b_import.clicked.connect(lambda: self.import_files())
        self.b_demo = QtWidgets.QPushButton("Import demo athlete")
        self.b_demo.setToolTip("The shipped demo-001: three visits (baseline, week 4, week 8)")
        self.b_demo.clicked.connect(self.import_demo)
        row.addWidget(self.b_import)
        row.addWidget(self.b_demo)
        ll.addLayout(row)
        split.addWidget(left)
        right = QtWidgets.QWidget()
        rl = QtWidgets.QVBoxLayout(right)
        self.detail = QtWidgets.QLabel("select an athlete")
        self.detail.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.detail.setWordWrap(True)
        rl.addWidget(self.detail)
        rl.addWidget(QtWidgets.QLabel("<b>Visits</b> (hover the files for their paths)"))
        self.visits = self._table(VISIT_COLUMNS)
        rl.addWidget(self.visits, 1)
        acts = QtWidgets.QHBoxLayout()
        self.b_enrol = QtWidgets.QPushButton("Enrol in program…")
        self.b_enrol.clicked.connect(self.enrol)
        self.b_visit = QtWidgets.QPushButton("Add visit…")
        self.b_visit.clicked.connect(self.add_visit)
        self.b_compare = QtWidgets.QPushButton("Compare visits")
        self.b_compare.clicked.connect(self.open_comparison)
        self.b_report = QtWidgets.QPushButton("PDF report…")
        self.b_report.clicked.connect(lambda: self.make_report())
        for b in (self.b_enrol, self.b_visit, self.b_compare, self.b_report):
            acts.addWidget(b)
        acts.addStretch(1)
        rl.addLayout(acts)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.setCentralWidget(split)
        self.status = QtWidgets.QLabel("")
        self.statusBar().addWidget(self.status, 1)
        self.resize(1300, 700)

    @staticmethod
    def _table(columns: tuple[str, ...]) -> QtWidgets.QTableWidget:
        t = QtWidgets.QTableWidget(0, len(columns))
        t.setHorizontalHeaderLabels(columns)
        t.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        t.verticalHeader().setVisible(False)
        hdr = t.horizontalHeader()
        hdr.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        hdr.setStretchLastSection(True)
        return t

    def show_message(self, text: str, error: bool = False) -> None:
        """One line in the status bar (red for an error); kept in ``self.message``."""
        self.message = text
        self.status.setStyleSheet("color:#b00000; font-weight:bold;" if error else "color:#222;")
        self.status.setText(text)
        if error:
            self.failed.emit(text)

    # ------------------------------------------------------------------ reading
    def refresh(self) -> None:
        """Re-read the athletes (keeping the selection)."""
        keep = self.selected_athlete()
        try:
            with open_registry(self.db) as r:
                rows = [(a, r.enrolment(a.id), len(r.visits(a.id))) for a in r.athletes()]
        except GaitlabError as exc:
            self.show_message(one_line(exc), error=True)
            return
        self.athletes.setRowCount(len(rows))
        for i, (a, enr, n) in enumerate(rows):
            prog = f"{enr[0]} since {enr[1]}" if enr else "not enrolled"
            for j, text in enumerate((a.id, a.name, a.involved_side or "—", prog, str(n))):
                self.athletes.setItem(i, j, QtWidgets.QTableWidgetItem(text))
        if not rows:
            self.detail.setText("No athletes yet: <b>Import session files…</b> (each file's athlete "
                                "is added), or <b>Import demo athlete</b> to try the views.")
        ids = [a.id for a, _, _ in rows]
        if ids:
            self.select_athlete(keep if keep in ids else ids[0])

    def selected_athlete(self) -> str | None:
        rows = self.athletes.selectionModel().selectedRows() if self.athletes.selectionModel() else []
        if not rows:
            return None
        item = self.athletes.item(rows[0].row(), 0)
        return item.text() if item else None

    def select_athlete(self, athlete_id: str) -> None:
        for i in range(self.athletes.rowCount()):
            if self.athletes.item(i, 0).text() == athlete_id:
                self.athletes.selectRow(i)
                self._show_athlete()
                return

    def _show_athlete(self) -> None:
        from gaitlab.report.data import phase_text

        aid = self.selected_athlete()
        self.visits.setRowCount(0)
        if aid is None:
            return
        try:
            with open_registry(self.db) as r:
                a = r.athlete(aid)
                enr = r.enrolment(aid)
                visits = [(v, r.sessions(v.id)) for v in r.visits(aid)]
        except GaitlabError as exc:
            self.show_message(one_line(exc), error=True)
            return
        assert a is not None
        prog = "not enrolled in a program"
        if enr:
            try:
                week = program_week(enr[1], visits[-1][0].date) if visits else None
                phase = phase_text(enr[0], week)
            except GaitlabError as exc:
                phase = f"program does not load ({one_line(exc)})"
            prog = f"program <b>{enr[0]}</b> since {enr[1]} — at the last visit: {phase}"
        mass = _opt(a.body_mass_kg, "{:g} kg")
        self.detail.setText(f"<span style='font-size:13pt'><b>{a.id}</b></span> {a.name} — sex "
                            f"{a.sex or '—'}, {mass}, involved side <b>{a.involved_side or '—'}</b>"
                            f"<br>{prog}")
        self.visits.setRowCount(len(visits))
        for i, (v, sessions) in enumerate(visits):
            on_disk = [Path(s.path).is_file() for s in sessions]
            files = ", ".join(Path(s.path).name + ("" if ok else " (missing)")
                              for s, ok in zip(sessions, on_disk, strict=True)) or "no file"
            wk = program_week(enr[1], v.date) if enr else v.week  # the logged week when not enrolled
            cells = (v.date, v.kind, _opt(wk), _opt(v.pain_nrs), _opt(v.run_volume_km),
                     _opt(v.pain_free_days), _opt(v.phase3_pain_free), files)
            for j, text in enumerate(cells):
                it = QtWidgets.QTableWidgetItem(text)
                if j == 2 and enr and v.week is not None and v.week != wk:
                    it.setText(f"{wk} (logged {v.week})")
                if j == 0:
                    it.setData(QtCore.Qt.ItemDataRole.UserRole, v.id)
                if j == len(cells) - 1:
                    it.setToolTip("\n".join(s.path for s in sessions))
                    if not all(on_disk) or not sessions:
                        it.setBackground(QtGui.QColor(MISSING_COLOUR))
                self.visits.setItem(i, j, it)

    # ------------------------------------------------------------------ actions
    def _start(self, fn, what: str, done) -> Background:  # type: ignore[no-untyped-def]
        self.show_message(f"{what}…")
        task = Background(fn, "gaitlab-gui-registry")
        task.done.connect(done)
        task.failed.connect(lambda text: self.show_message(text, error=True))
        task.done.connect(lambda _r, t=task: self._tasks.remove(t) if t in self._tasks else None)
        task.failed.connect(lambda _e, t=task: self._tasks.remove(t) if t in self._tasks else None)
        self._tasks.append(task)
        return task.start()

    def busy(self) -> bool:
        return any(t.running() for t in self._tasks)

    def import_files(self, paths: list[str | Path] | None = None) -> None:
        """Index session files (a file dialog when ``paths`` is None); each file's /athlete
        adds the athlete if new and its date picks or creates the visit."""
        if paths is None:
            files, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Import session files", "",
                                                              "gaitlab sessions (*.h5)")
            if not files:
                return
            paths = list(files)
        db = self.db
        todo = [str(p) for p in paths]

        def work() -> tuple[list[str], list[str]]:
            from gaitlab.compare import order_by_date
            from gaitlab.registry.importer import import_session

            done, errors = [], []
            try:
                todo_sorted = order_by_date(todo)  # baseline first, whatever the selection order
            except GaitlabError:
                todo_sorted = todo  # the bad file is reported below, with its own message
            for p in todo_sorted:
                try:
                    with open_registry(db) as r:  # one transaction per file
                        a, v, _s = import_session(r, p)
                    done.append(f"{Path(p).name} → {a.id} {v.kind} {v.date}")
                except GaitlabError as exc:
                    errors.append(one_line(exc))
            return done, errors

        self._start(work, f"importing {len(todo)} file(s)", self._imported)

    def _imported(self, result: tuple[list[str], list[str]]) -> None:
        done, errors = result
        self.refresh()
        self.changed.emit()
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            self.show_message(f"imported {len(done)}; {errors[0]}{more}", error=True)
        else:
            self.show_message(f"imported {len(done)} file(s): " + "; ".join(done))

    def import_demo(self) -> None:
        db = self.db

        def work() -> tuple[list[str], list[str]]:
            from gaitlab.registry.importer import import_demo

            with open_registry(db) as r:
                out = import_demo(r)
            return [f"{v.kind} {v.date}" for v, _ in out], []

        self._start(work, "importing the demo athlete", self._imported)

    def add_athlete(self) -> AthleteRow | None:
        """The new-athlete dialog; the athlete is selected after saving."""
        dlg = AddAthleteDialog(self.db, self)
        if dlg.exec() and dlg.saved is not None:
            self._after_athlete(dlg.saved)
            return dlg.saved
        return None

    def _after_athlete(self, a: AthleteRow) -> None:
        self.refresh()
        self.select_athlete(a.id)
        self.changed.emit()
        self.show_message(f"added athlete {a.id}")

    def enrol(self) -> tuple[str, str] | None:
        """Enrol the selected athlete in a program (dialog)."""
        aid = self.selected_athlete()
        if aid is None:
            self.show_message("select an athlete first", error=True)
            return None
        dlg = EnrolDialog(self.db, aid, self)
        if dlg.exec() and dlg.saved is not None:
            self._after_enrol(aid, dlg.saved)
            return dlg.saved
        return None

    def _after_enrol(self, athlete_id: str, saved: tuple[str, str]) -> None:
        self.refresh()
        self.changed.emit()
        self.show_message(f"{athlete_id} enrolled in {saved[0]} from {saved[1]}")

    def add_visit(self) -> VisitRow | None:
        aid = self.selected_athlete()
        if aid is None:
            self.show_message("select an athlete first", error=True)
            return None
        dlg = AddVisitDialog(self.db, aid, self)
        if dlg.exec() and dlg.saved is not None:
            self._after_visit(dlg.saved)
            return dlg.saved
        return None

    def _after_visit(self, v: VisitRow) -> None:
        self.refresh()
        self.changed.emit()
        self.show_message(f"visit {v.id}: {v.athlete_id} {v.kind} on {v.date}")

    def open_comparison(self) -> CompareView | None:
        """A comparison window on every visit of the selected athlete."""
        aid = self.selected_athlete()
        if aid is None:
            self.show_message("select an athlete first", error=True)
            return None
        view = CompareView(width_band_cm=self.width_band_cm)
        view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose, False)
        view.failed.connect(lambda text: self.show_message(text, error=True))
        view.load_athlete(self.db, aid)
        view.show()
        self.compare_windows.append(view)
        return view

    def make_report(self, out: str | Path | None = None) -> None:
        """The clinician PDF for the selected athlete (a save dialog when ``out`` is None),
        gathered and rendered in the background."""
        aid = self.selected_athlete()
        if aid is None:
            self.show_message("select an athlete first", error=True)
            return
        if out is None:
            name = f"{aid}-report-{dt.date.today().isoformat()}.pdf"
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save the report", name, "PDF (*.pdf)")
            if not path:
                return
            out = path
        db, target = self.db, Path(out)

        def work() -> str:
            from gaitlab.report.data import gather_athlete, registry_visits
            from gaitlab.report.render import render_pdf

            return str(render_pdf(gather_athlete(registry_visits(db, aid)), target))

        def done(path: str) -> None:
            self.show_message(f"report written: {path}")
            self.report_done.emit(path)

        self._start(work, f"making the report for {aid}", done)

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        for w in self.compare_windows:
            w.close()
        super().closeEvent(ev)
