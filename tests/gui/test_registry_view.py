"""The athlete registry view on a temporary SQLite registry: import the demo files, see the
athlete and visits, log a visit, open the comparison, make the PDF; bad files in one line."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from gaitlab.gui.registry_view import AddAthleteDialog, AddVisitDialog, EnrolDialog, RegistryView
from gaitlab.registry import open_registry
from gaitlab.registry.importer import demo_folder, demo_visits

FILES = sorted(str(p) for p in demo_folder().glob("*.h5"))


@pytest.fixture
def view(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("GAITLAB_HOME", str(tmp_path / "home"))  # never the user's registry
    v = RegistryView(tmp_path / "registry.sqlite")
    qtbot.addWidget(v)
    v.resize(1300, 700)
    v.show()
    return v


def _cells(table, row: int) -> list[str]:
    return [table.item(row, j).text() for j in range(table.columnCount())]


def test_import_files_then_visits_comparison_and_report(view, qtbot, tmp_path) -> None:
    assert view.athletes.rowCount() == 0 and "Import" in view.detail.text()
    with qtbot.waitSignal(view.changed, timeout=30000):
        view.import_files(FILES[::-1])  # any order: imported baseline first
    assert view.athletes.rowCount() == 1
    with open_registry(view.db) as r:
        (a,) = r.athletes()
        visits = r.visits(a.id)
    assert _cells(view.athletes, 0)[:3] == [a.id, a.name, a.involved_side]
    assert view.selected_athlete() == a.id == "demo-001"
    assert view.visits.rowCount() == len(visits) == len(FILES)
    assert [_cells(view.visits, i)[:2] for i in range(3)] == [[v.date, v.kind] for v in visits]
    assert [v.kind for v in visits] == ["baseline", "reassessment", "reassessment"]
    for i, f in enumerate(FILES):
        files = view.visits.item(i, len(_cells(view.visits, i)) - 1)
        assert files.text() == f.rsplit("/", 1)[1] and files.toolTip() == f
    # importing the same file again is refused in one line
    with qtbot.waitSignal(view.failed, timeout=30000):
        view.import_files([FILES[0]])
    assert "already imported" in view.message and "\n" not in view.message
    # log a visit with pain and run volume
    dlg = AddVisitDialog(view.db, a.id, view)
    qtbot.addWidget(dlg)
    dlg.kind.setCurrentText("discharge")
    dlg.week.setValue(12)
    dlg.pain.setValue(1.0)
    dlg.volume.setValue(20.0)
    dlg.save()
    assert dlg.saved is not None and dlg.saved.pain_nrs == 1.0 and dlg.saved.week == 12
    view._after_visit(dlg.saved)
    row = _cells(view.visits, view.visits.rowCount() - 1)
    assert row[1:5] == ["discharge", "12", "1", "20"] and row[-1] == "no file"
    # the comparison of this athlete's visits with a session file
    cmp_view = view.open_comparison()
    qtbot.addWidget(cmp_view)
    with qtbot.waitSignal(cmp_view.loaded, timeout=60000):
        pass
    assert len(cmp_view.data.visits) == len(FILES)
    assert cmp_view.table.rowCount() == len(cmp_view.data.comparison.rows) > 0
    # the PDF, made in the background
    with qtbot.waitSignal(view.failed, timeout=120000):  # a folder that does not exist: one line
        view.make_report(tmp_path / "no-such-folder" / "demo.pdf")
    assert "does not exist" in view.message and "\n" not in view.message
    out = tmp_path / "demo.pdf"
    with qtbot.waitSignal(view.report_done, timeout=120000) as sig:
        view.make_report(out)
    assert sig.args == [str(out)] and out.read_bytes()[:5] == b"%PDF-"
    assert out.stat().st_size > 20000 and str(out) in view.message


def test_demo_athlete_shows_program_phase_pain_and_volume(view, qtbot) -> None:
    with qtbot.waitSignal(view.changed, timeout=30000):
        view.import_demo()
    head, logged = demo_visits()
    assert view.selected_athlete() == head["athlete"]
    assert f"program <b>{head['program']}</b> since {head['start_date']}" in view.detail.text()
    assert f"week {logged[-1]['week']} of" in view.detail.text() and "phase" in view.detail.text()
    for i, lg in enumerate(logged):
        c = _cells(view.visits, i)
        assert c[:5] == [lg["date"], lg["kind"], str(lg["week"]), f"{lg['pain_nrs']:g}",
                         f"{lg['run_volume_km']:g}"]
    cmp_view = view.open_comparison()
    qtbot.addWidget(cmp_view)
    with qtbot.waitSignal(cmp_view.loaded, timeout=60000):
        pass
    assert [lb.endswith(f"(wk {lg['week']})") for lb, lg in
            zip(cmp_view.data.comparison.labels, logged, strict=True)] == [True] * len(logged)
    assert cmp_view.lsi_curve is not None


def test_bad_input_is_one_line(view, qtbot, tmp_path) -> None:
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x00garbage" * 100)
    with qtbot.waitSignal(view.failed, timeout=30000):
        view.import_files([str(junk)])
    assert view.message.startswith("imported 0;") and "junk.h5" in view.message
    assert "\n" not in view.message and "Traceback" not in view.message
    assert view.athletes.rowCount() == 0
    view.athletes.clearSelection()
    assert view.open_comparison() is None and view.message == "select an athlete first"
    dlg = AddVisitDialog(view.db, "ghost", view)
    qtbot.addWidget(dlg)
    dlg.save()
    assert dlg.saved is None and "no athlete 'ghost'" in dlg.error.text()
    assert "\n" not in dlg.error.text()
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is no database" * 100)
    bad = RegistryView(broken)
    qtbot.addWidget(bad)
    assert "broken.sqlite" in bad.message and "\n" not in bad.message


def test_add_athlete_and_enrol_in_a_program(view, qtbot, tmp_path) -> None:
    from gaitlab.protocols.program import builtin_program_path

    dlg = AddAthleteDialog(view.db, view)
    qtbot.addWidget(dlg)
    dlg.save()  # no id: refused in one line, nothing written
    assert dlg.saved is None and "one word" in dlg.error.text() and "\n" not in dlg.error.text()
    dlg.athlete_id.setText("R-017")
    dlg.name.setText("Rita Runner")
    dlg.sex.setCurrentText("F")
    dlg.side.setCurrentText("R")
    dlg.mass.setValue(61.0)
    dlg.save()
    assert dlg.saved is not None and dlg.saved.id == "R-017"
    view._after_athlete(dlg.saved)
    assert view.selected_athlete() == "R-017" and view.athletes.rowCount() == 1
    assert _cells(view.athletes, 0) == ["R-017", "Rita Runner", "R", "not enrolled", "0"]
    again = AddAthleteDialog(view.db, view)
    qtbot.addWidget(again)
    again.athlete_id.setText("R-017")
    again.save()
    assert again.saved is None and "already exists" in again.error.text()
    with open_registry(view.db) as r:
        a = r.athlete("R-017")
        assert (a.sex, a.involved_side, a.body_mass_kg, a.height_m) == ("F", "R", 61.0, None)
    # enrol in a clinic's own program file
    clinic = tmp_path / "clinic.toml"
    clinic.write_text(builtin_program_path("itbs").read_text(encoding="utf-8")
                      .replace('name = "itbs"', 'name = "clinic-x"'), encoding="utf-8")
    enrol = EnrolDialog(view.db, "R-017", view)
    qtbot.addWidget(enrol)
    enrol.program.setEditText(str(tmp_path / "missing.toml"))
    enrol.save()
    assert enrol.saved is None and "no such rehab program" in enrol.error.text()
    assert "\n" not in enrol.error.text()
    enrol.program.setEditText(str(clinic))
    enrol.start.setDate(QtCore.QDate(2026, 1, 6))
    enrol.save()
    assert enrol.saved == (str(clinic), "2026-01-06")
    view._after_enrol("R-017", enrol.saved)
    assert _cells(view.athletes, 0)[3] == f"{clinic} since 2026-01-06"
    assert "since 2026-01-06" in view.detail.text()
    # a visit logged later shows its program week from the start date (day 27: week 4)
    with open_registry(view.db) as r:
        r.add_visit("R-017", "baseline", "2026-02-02", week=5, pain_nrs=2)
        assert r.enrolment("R-017") == (str(clinic), "2026-01-06")
    view.refresh()
    assert _cells(view.visits, 0)[2] == "4 (logged 5)"
    assert "clinic-x, week 4 of 12" in view.detail.text()
    view.athletes.clearSelection()
    assert view.enrol() is None and view.message == "select an athlete first"
