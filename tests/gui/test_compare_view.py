"""The comparison view on the shipped demo visits: table against compare_visits, verdict
colours, one curve per visit in the plots, and bad files as one line in the status bar."""

from __future__ import annotations

import random
import shutil

import h5py
import numpy as np
import pytest
from PySide6 import QtCore

from gaitlab.compare import compare_visits, load_visit, metric_defs
from gaitlab.compare import present as P
from gaitlab.gui.compare_view import VERDICT_COLOUR, CompareView
from gaitlab.registry.importer import demo_folder

FILES = sorted(str(p) for p in demo_folder().glob("*.h5"))


def _load(qtbot, files: list[str], ok: bool = True) -> CompareView:
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    with qtbot.waitSignal(view.loaded if ok else view.failed, timeout=60000):
        view.load_files(files, by_date=True)
    return view


@pytest.fixture(scope="module")
def expected():
    visits = [load_visit(p) for p in FILES]
    return visits, compare_visits(visits, metric_defs())


def test_table_holds_every_metric_per_visit_with_its_verdict(qtbot, expected) -> None:
    visits, comp = expected
    shuffled = FILES[::-1]
    random.Random(3).shuffle(shuffled)
    view = _load(qtbot, shuffled)  # put back in date order: baseline first
    t = view.table
    head = [t.horizontalHeaderItem(j).text() for j in range(t.columnCount())]
    nv = len(visits)
    assert head[2:2 + nv] == [v.date for v in visits]
    assert t.rowCount() == len(comp.rows)
    kinds = set()
    for r in comp.rows:
        i = view.row_of(r["key"])
        assert i >= 0, r["key"]
        cells = [t.item(i, j).text() for j in range(t.columnCount())]
        for got, want in zip(cells[2:2 + nv], r["values"], strict=True):
            assert (got == "—") if want is None else float(got) == pytest.approx(want, abs=0.051)
        if r["change"] is not None:
            assert float(cells[2 + nv]) == pytest.approx(r["change"], abs=0.051)
        assert cells[1] == P.direction_text(r)
        verdict = t.item(i, 2 + nv + 2)
        assert verdict.text() == r["verdict"]
        kind = P.verdict_kind(r["verdict"])
        kinds.add(kind)
        assert verdict.background().color().name() == VERDICT_COLOUR[kind]
        if r["basis"]:
            assert r["basis"] in t.item(i, 2 + nv + 1).toolTip()  # MDC and its source
    # the demo athlete improves in strength and step width: green; unjudged rows: blue
    i = view.row_of("strength.R.peak_force_N")
    assert t.item(i, 2 + nv + 2).background().color().name() == VERDICT_COLOUR["improved"]
    assert "doi:10.1016/j.arrct.2020.100050" in t.item(i, 2 + nv + 1).toolTip()
    assert {"improved", "within", "no_mdc"} <= kinds
    assert len({VERDICT_COLOUR[k] for k in P.KINDS}) == len(P.KINDS)  # distinguishable
    assert "Byrne, Lodge & Wallace 2020" in view.notes.text()
    assert view.message.startswith(f"{nv} visits loaded")


def test_plots_hold_one_curve_per_visit(qtbot, expected) -> None:
    visits, _ = expected
    view = _load(qtbot, FILES)
    assert set(view.emg_curves) == {f"{m}_{s}" for m in ("GMAX", "GMED", "TFL") for s in "LR"}
    assert view.emg_plots["GMED_R"].titleLabel.text == "Gluteus medius, right"
    assert view.emg_plots["TFL_R"].getViewBox().linkedView(1) is view.emg_plots["TFL_L"].getViewBox()
    for name, curves in view.emg_curves.items():
        assert len(curves) == len(visits)
        for c, v in zip(curves, visits, strict=True):
            x, y = c.getData()
            assert x[0] == 0 and x[-1] == 100
            assert np.allclose(y, v.ensembles[name]["mean"])  # drawn, not recomputed
    assert len(view.width_items) == len(visits) == len(view.data.step_widths)
    for item, v, w in zip(view.width_items, visits, view.data.step_widths, strict=True):
        _x, y = item.getData()
        assert y.size == w.size > 10
        sw = v.metrics["gait"]["step_width_cm"]
        # the strip is the per-step widths behind the visit's stored mean step width
        assert np.mean(y) == pytest.approx(sw["mean"], abs=0.25 * sw["sd"])
    assert len(view.strength_bars) == len(visits)
    for bars, v in zip(view.strength_bars, visits, strict=True):
        hip = v.metrics["strength"]["hip_abduction"]
        assert list(bars.opts["height"]) == [hip["L"]["peak_force_N"], hip["R"]["peak_force_N"]]
    _x, lsi = view.lsi_curve.getData()
    assert list(lsi) == [v.metrics["strength"]["hip_abduction"]["lsi_pct"] for v in visits]


