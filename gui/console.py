"""The clinician's session console (QMainWindow). Widgets only draw what the live core
(:mod:`gaitlab.live`) computed; recording runs in a plain thread whose result dict the redraw
timer polls, the analysis on the thread pool (:class:`gaitlab.gui.threads.Background`)."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
import uuid
from collections import deque
from pathlib import Path

import numpy as np
import pylsl
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.athlete import Profile, load_profile
from gaitlab.errors import GaitlabError
from gaitlab.gui.athlete_dialog import SIDE_CHOICES, NewAthleteDialog, athlete_files, side_value
from gaitlab.gui.emg_view import EmgPanel
from gaitlab.gui.feedback import BiofeedbackWindow
from gaitlab.gui.forms import spin_box
from gaitlab.gui.gait_view import GaitPanel
from gaitlab.gui.latency import PaintClock, TimedPlotWidget, overlay_text
from gaitlab.gui.montage import MontageDialog
from gaitlab.gui.pelvis_view import PelvisPanel
from gaitlab.gui.strength_box import StrengthBox
from gaitlab.gui.threads import Background, collect_on_gui_thread
from gaitlab.gui.traces import nice_limit
from gaitlab.lab import Device, LabProfile, choose_panel, lab_toml, load_lab, rivals_error
from gaitlab.live import LabMonitor, decimate_minmax
from gaitlab.live.feedback import Targets
from gaitlab.record.filters import StreamFilter, identity_of
from gaitlab.record.recorder import Recorder

STATUS_COLOUR = {"ok": "#2a2", "stale": "#d90", "lost": "#d22"}
VISITS = ("baseline", "reassessment", "discharge")
PHASES = ("acute", "subacute", "strengthening", "return to run")
COLUMNS = ("name", "role", "rate (meas/nom Hz)", "gaps", "dropped", "offset ms", "last seen s",
           "status", "host", "source_id", "device")
DEVICE_COLOUR = {"recorded": "#c8f0c8", "choose one": "#ffb0b0", "not recorded": "#dddddd"}
PRESSURE_HOLD_S = 0.3  # heat map: per-sensor max over this span, so contacts stay visible
MARKER_KEYS = {"F1": "IC L", "F2": "IC R", "F3": "note"}
DEFAULT_SIZE = (1400, 900)  # first start; afterwards the size and place it was left in
TABLE_PERIOD_S = 0.25  # the stream table and status line are redrawn this often
# The redraw timer polls this often; a trace is redrawn only when new samples have arrived, so
# frames follow the data (a device's chunks) and a sample waits ~half this for its frame.
REDRAW_MS = 15
FEEDBACK_PERIOD_S = 0.03  # athlete window refresh


def _record_job(rec: Recorder, stop: threading.Event, result: dict, path: Path):  # type: ignore[no-untyped-def]
    """The recording thread's body: writes only into ``result`` (polled by the GUI timer)."""

    def run() -> None:
        try:
            result["summary"] = rec.run(stop_event=stop)
        except GaitlabError as exc:
            result["error"] = str(exc)
        except Exception as exc:  # a bug or an HDF5 surprise: one line, never "saved"
            first = (str(exc).splitlines() or [""])[0]
            result["error"] = (f"recording failed ({type(exc).__name__}: {first}); {path} keeps what "
                               "was flushed before ('gaitlab repair' finishes it); record again")

    return run


