"""The SQLite athlete registry: core API, import of real session files, the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from gaitlab.registry import open_registry
from gaitlab.registry.db import RegistryError
from gaitlab.registry.importer import demo_folder, import_demo, import_session

DEMO = demo_folder()


def _cli(*args: str, env_home: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gaitlab", *args], capture_output=True, text=True,
                          env={"GAITLAB_HOME": str(env_home), "PATH": "/usr/bin:/bin"}, timeout=120,
                          cwd=cwd)


def test_athletes_visits_and_validation(tmp_path) -> None:
    with open_registry(tmp_path / "r.sqlite") as r:
        r.add_athlete("a-1", name="Runner", sex="F", body_mass_kg=60.0, involved_side="L")
        with pytest.raises(RegistryError, match="already exists"):
            r.add_athlete("a-1")
        with pytest.raises(RegistryError, match="one word"):
            r.add_athlete("two words")
        v = r.add_visit("a-1", "baseline", "2026-01-05", week=0, pain_nrs=4, run_volume_km=20)
        for bad in ({"pain_nrs": 11}, {"run_volume_km": -1}, {"kind": "party"},
                    {"date": "05/01/2026"}):
            kw = {"kind": "reassessment", "date": "2026-02-01"} | bad
            with pytest.raises(RegistryError) as ei:
                r.add_visit("a-1", **kw)
            assert "\n" not in str(ei.value)
        with pytest.raises(RegistryError, match="no athlete 'ghost'"):
            r.add_visit("ghost", "baseline", "2026-01-05")
        r.enrol("a-1", "itbs", "2026-01-05")
    with open_registry(tmp_path / "r.sqlite") as r:  # persisted
        assert [x.id for x in r.athletes()] == ["a-1"]
        assert r.visits("a-1") == [v] and r.enrolment("a-1") == ("itbs", "2026-01-05")


def test_import_reads_athlete_and_root_attrs_and_hashes(tmp_path) -> None:
    f = tmp_path / "s.h5"
    shutil.copy(DEMO / "visit-1-baseline.h5", f)
    with h5py.File(f, "r") as h:
        aid = h["athlete"].attrs["id"]
        created = h.attrs["created_utc"][:10]
        mass = float(h["athlete"].attrs["body_mass_kg"])
    with open_registry(tmp_path / "r.sqlite") as r:
        a, v, s = import_session(r, f, pain_nrs=5)
        assert (a.id, a.body_mass_kg, v.date, v.kind) == (aid, mass, created, "baseline")
        with pytest.raises(RegistryError, match="already imported"):
            import_session(r, f)
        assert r.verify(s) == "ok"
        with h5py.File(f, "r+") as h:
            h.attrs["note"] = "edited"
        assert r.verify(s) == "changed"
        f.unlink()
        assert r.verify(s) == "missing"


def test_import_rejects_non_session_file(tmp_path) -> None:
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with open_registry(tmp_path / "r.sqlite") as r, pytest.raises(Exception) as ei:
        import_session(r, junk)
    assert "not an HDF5 file" in str(ei.value)


def test_demo_import_gives_three_visits(tmp_path) -> None:
    with open_registry(tmp_path / "r.sqlite") as r:
        out = import_demo(r)
        kinds = [v.kind for v, _ in out]
        assert kinds == ["baseline", "reassessment", "reassessment"]
        assert [v.week for v, _ in out] == sorted(v.week for v, _ in out)
        assert r.enrolment("demo-001") is not None
        with pytest.raises(RegistryError, match="already"):
            import_demo(r)


def test_cli_end_to_end_and_one_line_errors(tmp_path) -> None:
    home = tmp_path / "home"
    res = _cli("athletes", "add", "x-9", "--name", "Xavier", "--side", "R", env_home=home)
    assert res.returncode == 0, res.stderr
    assert (home / "registry.sqlite").is_file()  # $GAITLAB_HOME is the default location
    res = _cli("athletes", "visit", "add", "x-9", "--date", "2026-01-02", "--pain", "3",
               "--volume", "10", env_home=home)
    assert res.returncode == 0 and "baseline" in res.stdout
    res = _cli("athletes", "import", "--demo", env_home=home)
    assert res.returncode == 0 and len(res.stdout.strip().splitlines()) == 3
    shown = _cli("athletes", "show", "demo-001", env_home=home)
    assert shown.stdout.count("[ok]") == 3 and "program: itbs" in shown.stdout
    listed = _cli("athletes", "list", env_home=home).stdout
    assert "x-9" in listed and "demo-001" in listed
    garbage = tmp_path / "bad.sqlite"
    garbage.write_text("this is no database " * 50)
    for args in (("athletes", "--db", str(garbage), "list"),
                 ("athletes", "visit", "add", "x-9", "--date", "2026-13-40"),
                 ("athletes", "show", "nobody")):
        bad = _cli(*args, env_home=home)
        assert bad.returncode != 0
        assert "Traceback" not in bad.stderr and bad.stderr.strip().count("\n") == 0, bad.stderr


def test_enrol_stores_the_clinic_program_file_as_an_absolute_path(tmp_path) -> None:
    from gaitlab.protocols.program import builtin_program_path

    home, clinic = tmp_path / "home", tmp_path / "clinic"
    clinic.mkdir()
    text = builtin_program_path("itbs").read_text(encoding="utf-8")
    (clinic / "clinic.toml").write_text(text.replace('name = "itbs"', 'name = "clinic-x"'),
                                        encoding="utf-8")
    f = tmp_path / "s.h5"
    shutil.copy(DEMO / "visit-3-week8.h5", f)
    assert _cli("athletes", "import", str(f), "--pain", "0", env_home=home).returncode == 0
    res = _cli("athletes", "enrol", "demo-001", "--program", "clinic.toml", "--start", "2026-01-06",
               env_home=home, cwd=clinic)  # a relative path, from the clinic's folder
    assert res.returncode == 0, res.stderr
    with open_registry(home / "registry.sqlite") as r:
        assert r.enrolment("demo-001") == (str(clinic / "clinic.toml"), "2026-01-06")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rep = _cli("report", "demo-001", "--pdf", str(elsewhere / "r.pdf"), env_home=home, cwd=elsewhere)
    assert rep.returncode == 0, rep.stderr  # the enrolment finds its program from any folder
    (clinic / "clinic.toml").rename(clinic / "moved.toml")  # the file moves: one line, what to do
    rep = _cli("report", "demo-001", "--pdf", str(elsewhere / "r2.pdf"), env_home=home, cwd=elsewhere)
    assert rep.returncode != 0 and rep.stderr.strip().count("\n") == 0, rep.stderr
    assert "no such rehab program" in rep.stderr and "re-enrol" in rep.stderr
    builtin = _cli("athletes", "enrol", "demo-001", "--program", "itbs", "--start", "2026-01-07",
                   env_home=home)
    assert builtin.returncode == 0
    with open_registry(home / "registry.sqlite") as r:
        assert r.enrolment("demo-001") == ("itbs", "2026-01-07")  # a built-in stays a name


def test_analysing_an_imported_file_does_not_flag_it_changed(tmp_path) -> None:
    home = tmp_path / "home"
    f = tmp_path / "plain.h5"
    shutil.copy(DEMO / "visit-1-baseline.h5", f)
    with h5py.File(f, "r+") as h:
        del h["analysis"]  # as recorded: no analysis yet
    assert _cli("athletes", "import", str(f), env_home=home).returncode == 0
    before = f.read_bytes()
    res = _cli("compare", str(f), str(DEMO / "visit-3-week8.h5"), env_home=home)
    assert res.returncode == 0, res.stderr
    with h5py.File(f, "r") as h:
        assert "metrics_json" in h["analysis"].attrs  # compare analysed it and stored /analysis
    assert f.read_bytes() != before  # the file's bytes did change ...
    shown = _cli("athletes", "show", "demo-001", env_home=home).stdout
    assert "[ok]" in shown and "[changed]" not in shown  # ... but not the recording
    with h5py.File(f, "r+") as h:  # a change to the recorded signals is still caught
        emg = next(d for n, d in h["streams"].items() if "EMG" in n)["data"]
        emg[100, 0] = emg[100, 0] + 1.0
    assert "[changed]" in _cli("athletes", "show", "demo-001", env_home=home).stdout
    with open_registry(home / "registry.sqlite") as r, pytest.raises(RegistryError, match="already"):
        import_session(r, DEMO / "visit-1-baseline.h5")  # the same recording, analysed or not


def test_schema_1_registry_is_upgraded_and_keeps_its_files_ok(tmp_path) -> None:
    import sqlite3

    from gaitlab.registry.db import file_sha256

    db, f = tmp_path / "old.sqlite", tmp_path / "s.h5"
    shutil.copy(DEMO / "visit-2-week4.h5", f)
    with open_registry(db) as r:
        r.add_athlete("a-1")
        v = r.add_visit("a-1", "baseline", "2026-01-05")
    con = sqlite3.connect(db)  # make it a schema-1 registry with a row as schema 1 wrote it
    con.executescript("DROP INDEX sessions_by_recording; ALTER TABLE sessions DROP COLUMN data_sha256;"
                      "PRAGMA user_version = 1;")
    con.execute("INSERT INTO sessions (visit_id, path, sha256, size_bytes, imported_utc) "
                "VALUES (?,?,?,?,?)", (v.id, str(f), file_sha256(f), f.stat().st_size, "2026-01-05"))
    con.commit()
    con.close()
    with open_registry(db) as r:
        (s,) = r.sessions(v.id)
        assert s.data_sha256 is None and r.verify(s) == "ok"  # by the whole-file hash, once
    with open_registry(db) as r:
        (s,) = r.sessions(v.id)
        assert s.data_sha256 is not None  # filled in: from now on analysis does not count
        assert r.con.execute("PRAGMA user_version").fetchone()[0] == 2
        with h5py.File(f, "r+") as h:
            del h["analysis"]
        assert r.verify(s) == "ok"


def test_db_option_never_turns_another_file_into_a_registry(tmp_path) -> None:
    import sqlite3

    small = tmp_path / "notes.txt"
    small.write_bytes(b"hello\n")  # small enough that SQLite would take it for an empty database
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = {f: f.read_bytes() for f in (small, other)}
    for f, expect in ((small, "not an SQLite database"), (other, "of another program")):
        for args in (("athletes", "--db", str(f), "list"), ("report", "x", "--db", str(f), "--pdf",
                                                            str(tmp_path / "r.pdf"))):
            bad = _cli(*args, env_home=tmp_path / "home")
            assert bad.returncode != 0 and expect in bad.stderr, bad.stderr
            assert "Traceback" not in bad.stderr and bad.stderr.strip().count("\n") == 0
        assert f.read_bytes() == before[f]  # untouched
    empty = tmp_path / "new.sqlite"
    empty.touch()  # an empty file is fine: it becomes a new registry
    assert _cli("athletes", "--db", str(empty), "list", env_home=tmp_path / "home").returncode == 0
    assert empty.read_bytes().startswith(b"SQLite format 3\x00")


def test_show_prints_every_readiness_input_and_edit_delete_visits(tmp_path) -> None:
    home = tmp_path / "home"
    assert _cli("athletes", "import", "--demo", env_home=home).returncode == 0
    res = _cli("athletes", "visit", "add", "demo-001", "--date", "2026-03-10", "--pain", "6",
               "--pain-free-days", "0", "--phase3-painful", env_home=home)
    assert res.returncode == 0, res.stderr
    shown = _cli("athletes", "show", "demo-001", env_home=home).stdout.splitlines()
    late = next(x for x in shown if "2026-03-10" in x)
    assert late.split(": ", 1)[1] == ("2026-03-10 reassessment, program week 10; pain 6/10; run volume "
                                      "not logged; pain-free days 0; phase-3 exercises pain-free: no")
    wk8 = next(x for x in shown if "2026-03-02" in x)
    assert "pain-free days 9" in wk8 and "phase-3 exercises pain-free: yes" in wk8
    assert "-/10" not in "\n".join(shown) and " - km" not in "\n".join(shown)
    assert shown[-1].startswith("return to running (at 2026-03-10): NOT READY")
    assert "6/10" in shown[-1] and "only 0 days" in shown[-1]
    vid = late.split(":")[0].split()[-1]
    res = _cli("athletes", "visit", "edit", vid, "--pain", "0", "--pain-free-days", "7",
               "--phase3-pain-free", "--clear", "volume", env_home=home)
    assert res.returncode == 0 and "pain 0/10" in res.stdout and "pain-free days 7" in res.stdout
    assert _cli("athletes", "show", "demo-001", env_home=home).stdout.splitlines()[-1] == (
        "return to running (at 2026-03-10): READY")
    for bad in (("edit", vid, "--pain", "11"), ("edit", vid), ("edit", "999", "--pain", "1"),
                ("delete", "999", "--yes")):
        r = _cli("athletes", "visit", *bad, env_home=home)
        assert r.returncode != 0 and "Traceback" not in r.stderr
    res = _cli("athletes", "visit", "delete", vid, "--yes", env_home=home)
    assert res.returncode == 0 and "0 session-file entries" in res.stdout
    res = _cli("athletes", "visit", "delete", "3", "--yes", env_home=home)  # the week-8 visit
    assert "1 session-file entry" in res.stdout and (DEMO / "visit-3-week8.h5").is_file()
    shown = _cli("athletes", "show", "demo-001", env_home=home).stdout
    assert "2026-03-10" not in shown and "visit-3-week8.h5" not in shown
