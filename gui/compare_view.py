"""The comparison view: an athlete's visits from baseline to now.

A table of every compared metric (value per visit, change, minimal detectable change with
its source, verdict coloured, direction of improvement, trend) and pyqtgraph plots (EMG
ensembles over the gait cycle, step widths, strength per side and LSI). Everything shown
is computed by the core (:func:`gaitlab.report.data.gather`, :mod:`gaitlab.compare.present`);
loading runs on the thread pool (:class:`gaitlab.gui.threads.Background`) so the window
never blocks; the result comes back to the GUI thread as plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gaitlab.compare import present as P
from gaitlab.errors import GaitlabError
from gaitlab.gui.threads import Background, collect_on_gui_thread
from gaitlab.report.data import ReportData

VERDICT_COLOUR = {"improved": "#bfe8bf", "worse": "#f4c2c2", "within": "#e6e6e6",
                  "changed": "#f9e2ad", "no_mdc": "#d6e3f5", "missing": "#ffffff"}
WIDTH_BAND_CM = (5.0, 12.0)  # the biofeedback window's default step-width target
LSI_PASS = 90.0


def visit_colours(n: int) -> list[QtGui.QColor]:
    """Baseline → latest along viridis (dark purple → green), the same order as the PDF."""
    cmap = pg.colormap.get("viridis")
    return [cmap.map(float(x), mode="qcolor") for x in np.linspace(0.05, 0.75, max(n, 1))]


def _white_plot(plot: pg.PlotItem, title: str) -> None:
    plot.setTitle(title, color="#222", size="10pt")
    for ax in ("left", "bottom"):
        a = plot.getAxis(ax)
        a.setPen(pg.mkPen("#444"))
        a.setTextPen(pg.mkPen("#222"))
    plot.showGrid(x=False, y=True, alpha=0.25)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()


def _alpha(c: QtGui.QColor, a: int) -> QtGui.QColor:
    out = QtGui.QColor(c)
    out.setAlpha(a)
    return out


class CompareView(QtWidgets.QMainWindow):
    """Comparison window. ``load_files(paths)`` or ``load_athlete(db, id)`` fill it in the
    background; ``set_data`` shows an already gathered :class:`ReportData`."""

    loaded = QtCore.Signal()
    failed = QtCore.Signal(str)

    def __init__(self, data: ReportData | None = None, width_band_cm: tuple[float, float] = WIDTH_BAND_CM,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        collect_on_gui_thread()
        self.setWindowTitle("gaitlab — comparison of visits")
        self.width_band_cm = width_band_cm
        self.data: ReportData | None = None
        self.message = ""
        self._task: Background | None = None
        self.emg_plots: dict[str, pg.PlotItem] = {}
        self.emg_curves: dict[str, list[pg.PlotDataItem]] = {}
        self.width_items: list[pg.ScatterPlotItem] = []
        self.strength_bars: list[pg.BarGraphItem] = []
        self.lsi_curve: pg.PlotDataItem | None = None
        self._build()
        if data is not None:
            self.set_data(data)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        self.header = QtWidgets.QLabel("no visits loaded")
        self.header.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        lay.addWidget(self.header)
        self.legend = QtWidgets.QLabel("")
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        lay.addWidget(self.legend)
        self.tabs = QtWidgets.QTabWidget()
        lay.addWidget(self.tabs, 1)
        # metrics table
        page = QtWidgets.QWidget()
        pl = QtWidgets.QVBoxLayout(page)
        self.table = QtWidgets.QTableWidget(0, 0)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        pl.addWidget(self.table, 1)
        keys = QtWidgets.QHBoxLayout()
        keys.addWidget(QtWidgets.QLabel("Verdict colours:"))
        for kind in P.KINDS[:-1]:
            k = QtWidgets.QLabel(P.KIND_TEXT[kind])
            k.setStyleSheet(f"background:{VERDICT_COLOUR[kind]}; color:#111; padding:2px 6px;")
            keys.addWidget(k)
        keys.addStretch(1)
        pl.addLayout(keys)
        self.notes = QtWidgets.QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        pl.addWidget(self.notes)
        self.tabs.addTab(page, "Metrics")
        # EMG ensembles
        self.emg_widget = pg.GraphicsLayoutWidget()
        self.emg_widget.setBackground("w")
        self.tabs.addTab(self.emg_widget, "EMG over the gait cycle")
        # step width, strength, LSI
        self.gait_widget = pg.GraphicsLayoutWidget()
        self.gait_widget.setBackground("w")
        self.tabs.addTab(self.gait_widget, "Step width and strength")
        self.setCentralWidget(central)
        self.status = QtWidgets.QLabel("")
        self.statusBar().addWidget(self.status, 1)
        self.resize(1400, 900)

    # ------------------------------------------------------------------ loading
    def show_message(self, text: str, error: bool = False) -> None:
        """One line in the status bar (red for an error); kept in ``self.message``."""
        self.message = text
        self.status.setStyleSheet("color:#b00000; font-weight:bold;" if error else "color:#222;")
        self.status.setText(text)

    def busy(self) -> bool:
        return self._task is not None and self._task.running()

    def _run(self, fn: Callable[[], ReportData], what: str) -> None:
        self.show_message(f"loading {what}…")
        self._task = Background(fn, "gaitlab-gui-compare")
        self._task.done.connect(self._loaded)
        self._task.failed.connect(self._failed)
        self._task.start()

    def load_files(self, paths: list[str | Path], by_date: bool = False) -> None:
        """Compare session files given in visit order (first = baseline), or put in order
        of their recording dates with ``by_date``."""
        from gaitlab.compare import order_by_date
        from gaitlab.report.data import gather

        files = [str(p) for p in paths]
        if len(files) < 2:
            self._failed("choose at least two session files (baseline and a later visit)")
            return
        self._run(lambda: gather(order_by_date(files) if by_date else files),
                  f"{len(files)} session files")

    def load_athlete(self, db: str | Path | None, athlete_id: str) -> None:
        """Compare every visit of an athlete in the registry."""
        from gaitlab.report.data import gather_athlete, registry_visits

        def work() -> ReportData:
            av = registry_visits(db, athlete_id)
            if len(av.paths) < 2:
                raise GaitlabError(f"athlete '{athlete_id}' has {len(av.paths)} visit with a session "
                                   "file; import a later visit to compare")
            return gather_athlete(av)

        self._run(work, f"athlete {athlete_id}")

    def _loaded(self, data: ReportData) -> None:
        self.set_data(data)
        errors, notes = P.visit_problems(data.visits)
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            self.show_message(errors[0] + more, error=True)
        else:
            self.show_message(f"{len(data.visits)} visits loaded: "
                              + ", ".join(Path(v.path).name for v in data.visits)
                              + ("; " + "; ".join(notes) if notes else ""))
        self.loaded.emit()

    def _failed(self, text: str) -> None:
        self.show_message(text, error=True)
        self.failed.emit(text)

    # ------------------------------------------------------------------ drawing
    def set_data(self, data: ReportData) -> None:
        self.data = data
        labels = data.comparison.labels
        self.colours = visit_colours(len(labels))
        a = data.athlete
        first, last = data.visits[0], data.visits[-1]
        self.header.setText(
            f"<b style='font-size:13pt'>{a.get('id', '?')}</b> — {a.get('name', '')}, involved side "
            f"<b>{a.get('involved_side') or '—'}</b> &nbsp;·&nbsp; {len(labels)} visits, baseline "
            f"{first.date or labels[0]} → now {last.date or labels[-1]}")
        self.legend.setText("Visits: " + " &nbsp; ".join(
            f"<span style='color:{c.name()}; font-size:14pt'>■</span> {lb}"
            for c, lb in zip(self.colours, labels, strict=True)))
        self._fill_table(data)
        self._draw_emg(data)
        self._draw_gait(data)

    def _fill_table(self, data: ReportData) -> None:
        c = data.comparison
        head = ["Metric", "Better", *c.labels, "Change", "MDC / threshold", "Verdict", "Trend"]
        self.table.clear()
        self.table.setColumnCount(len(head))
        self.table.setHorizontalHeaderLabels(head)
        self.table.setRowCount(len(c.rows))
        nv = len(c.labels)
        for j, v in enumerate(data.visits):
            self.table.horizontalHeaderItem(2 + j).setToolTip(v.path)
        for i, r in enumerate(c.rows):
            kind = P.verdict_kind(r["verdict"])
            tip = P.threshold_tip(r)
            cells = [f"{r['label']} [{r['unit']}]", P.direction_text(r),
                     *(P.fmt(x) for x in r["values"]), P.fmt(r.get("change"), sign=True),
                     P.threshold_text(r), r["verdict"], P.trend_text(r)]
            for j, text in enumerate(cells):
                it = QtWidgets.QTableWidgetItem(text)
                if 2 <= j < 2 + nv + 1:
                    it.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight
                                        | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if j >= 2 + nv + 1:
                    it.setToolTip(tip)
                if j == len(cells) - 1:
                    it.setToolTip(P.steps_text(r, c.labels) or tip)
                if j == 2 + nv + 2:
                    it.setBackground(QtGui.QColor(VERDICT_COLOUR[kind]))
                    it.setForeground(QtGui.QColor("#111"))
                    it.setData(QtCore.Qt.ItemDataRole.UserRole, kind)
                if j == 0:
                    it.setData(QtCore.Qt.ItemDataRole.UserRole, r.get("key", r["label"]))
                self.table.setItem(i, j, it)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        hdr.setStretchLastSection(True)
        bases = sorted({r["basis"] for r in c.rows if r["basis"]})
        warn = "".join(f"⚠ {w}\n" for w in c.warnings)
        self.notes.setText(
            warn + "A change counts only when it is larger than the metric's minimal detectable change "
            "(MDC95). Where no MDC for running is published, it is compared with the two sessions' "
            "own step-to-step noise, which shows it is not scatter within a session (not that it "
            "exceeds day-to-day variation). Sources (hover a threshold for its row):\n"
            + "\n".join(f"• {b}" for b in bases))

    def _draw_emg(self, data: ReportData) -> None:
        self.emg_widget.clear()
        self.emg_plots, self.emg_curves = {}, {}
        muscles = P.ensemble_grid(data.visits)
        if not muscles:
            self.emg_widget.addLabel("no EMG ensembles in these sessions", color="#222")
            return
        for i, m in enumerate(muscles):
            for j, side in enumerate(P.SIDES):
                name = f"{m}_{side}"
                p = self.emg_widget.addPlot(row=i, col=j)
                unit = ""
                curves = []
                for k, v in enumerate(data.visits):
                    e = v.ensembles.get(name)
                    if e is None:
                        continue
                    mean, sd = np.asarray(e["mean"], float), np.asarray(e["sd"], float)
                    x = P.cycle_axis(mean.size)
                    lo = pg.PlotDataItem(x, mean - sd, pen=pg.mkPen(None))
                    hi = pg.PlotDataItem(x, mean + sd, pen=pg.mkPen(None))
                    p.addItem(pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(_alpha(self.colours[k], 45))))
                    curve = p.plot(x, mean, pen=pg.mkPen(self.colours[k], width=2),
                                   name=f"{data.comparison.labels[k]} (n={e['n']})")
                    curves.append(curve)
                    unit = e.get("unit", "")
                _white_plot(p, P.muscle_title(name) + ("" if curves else " — no data"))
                p.setLabel("left", unit, color="#222")
                p.setXRange(0, 100, padding=0.01)
                if i == len(muscles) - 1:
                    p.setLabel("bottom", "% gait cycle (initial contact → next)", color="#222")
                self.emg_plots[name] = p
                self.emg_curves[name] = curves
        for row in range(len(muscles)):  # same amplitude scale for both sides of a muscle
            left, right = (self.emg_plots[f"{muscles[row]}_{s}"] for s in P.SIDES)
            right.setYLink(left)

    def _draw_gait(self, data: ReportData) -> None:
        w = self.gait_widget
        w.clear()
        labels = data.comparison.labels
        ticks = [[(i, lb) for i, lb in enumerate(labels)]]
        # step width per step, per visit
        sw = w.addPlot(row=0, col=0)
        _white_plot(sw, "Step width of every step (dots), mean (bar); below the red line (0 cm) = crossover")
        lo, hi = self.width_band_cm
        sw.addItem(pg.LinearRegionItem((lo, hi), orientation="horizontal", movable=False,
                                       brush=pg.mkBrush(60, 170, 60, 50), pen=pg.mkPen(None)))
        sw.addLine(y=0, pen=pg.mkPen("#c00000", width=1.5, style=QtCore.Qt.PenStyle.DashLine))
        self.width_items = []
        gait = P.gait_by_visit(data.visits)
        for i, (ws, g) in enumerate(zip(data.step_widths, gait, strict=True)):
            ws = np.asarray(ws, float)
            item = pg.ScatterPlotItem(i + P.strip_offsets(ws.size), ws, size=7,
                                      brush=pg.mkBrush(_alpha(self.colours[i], 170)), pen=pg.mkPen(None))
            sw.addItem(item)
            self.width_items.append(item)
            if g["mean"] is not None:
                sw.plot([i - 0.32, i + 0.32], [g["mean"]] * 2, pen=pg.mkPen("#111", width=3))
            xo = P.fmt(g["crossover_pct"], 0)
            t = pg.TextItem(f"mean {P.fmt(g['mean'])} cm\n{xo} % crossover", color="#111",
                            anchor=(0.5, 0))
            t.setPos(i, float(np.nanmax(ws)) + 1.5 if ws.size else hi)
            sw.addItem(t)
        sw.getAxis("bottom").setTicks(ticks)
        sw.setLabel("left", "step width (cm)", color="#222")
        sw.setXRange(-0.6, len(labels) - 0.4, padding=0)
        ymax = max([hi, *(float(np.nanmax(x)) for x in data.step_widths if np.size(x))]) + 5
        ymin = min([-2.0, *(float(np.nanmin(x)) for x in data.step_widths if np.size(x))]) - 1
        sw.setYRange(ymin, ymax, padding=0)
        band = pg.TextItem(f"target {lo:g}–{hi:g} cm", color="#2a7a2a", anchor=(0, 1))
        band.setPos(-0.55, hi)
        sw.addItem(band)

        # strength per side, bars per visit, trials as dots
        st = w.addPlot(row=0, col=1)
        _white_plot(st, "Hip abduction strength per side (bar: best, dots: trials)")
        strength = P.strength_by_visit(data.visits)
        n = len(strength)
        bw = 0.8 / max(n, 1)
        self.strength_bars = []
        for k, s in enumerate(strength):
            off = (k - (n - 1) / 2) * bw
            xs = [j + off for j, side in enumerate(P.SIDES) if s["peak"][side] is not None]
            hs = [s["peak"][side] for side in P.SIDES if s["peak"][side] is not None]
            bars = pg.BarGraphItem(x=xs, height=hs, width=bw * 0.9, brush=self.colours[k],
                                   pen=pg.mkPen(None))
            st.addItem(bars)
            self.strength_bars.append(bars)
            tx = [j + off for j, side in enumerate(P.SIDES) for _ in s["trials"][side]]
            ty = [t for side in P.SIDES for t in s["trials"][side]]
            st.addItem(pg.ScatterPlotItem(tx, ty, size=5, brush=pg.mkBrush("#111"), pen=pg.mkPen(None)))
        inv = data.athlete.get("involved_side") or ""
        st.getAxis("bottom").setTicks([[(j, ("Left" if sd == "L" else "Right")
                                         + (" (involved)" if sd == inv else ""))
                                        for j, sd in enumerate(P.SIDES)]])
        st.setLabel("left", "peak force (N)", color="#222")
        st.setXRange(-0.6, 1.6, padding=0)
        top = max([0.0, *(t for s in strength for side in P.SIDES for t in s["trials"][side]),
                   *(s["peak"][side] or 0.0 for s in strength for side in P.SIDES)])
        st.setYRange(0, top * 1.1 + 1, padding=0)
        # LSI across visits against the pass line
        ls = w.addPlot(row=0, col=2)
        _white_plot(ls, f"LSI, involved / uninvolved (pass ≥ {LSI_PASS:g} %)")
        ls.addItem(pg.LinearRegionItem((LSI_PASS, 110.0), orientation="horizontal", movable=False,
                                       brush=pg.mkBrush(60, 170, 60, 50), pen=pg.mkPen(None)))
        ls.addLine(y=LSI_PASS, pen=pg.mkPen("#2a7a2a", width=1.5, style=QtCore.Qt.PenStyle.DashLine))
        lsi = np.array([np.nan if s["lsi"] is None else s["lsi"] for s in strength])
        self.lsi_curve = ls.plot(np.arange(n, dtype=float), lsi, pen=pg.mkPen("#333", width=2),
                                 symbol="o", symbolSize=11, symbolPen=pg.mkPen(None),
                                 symbolBrush=[pg.mkBrush(c) for c in self.colours])
        for k, x in enumerate(lsi):
            if np.isfinite(x):
                t = pg.TextItem(f"{x:.0f} %", color="#111", anchor=(0.5, -0.4))
                t.setPos(k, float(x))
                ls.addItem(t)
        ls.getAxis("bottom").setTicks(ticks)
        ls.setLabel("left", "LSI (%)", color="#222")
        ls.setXRange(-0.5, n - 0.5, padding=0)
        fin = lsi[np.isfinite(lsi)]
        ls.setYRange(min(60.0, float(fin.min()) - 10 if fin.size else 60.0),
                     max(120.0, float(fin.max()) + 10 if fin.size else 120.0), padding=0)
        w.ci.layout.setColumnStretchFactor(0, 3)
        w.ci.layout.setColumnStretchFactor(1, 2)
        w.ci.layout.setColumnStretchFactor(2, 2)

    # ------------------------------------------------------------------ table access (tests)
    def row_of(self, key: str) -> int:
        """Table row of a metric key (e.g. "gait.step_width_cm"), -1 when absent."""
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).data(QtCore.Qt.ItemDataRole.UserRole) == key:
                return i
        return -1


def open_compare(paths: list[str | Path] | None = None, parent: QtWidgets.QWidget | None = None,
                 width_band_cm: tuple[float, float] = WIDTH_BAND_CM) -> CompareView | None:
    """Ask for session files (when not given) and open a comparison window on them."""
    if paths is None:
        files, _ = QtWidgets.QFileDialog.getOpenFileNames(
            parent, "Session files to compare (baseline first)", "", "gaitlab sessions (*.h5)")
        if not files:
            return None
        paths = files
    view = CompareView(width_band_cm=width_band_cm, parent=parent)
    view.setWindowFlag(QtCore.Qt.WindowType.Window, True)
    view.load_files(list(paths), by_date=True)
    view.show()
    return view