class SessionConsole(QtWidgets.QMainWindow):
    def __init__(self, monitor: LabMonitor, out_dir: str | Path = ".", redraw_ms: int = REDRAW_MS,
                 lab: LabProfile | None = None, prefer: tuple[str, ...] = ()):
        super().__init__()
        collect_on_gui_thread()
        self.prefer = set(prefer)  # identities of devices this app started (its simulated lab)
        self.lab = lab  # the lab profile: record only its devices (else one per role, picked here)
        self.device_picks: dict[tuple[str, str], str] = {}  # slot -> identity ("use this device")
        self.setWindowTitle("gaitlab — session console")
        self.monitor = monitor
        self.out_dir = Path(out_dir)
        self.settings = QtCore.QSettings(QtCore.QSettings.defaultFormat(),
                                         QtCore.QSettings.Scope.UserScope, "gaitlab", "console")
        self.targets = Targets(**{f.name: type(f.default)(self.settings.value(
            f"targets/{f.name}", f.default)) if not isinstance(f.default, bool) else
            self.settings.value(f"targets/{f.name}", f.default) in (True, "true")
            for f in dataclasses.fields(Targets)})
        sid = f"gaitlab-gui-markers-{uuid.uuid4().hex[:8]}"
        info = pylsl.StreamInfo("gaitlab-gui Markers", "Markers", 1, pylsl.IRREGULAR_RATE,
                                pylsl.cf_string, sid)
        self.marker_outlet = pylsl.StreamOutlet(info)
        self.sent_markers: list[str] = []
        self.frame_times: deque[float] = deque(maxlen=120)
        self.frames = 0
        self._table_drawn = self._status_drawn = self._feedback_drawn = -np.inf
        self._drawn: dict[str, tuple[str, float]] = {}  # view -> (stream key, its newest stamp drawn)
        self._rec_thread: threading.Thread | None = None
        self._recorder: Recorder | None = None
        self.montages: dict[str, dict[str, str]] = {}  # EMG montages set here, by stream key
        self.montage_dialog: MontageDialog | None = None
        self._rec_stop = threading.Event()
        self._rec_result: dict = {}
        self._ana_result: dict = {}
        self._ana_task: Background | None = None
        self.record_path: Path | None = None
        self._build()
        self.feedback = BiofeedbackWindow(self.targets)
        if self.targets.metronome:
            self.apply_targets()
        self.timer = QtCore.QTimer(self, interval=redraw_ms, timeout=self.redraw)
        self.timer.start()
        self._feedback_placed = False
        self._restore_layout()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        central = QtWidgets.QWidget()
        lay = QtWidgets.QHBoxLayout(central)
        side = QtWidgets.QVBoxLayout()
        lay.addLayout(side, 1)
        # athlete & session
        box = QtWidgets.QGroupBox("Athlete and session")
        form = QtWidgets.QFormLayout(box)
        self.athlete_combo = QtWidgets.QComboBox()
        for p in athlete_files():
            self.athlete_combo.addItem(p.stem, str(p))
        last = self.settings.value("athlete/last")
        if last:
            i = self.athlete_combo.findText(str(last))
            if i >= 0:
                self.athlete_combo.setCurrentIndex(i)
        self.athlete_combo.currentIndexChanged.connect(self._athlete_picked)
        self.visit = QtWidgets.QComboBox()
        self.visit.addItems(VISITS)
        self.phase = QtWidgets.QComboBox()
        self.phase.addItems(PHASES)
        self.side = QtWidgets.QComboBox()
        self.side.addItems(SIDE_CHOICES)
        new_athlete = QtWidgets.QPushButton("New…")
        new_athlete.clicked.connect(self.new_athlete)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.athlete_combo, 1)
        row.addWidget(new_athlete)
        form.addRow("athlete", row)
        form.addRow("visit", self.visit)
        form.addRow("rehab phase", self.phase)
        form.addRow("involved side", self.side)
        side.addWidget(box)
        # record
        rbox = QtWidgets.QGroupBox("Recording")
        rl = QtWidgets.QVBoxLayout(rbox)
        self.rec_button = QtWidgets.QPushButton("Record")
        self.rec_button.clicked.connect(self.toggle_record)
        self.rec_label = QtWidgets.QLabel("not recording")
        self.rec_label.setWordWrap(True)
        rl.addWidget(self.rec_button)
        rl.addWidget(self.rec_label)
        mrow = QtWidgets.QHBoxLayout()
        for key, text in MARKER_KEYS.items():
            b = QtWidgets.QPushButton(f"{text} ({key})")
            b.clicked.connect(lambda _=False, t=text: self.send_marker(t))
            QtGui.QShortcut(QtGui.QKeySequence(key), self, activated=lambda t=text: self.send_marker(t))
            mrow.addWidget(b)
        rl.addLayout(mrow)
        side.addWidget(rbox)
        # targets
        tbox = QtWidgets.QGroupBox("Feedback targets")
        tl = QtWidgets.QFormLayout(tbox)
        self.t_lo = spin_box(-10, 30, self.targets.width_lo_cm)
        self.t_hi = spin_box(-10, 30, self.targets.width_hi_cm)
        self.t_cad = spin_box(100, 240, self.targets.cadence_spm)
        self.t_gmed = spin_box(-300, 200, self.targets.gmed_onset_ms)
        self.t_drop = spin_box(0, 20, self.targets.pelvic_drop_max_deg)
        self.t_met = QtWidgets.QCheckBox("metronome")
        self.t_met.setChecked(self.targets.metronome)
        for label, w in (("width min cm", self.t_lo), ("width max cm", self.t_hi),
                         ("cadence spm", self.t_cad), ("GMED onset ms", self.t_gmed),
                         ("pelvic drop max °", self.t_drop), ("", self.t_met)):
            tl.addRow(label, w)
            (w.toggled if isinstance(w, QtWidgets.QCheckBox) else w.valueChanged).connect(
                self.apply_targets)
        self.feedback_button = QtWidgets.QPushButton("Athlete window")
        self.feedback_button.clicked.connect(self.show_feedback)
        tl.addRow(self.feedback_button)
        side.addWidget(tbox)
        # strength test
        self.strength_box = StrengthBox(self.monitor, self.send_marker)
        side.addWidget(self.strength_box)
        side.addStretch(1)
        # right: streams + live views + summary
        right = QtWidgets.QVBoxLayout()
        lay.addLayout(right, 3)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setMaximumHeight(170)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        hdr.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._role_menu)
        right.addWidget(self.table)
        self.tabs = QtWidgets.QTabWidget()
        right.addWidget(self.tabs, 1)
        self.emg = EmgPanel()
        self.emg_plot = self.emg.widget
        self.tabs.addTab(self.emg_plot, "EMG")
        self.force_plot = TimedPlotWidget(title="dynamometer force (N)")
        self.force_plot.setMouseEnabled(x=False, y=False)
        self.force_plot.enableAutoRange(x=False, y=False)
        self.force_plot.setXRange(-10.0, 0.0, padding=0)
        self.force_plot.setLabel("bottom", "s")
        self.force_curve = self.force_plot.plot(pen=pg.mkPen("y", width=1), skipFiniteCheck=True)
        self.force_peak = pg.InfiniteLine(angle=0, pen=pg.mkPen("r", width=1))
        self.force_plot.addItem(self.force_peak)
        self.tabs.addTab(self.force_plot, "Force")
        self.gait = GaitPanel(self.targets)
        self.gait_widget = self.gait.widget
        self.tabs.addTab(self.gait_widget, "Gait")
        self.pelvis = PelvisPanel(self.targets, self.send_marker)
        self.tabs.addTab(self.pelvis.widget, "Pelvis")
        self.summary = QtWidgets.QPlainTextEdit(readOnly=True)
        self.summary.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.tabs.addTab(self.summary, "Summary")
        self.setCentralWidget(central)
        self.status_label = QtWidgets.QLabel("")
        self.statusBar().addWidget(self.status_label)
        self._build_menu()

    def _build_menu(self) -> None:
        """Athletes (registry) and comparison windows; they only read files and the registry."""
        self.views: list[QtWidgets.QWidget] = []
        menu = self.menuBar().addMenu("&Views")
        menu.addAction("&Athletes…", self.open_athletes)
        menu.addAction("&Compare session files…", lambda: self.open_compare())
        self.compare_last = menu.addAction("Compare the &last recording with earlier sessions…",
                                           self.compare_recording)

    def open_athletes(self, db: str | Path | None = None) -> QtWidgets.QWidget:
        from gaitlab.gui.registry_view import RegistryView

        view = RegistryView(db, (self.targets.width_lo_cm, self.targets.width_hi_cm))
        view.show()
        self.views.append(view)
        return view

    def open_compare(self, paths: list[str | Path] | None = None) -> QtWidgets.QWidget | None:
        from gaitlab.gui.compare_view import open_compare

        view = open_compare(paths, None, (self.targets.width_lo_cm, self.targets.width_hi_cm))
        if view is not None:
            self.views.append(view)
        return view

    def compare_recording(self, earlier: list[str | Path] | None = None) -> QtWidgets.QWidget | None:
        """The session just recorded against earlier session files (chosen in a dialog)."""
        if self.record_path is None or self._rec_thread is not None or not self.record_path.exists():
            self.say("record and stop a session first, then compare it")
            return None
        if earlier is None:
            files, _ = QtWidgets.QFileDialog.getOpenFileNames(
                self, "Earlier sessions of this athlete", str(self.out_dir), "gaitlab sessions (*.h5)")
            earlier = [f for f in files if Path(f).resolve() != self.record_path.resolve()]
            if not earlier:
                return None
        return self.open_compare([*earlier, self.record_path])

    # ------------------------------------------------------------------ layout persistence
    def _restore_layout(self) -> None:
        """Window size and place, the tab shown, and the athlete window as they were left."""
        geo = self.settings.value("console/geometry")
        if geo is None or not self.restoreGeometry(geo):
            self.resize(*DEFAULT_SIZE)
        names = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        tab = self.settings.value("console/tab")
        if tab in names:
            self.tabs.setCurrentIndex(names.index(tab))
        self.tabs.currentChanged.connect(
            lambda i: self.settings.setValue("console/tab", self.tabs.tabText(i)))
        self._follow_athlete_side()
        if self.settings.value("feedback/open") in (True, "true"):
            QtCore.QTimer.singleShot(0, self.show_feedback)

    def show_feedback(self) -> None:
        """Open the athlete window where it was last (its screen, size, full screen)."""
        fb = self.feedback
        if not self._feedback_placed:
            self._feedback_placed = True
            geo = self.settings.value("feedback/geometry")
            if geo is not None:
                fb.restoreGeometry(geo)
            name = self.settings.value("feedback/screen")
            screen = next((sc for sc in QtGui.QGuiApplication.screens() if sc.name() == name), None)
            if screen is not None and not screen.geometry().contains(fb.geometry().center()):
                fb.move(screen.availableGeometry().topLeft())
            if self.settings.value("feedback/full_screen") in (True, "true"):
                fb.showFullScreen()
                return
        fb.show()
        fb.raise_()

    def _save_layout(self) -> None:
        self.settings.setValue("console/geometry", self.saveGeometry())
        fb = self.feedback
        if self._feedback_placed:
            self.settings.setValue("feedback/geometry", fb.saveGeometry())
            self.settings.setValue("feedback/screen", fb.screen().name())
            self.settings.setValue("feedback/full_screen", fb.isFullScreen())
        self.settings.setValue("feedback/open", fb.isVisible())
        self.settings.sync()

    # ------------------------------------------------------------------ actions
    def say(self, text: str) -> None:
        """A one-line message in the status bar for 15 s (over the frame-rate line)."""
        self.statusBar().showMessage(text, 15000)

    def new_athlete(self) -> None:
        dlg = NewAthleteDialog(self)
        if dlg.exec() and dlg.saved is not None:
            self.athlete_combo.addItem(dlg.saved.stem, str(dlg.saved))
            self.athlete_combo.setCurrentIndex(self.athlete_combo.count() - 1)

    def _athlete_picked(self) -> None:
        """Remember the athlete and show their involved side (the clinician may change it)."""
        self.settings.setValue("athlete/last", self.athlete_combo.currentText())
        self._follow_athlete_side()

    def _follow_athlete_side(self) -> None:
        try:
            side = load_profile(self.athlete_combo.currentData() or "default").athlete.involved_side
        except GaitlabError as exc:
            self.say(str(exc))
            return
        self.side.setCurrentText(side if side in ("L", "R") else "none")

    def profile(self) -> Profile:
        prof = load_profile(self.athlete_combo.currentData() or "default")
        side = self.side.currentText()
        a = dataclasses.replace(prof.athlete, involved_side=side_value(side))
        return dataclasses.replace(prof, athlete=a)

    def apply_targets(self) -> None:
        t = self.targets
        t.width_lo_cm, t.width_hi_cm = self.t_lo.value(), self.t_hi.value()
        t.cadence_spm, t.gmed_onset_ms = self.t_cad.value(), self.t_gmed.value()
        t.pelvic_drop_max_deg = self.t_drop.value()
        t.metronome = self.t_met.isChecked()
        note = self.feedback.sync_metronome()
        if note:
            self.statusBar().showMessage(note, 15000)
        self.gait.set_band(t.width_lo_cm, t.width_hi_cm)
        for f in dataclasses.fields(Targets):
            self.settings.setValue(f"targets/{f.name}", getattr(t, f.name))

    def send_marker(self, text: str, stamp: float | None = None) -> None:
        """Write a marker, stamped now or at ``stamp`` (LSL local clock)."""
        self.marker_outlet.push_sample([text], pylsl.local_clock() if stamp is None else stamp)
        self.sent_markers.append(text)

    def toggle_record(self) -> None:
        if self._rec_thread is None:
            self.start_record()
        else:
            self.stop_record()

    def devices(self) -> tuple[list[Device], list[list[Device]]]:
        """The streams of the panel as devices: (those to record, rivals still to choose from)."""
        seen = []
        own = identity_of(self.marker_outlet.get_info())  # recorded always, beside the devices
        for key in self.monitor.keys():
            spec = self.monitor.spec(key) if key != own else None
            if spec is not None:
                seen.append(Device(key, spec.name, spec.type, spec.role, spec.hostname,
                                   spec.source_id, spec.side, spec.channel_count))
        picks = {d.slot: d.identity for d in seen if d.identity in self.prefer}
        return choose_panel(seen, self.lab, {**picks, **self.device_picks})

    def use_device(self, key: str) -> None:
        """Record this stream for its role (and side) instead of any other candidate."""
        spec = self.monitor.spec(key)
        if spec is not None:
            self.device_picks[Device(key, spec.name, spec.type, spec.role, spec.hostname,
                                     spec.source_id, spec.side).slot] = key

    def save_lab(self, path: str | Path, name: str = "") -> Path:
        """Write the chosen devices as a lab profile ("use these devices") and use it."""
        chosen, open_ = self.devices()
        if open_:
            raise GaitlabError(rivals_error(open_[0], self.lab) + "; or right-click the row "
                               "to use it")
        text = lab_toml(name or socket.gethostname(), chosen)
        p = Path(path)
        try:
            p.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise GaitlabError(f"{p}: cannot write the lab profile ({exc.strerror})") from None
        self.lab = load_lab(p)
        return p

    def _save_lab_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save these devices as the lab profile",
                                                        str(self.out_dir / "lab.toml"), "TOML (*.toml)")
        if path:
            try:
                self.say(f"lab profile saved: {self.save_lab(path)}")
            except GaitlabError as exc:
                self.say(str(exc))

    def start_record(self, path: Path | None = None) -> None:
        chosen, open_ = self.devices()
        if open_:
            self.rec_label.setText("not recording: " + rivals_error(open_[0], self.lab) +
                                   "; or right-click a row: 'Use this device'")
            self.rec_label.setStyleSheet("color:#b00000;")
            return
        panel = tuple(d.identity for d in chosen)
        if not panel:
            self.rec_label.setText("no streams in the panel: switch the devices on (docs/drivers.md), "
                                   "wait for their rows, then press Record")
            self.rec_label.setStyleSheet("color:#b00000;")
            return
        try:
            prof = self.profile()
            name = f"{prof.athlete.id}-{self.visit.currentText()}-{time.strftime('%Y%m%d-%H%M%S')}.h5"
            self.record_path = path or self.out_dir / name
            # exactly the streams of the panel, and the console's own marker buttons
            own = identity_of(self.marker_outlet.get_info())
            rec = Recorder(self.record_path, prof, StreamFilter(identities=(*panel, own)), session={
                "visit": self.visit.currentText(), "rehab_phase": self.phase.currentText()},
                montages=self.montages, lab=self.lab)
        except GaitlabError as exc:
            self.rec_label.setText(str(exc))
            self.rec_label.setStyleSheet("color:#b00000;")
            return
        self._rec_stop.clear()
        self._rec_result = {"t0": time.monotonic(), "streams": len(panel) + (own not in panel)}
        # the thread gets plain objects only (the recorder, its stop event, a result dict the
        # GUI timer polls), never the window: it must not hold or drop a Qt object
        run = _record_job(rec, self._rec_stop, self._rec_result, self.record_path)
        self._recorder = rec
        self._rec_thread = threading.Thread(target=run, name="gaitlab-gui-record", daemon=True)
        self._rec_thread.start()
        self.rec_label.setStyleSheet("")
        self.rec_button.setText("Stop")

    def stop_record(self) -> None:
        self._rec_stop.set()
        self.rec_button.setEnabled(False)

    def _start_analysis(self) -> None:
        from gaitlab.analysis import analyze_session
        from gaitlab.analysis.report import format_table

        path = self.record_path

        def work() -> str:
            try:
                return format_table(analyze_session(path))
            except GaitlabError as exc:
                return f"analysis failed: {exc}"

        self._ana_result = {}
        task = Background(work, "gaitlab-gui-analyze")
        task.done.connect(self._analysed)
        task.failed.connect(lambda text: self._analysed(f"analysis failed: {text}"))
        self._ana_task = task.start()
        self.summary.setPlainText("analysing…")

    def _analysed(self, text: str) -> None:
        self._ana_result = {"text": text}
        self._ana_task = None
        if self._rec_thread is None:
            self.summary.setPlainText(text)

    def _role_menu(self, pos: QtCore.QPoint) -> None:
        row = self.table.rowAt(pos.y())
        if row >= 0:
            self.stream_menu(row).exec(self.table.viewport().mapToGlobal(pos))

    def stream_menu(self, row: int) -> QtWidgets.QMenu:
        """The stream row's context menu: its role, and for EMG its montage."""
        key = self.table.item(row, 0).data(QtCore.Qt.ItemDataRole.UserRole)
        menu = QtWidgets.QMenu(self)
        from gaitlab.live.monitor import ROLES
        for r in ROLES:
            menu.addAction(r, lambda r=r: self._set_role(key, r))
        menu.addSeparator()
        menu.addAction("Use this device", lambda: self.use_device(key))
        menu.addAction("Use these devices (save lab profile)…", self._save_lab_dialog)
        menu.addSeparator()
        act = menu.addAction("Montage…", lambda: self.open_montage(key))
        act.setEnabled(key in self.monitor.keys("emg"))
        return menu

    def _set_role(self, key: str, role: str) -> None:
        try:
            self.monitor.set_role(key, role)
        except GaitlabError as exc:
            self.say(str(exc))

    def open_montage(self, key: str) -> MontageDialog | None:
        """The montage dialog of an EMG stream (non-blocking; applied on Save)."""
        spec = self.monitor.spec(key)
        if spec is None:
            self.say("this stream's metadata could not be read; it has no channels to map")
            return None
        dlg = MontageDialog(spec.name, spec.labels, self.monitor.montage(key),
                            lambda m: self.apply_montage(key, m), self)
        dlg.open()
        self.montage_dialog = dlg
        return dlg

    def apply_montage(self, key: str, montage: dict[str, str]) -> None:
        """Apply a montage live and to the recording (raises a one-line GaitlabError)."""
        clean = self.monitor.set_montage(key, montage)
        self.montages[key] = clean
        recording = self._recorder is not None and self._rec_thread is not None
        if recording:
            self._recorder.set_montage(key, clean)
        name = self.monitor.spec(key).name
        self.say(f"montage of '{name}' applied" + (" and written into the recording"
                                                                     if recording else ""))

    # ------------------------------------------------------------------ drawing
    @property
    def paint_clocks(self) -> dict[str, PaintClock]:
        """Paint-time latency and frame rate of the EMG and force traces and of the gait view
        (:class:`gaitlab.gui.latency.PaintClock`)."""
        return {"EMG": self.emg_plot.paint_clock, "force": self.force_plot.paint_clock,
                "gait": self.gait_widget.paint_clock, "pelvis": self.pelvis.paint_clock}

    @property
    def latencies(self) -> np.ndarray:
        """Recent sensor→screen latencies (s) of the EMG and force traces, taken at paint."""
        clocks = self.paint_clocks
        return np.concatenate([np.asarray(clocks[k].latencies, np.float64) for k in ("EMG", "force")])

    def redraw(self) -> None:
        now = time.monotonic()
        self.frame_times.append(now)
        self.frames += 1
        if now - self._table_drawn >= TABLE_PERIOD_S:  # the table is text: 4 updates/s are plenty
            self._table_drawn = now
            self._draw_table()
        self._draw_emg()
        self._draw_force()
        self._draw_gait()
        self._draw_pelvis()
        self._draw_record(now)
        if self.feedback.isVisible() and now - self._feedback_drawn >= FEEDBACK_PERIOD_S:
            self._feedback_drawn = now
            self.feedback.update_view(self.monitor.gait_view(), self.latencies, now,
                                      pelvis=self.monitor.pelvis_view(1.0))
        if now - self._status_drawn >= TABLE_PERIOD_S:
            self._status_drawn = now
            shown = {self.force_plot: "force", self.gait_widget: "gait",
                     self.pelvis.widget: "pelvis"}.get(self.tabs.currentWidget(), "EMG")
            clock = self.paint_clocks[shown]
            self.status_label.setText(f"{clock.fps():.0f} fps, {overlay_text(self.paint_clocks)}")

    def _has_new(self, view: str) -> bool:
        """Whether the stream last drawn in ``view`` has samples newer than those drawn."""
        key, t = self._drawn.get(view, ("", np.nan))
        return not key or self.monitor.latest_time(key) != t

    def _draw_table(self) -> None:
        hs = self.monitor.health()
        chosen, open_ = self.devices()
        recorded = {d.identity for d in chosen}
        rival = {d.identity for g in open_ for d in g}
        self.table.setRowCount(len(hs))
        for i, h in enumerate(hs):
            rate = f"{h.measured_srate:.0f}/{h.nominal_srate:g}" if h.nominal_srate else "irregular"
            spec = self.monitor.spec(h.key)
            device = "recorded" if h.key in recorded else "choose one" if h.key in rival \
                else "not recorded"
            vals = (h.name, h.role, rate, str(h.gaps), str(h.dropped),
                    f"{1000 * h.clock_offset_s:.2f}" if np.isfinite(h.clock_offset_s) else "—",
                    f"{max(0.0, h.since_last_s):.1f}", h.status,
                    spec.hostname if spec else "", spec.source_id if spec else "", device)
            for j, v in enumerate(vals):
                it = self.table.item(i, j)
                if it is None:
                    it = QtWidgets.QTableWidgetItem()
                    self.table.setItem(i, j, it)
                it.setText(v)
                if j == 0:
                    it.setData(QtCore.Qt.ItemDataRole.UserRole, h.key)
            self.table.item(i, 7).setBackground(QtGui.QColor(STATUS_COLOUR[h.status]))
            self.table.item(i, 10).setBackground(QtGui.QColor(DEVICE_COLOUR[device]))

    def _draw_emg(self) -> None:
        if not self.emg_plot.isVisible():  # hidden tab: nothing is painted, so nothing to draw
            return
        if not self._has_new("emg"):
            return
        v = self.monitor.emg_view(5.0)
        if v is None or v.t.size < 2:
            return
        self.emg.update(v)
        self._drawn["emg"] = (v.key, v.t[-1] + self.monitor.clock_offset(v.key))
        self.emg_plot.paint_clock.drawn(self._drawn["emg"][1])

    def _draw_force(self) -> None:
        v = self.monitor.force_view(10.0)
        if v is None or v.t.size < 2:
            return
        if self.force_plot.isVisible() and self._has_new("force"):  # the strength test always runs
            td, yd = decimate_minmax(v.t - v.t[-1], v.force, max(200, self.force_plot.width()))
            self.force_curve.setData(td, yd)
            top = nice_limit(float(np.nanmax(yd)) * 1.1)
            if self.force_plot.getViewBox().viewRange()[1][1] != top:
                self.force_plot.setYRange(min(0.0, float(np.nanmin(yd))), top, padding=0)
            if np.isfinite(v.peak):
                self.force_peak.setValue(v.peak)
            self._drawn["force"] = (v.key, v.t[-1] + self.monitor.clock_offset(v.key))
            self.force_plot.paint_clock.drawn(self._drawn["force"][1])
        self.strength_box.feed(v)

    def _draw_gait(self) -> None:
        if not self.gait_widget.isVisible() or not self._has_new("gait"):
            return
        pv = self.monitor.pressure_view(hold_s=PRESSURE_HOLD_S)
        if pv is not None:
            self.gait.draw_pressure(pv)
            self._drawn["gait"] = (pv.key, pv.frame_t + self.monitor.clock_offset(pv.key))
            self.gait_widget.paint_clock.drawn(self._drawn["gait"][1])
        self.gait.draw_steps(self.monitor.gait_view())

    def _draw_pelvis(self) -> None:
        if not self.pelvis.widget.isVisible():
            return
        v = self.monitor.pelvis_view(10.0)
        if v is not None:
            self.pelvis.draw(v, self.monitor.gait_view(), self.monitor.clock_offset(v.key))

    def _draw_record(self, now: float) -> None:
        if self._rec_thread is None:
            if "text" in self._ana_result and self.summary.toPlainText() != self._ana_result["text"]:
                self.summary.setPlainText(self._ana_result["text"])
            return
        if self._rec_thread.is_alive():
            size = self.record_path.stat().st_size / 1e6 if self.record_path and \
                self.record_path.exists() else 0.0
            n = len(self._recorder.streams()) if self._recorder is not None else 0
            self.rec_label.setText(f"recording {now - self._rec_result['t0']:.0f} s, {size:.2f} MB, "
                                   f"{n} of {self._rec_result['streams']} streams")
            return
        self._rec_thread = self._recorder = None
        self.rec_button.setText("Record")
        self.rec_button.setEnabled(True)
        if "error" in self._rec_result or "summary" not in self._rec_result:
            self.rec_label.setText(self._rec_result.get("error", "recording failed: the recorder "
                                                        "stopped without a result; record again"))
            self.rec_label.setStyleSheet("color:#b00000;")
            return
        self.rec_label.setText(f"saved {self.record_path}")
        self.tabs.setCurrentWidget(self.summary)
        self._start_analysis()

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        self._save_layout()
        self.timer.stop()
        if self._rec_thread is not None:
            self.stop_record()
            self._rec_thread.join(timeout=10)
        self.feedback.shutdown()
        self.feedback.close()
        for view in self.views:
            view.close()
        super().closeEvent(ev)