def test_bad_files_are_one_line_in_the_status_bar(qtbot, tmp_path) -> None:
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not an HDF5 file\n" * 50)
    view = _load(qtbot, [FILES[0], str(junk)], ok=False)
    assert "junk.h5" in view.message and "\n" not in view.message
    assert "Traceback" not in view.message and "#b00000" in view.status.styleSheet()
    # a session without /analysis and nothing to analyse: refused in one line (issue #11:
    # an analysis with no streams is an error, not an all-empty table)
    empty = tmp_path / "empty.h5"
    shutil.copy(FILES[0], empty)
    with h5py.File(empty, "r+") as h:
        del h["analysis"]
        for k in list(h["streams"]):
            del h["streams"][k]
    view = _load(qtbot, [str(empty), FILES[1]], ok=False)
    assert "empty.h5" in view.message and "nothing to analyse" in view.message
    assert "\n" not in view.message and "#b00000" in view.status.styleSheet()
    # fewer than two files
    view = CompareView()
    qtbot.addWidget(view)
    view.load_files([FILES[0]])
    assert "at least two" in view.message
    assert view.status.text() == view.message


def test_console_menu_opens_the_views(qtbot, tmp_path, monkeypatch) -> None:
    from gaitlab.gui.console import SessionConsole
    from gaitlab.live import LabMonitor

    monkeypatch.setenv("GAITLAB_HOME", str(tmp_path))
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings"))
    win = SessionConsole(LabMonitor())  # not started: no streams needed for the menu
    qtbot.addWidget(win)
    texts = [a.text() for m in win.menuBar().actions() for a in m.menu().actions()]
    assert any("Athletes" in t for t in texts) and any("Compare" in t for t in texts)
    assert win.compare_recording([FILES[0]]) is None  # nothing recorded yet
    assert "record and stop" in win.statusBar().currentMessage()
    reg = win.open_athletes(tmp_path / "r.sqlite")
    assert reg.athletes.rowCount() == 0
    view = win.open_compare(FILES)
    qtbot.waitUntil(lambda: view.data is not None, timeout=60000)
    assert view.table.rowCount() > 0 and view.width_band_cm == (win.targets.width_lo_cm,
                                                                win.targets.width_hi_cm)
    win.close()


# Run in a child process: the view's event loop is the application's own (app.exec() and
# quit), which must not run on the test process's shared QApplication.
CLI_CHILD = """
import json, sys
from PySide6 import QtCore, QtWidgets
from click.testing import CliRunner
from gaitlab.gui.cli import gui
from gaitlab.gui.compare_view import CompareView
from gaitlab.gui.registry_view import RegistryView

app = QtWidgets.QApplication([])
seen = {}

def poll():
    for w in QtWidgets.QApplication.topLevelWidgets():
        if isinstance(w, CompareView) and w.data is not None and w.isVisible():
            seen.update(labels=w.data.comparison.labels, rows=w.table.rowCount())
        elif isinstance(w, RegistryView) and w.isVisible():
            seen.update(db=str(w.db), athletes=w.athletes.rowCount())
        else:
            continue
        QtWidgets.QApplication.quit()
        return
    QtCore.QTimer.singleShot(100, poll)

QtCore.QTimer.singleShot(100, poll)
res = CliRunner().invoke(gui, sys.argv[1:])
print(json.dumps(seen | {"code": res.exit_code, "output": res.output}))
"""


def _gui(*args: str) -> dict:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", CLI_CHILD, *args], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_gui_cli_opens_the_comparison_and_the_registry(tmp_path) -> None:
    seen = _gui("--compare", *FILES[::-1])
    assert seen["code"] == 0 and seen["rows"] > 0
    assert seen["labels"] == sorted(seen["labels"])  # baseline first, whatever the order given
    seen = _gui("--athletes", "--db", str(tmp_path / "r.sqlite"))
    assert seen["code"] == 0 and seen["db"] == str(tmp_path / "r.sqlite") and seen["athletes"] == 0
    from click.testing import CliRunner

    from gaitlab.gui.cli import gui

    for bad in (["--compare", FILES[0]], [FILES[0]], ["--compare", "--athletes", *FILES]):
        res = CliRunner().invoke(gui, bad)  # refused before any window opens
        assert res.exit_code == 2 and "Usage" in res.output
