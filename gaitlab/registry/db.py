"""The registry database (stdlib sqlite3, one file, no server).

Default location: ``$GAITLAB_HOME/registry.sqlite`` if GAITLAB_HOME is set, else
``$XDG_DATA_HOME/gaitlab/registry.sqlite`` (``~/.local/share/gaitlab/registry.sqlite``).
Every error bad input can cause is a one-line :class:`RegistryError`.

Schema 2 adds ``sessions.data_sha256``, the hash of the recording without ``/analysis``
(:func:`gaitlab.registry.hashing.recording_sha256`), which is what ``verify`` compares; a
schema-1 registry is upgraded in place when opened, and each old row gets its recording
hash the first time its file is verified unchanged by the whole-file hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gaitlab.athlete import gaitlab_home
from gaitlab.errors import GaitlabError

VISIT_KINDS = ("baseline", "reassessment", "discharge")
SIDES = ("L", "R", "")
SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS athletes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    body_mass_kg REAL, height_m REAL, leg_length_m REAL, lever_arm_m REAL,
    involved_side TEXT NOT NULL DEFAULT '' CHECK (involved_side IN ('L', 'R', '')),
    created_utc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS enrolments (
    id INTEGER PRIMARY KEY,
    athlete_id TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
    program TEXT NOT NULL,
    start_date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS visits (
    id INTEGER PRIMARY KEY,
    athlete_id TEXT NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('baseline', 'reassessment', 'discharge')),
    date TEXT NOT NULL,
    week INTEGER,
    pain_nrs REAL CHECK (pain_nrs IS NULL OR (pain_nrs >= 0 AND pain_nrs <= 10)),
    run_volume_km REAL CHECK (run_volume_km IS NULL OR run_volume_km >= 0),
    pain_free_days INTEGER CHECK (pain_free_days IS NULL OR pain_free_days >= 0),
    phase3_pain_free INTEGER,
    notes TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    size_bytes INTEGER NOT NULL,
    imported_utc TEXT NOT NULL,
    data_sha256 TEXT
);
CREATE INDEX IF NOT EXISTS visits_by_athlete ON visits(athlete_id, date);
"""
# after the schema-1 → 2 upgrade has added the column
_INDEXES = "CREATE UNIQUE INDEX IF NOT EXISTS sessions_by_recording ON sessions(data_sha256);"


class RegistryError(GaitlabError):
    """The registry database or a value given to it is invalid."""


@dataclass(frozen=True)
class AthleteRow:
    id: str
    name: str
    sex: str
    body_mass_kg: float | None
    height_m: float | None
    leg_length_m: float | None
    lever_arm_m: float | None
    involved_side: str
    created_utc: str


@dataclass(frozen=True)
class VisitRow:
    id: int
    athlete_id: str
    kind: str
    date: str
    week: int | None
    pain_nrs: float | None
    run_volume_km: float | None
    pain_free_days: int | None
    phase3_pain_free: bool | None
    notes: str


@dataclass(frozen=True)
class SessionRow:
    id: int
    visit_id: int
    path: str
    sha256: str  # the whole file when imported
    size_bytes: int
    imported_utc: str
    data_sha256: str | None = None  # the recording (all but /analysis); None: schema-1 row


def default_db_path() -> Path:
    return gaitlab_home() / "registry.sqlite"


def file_sha256(path: str | Path, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check_date(s: str) -> str:
    try:
        return dt.date.fromisoformat(str(s)[:10]).isoformat()
    except ValueError:
        raise RegistryError(f"date '{s}' is not YYYY-MM-DD") from None


class Registry:
    """An open registry. Use as a context manager; writes commit on success."""

    def __init__(self, path: Path, con: sqlite3.Connection):
        self.path = path
        self.con = con

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.con.commit()
        self.close()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self.con.execute(sql, args)
        except sqlite3.IntegrityError as exc:
            raise RegistryError(f"{self.path}: rejected ({exc})") from None
        except sqlite3.DatabaseError as exc:
            raise RegistryError(f"{self.path}: database error ({exc}); is it a gaitlab "
                                "registry?") from None

    # -- athletes --
    def add_athlete(self, id: str, name: str = "", sex: str = "", body_mass_kg: float | None = None,
                    height_m: float | None = None, leg_length_m: float | None = None,
                    lever_arm_m: float | None = None, involved_side: str = "",
                    exist_ok: bool = False) -> AthleteRow:
        id = str(id).strip()
        if not id or any(c.isspace() for c in id):
            raise RegistryError(f"athlete id '{id}' must be one word, e.g. demo-001")
        if involved_side not in SIDES:
            raise RegistryError("involved side must be L, R or empty")
        if sex not in ("F", "M", ""):
            raise RegistryError("sex must be F, M or empty")
        for key, v, lo, hi in (("body mass", body_mass_kg, 20, 250), ("height", height_m, 1.0, 2.3),
                               ("leg length", leg_length_m, 0.5, 1.3),
                               ("lever arm", lever_arm_m, 0.1, 1.0)):
            if v is not None and not lo <= v <= hi:
                raise RegistryError(f"{key} {v} is outside {lo}–{hi}")
        old = self.athlete(id, missing_ok=True)
        if old is not None:
            if exist_ok:
                return old
            raise RegistryError(f"athlete '{id}' already exists; see 'gaitlab athletes show {id}'")
        self._exec("INSERT INTO athletes VALUES (?,?,?,?,?,?,?,?,?)",
                   (id, name, sex, body_mass_kg, height_m, leg_length_m, lever_arm_m,
                    involved_side, _now()))
        row = self.athlete(id)
        assert row is not None
        return row

    def athlete(self, id: str, missing_ok: bool = False) -> AthleteRow | None:
        r = self._exec("SELECT * FROM athletes WHERE id = ?", (id,)).fetchone()
        if r is None:
            if missing_ok:
                return None
            raise RegistryError(f"no athlete '{id}' in {self.path}; add it with "
                                "'gaitlab athletes add' or import a session file")
        return AthleteRow(*r)

    def athletes(self) -> list[AthleteRow]:
        return [AthleteRow(*r) for r in self._exec("SELECT * FROM athletes ORDER BY id")]

    # -- enrolment --
    def enrol(self, athlete_id: str, program: str, start_date: str) -> int:
        self.athlete(athlete_id)
        cur = self._exec("INSERT INTO enrolments (athlete_id, program, start_date) VALUES (?,?,?)",
                         (athlete_id, program, check_date(start_date)))
        return int(cur.lastrowid or 0)

    def enrolment(self, athlete_id: str) -> tuple[str, str] | None:
        """(program, start_date) of the latest enrolment, or None."""
        r = self._exec("SELECT program, start_date FROM enrolments WHERE athlete_id = ? "
                       "ORDER BY start_date DESC, id DESC LIMIT 1", (athlete_id,)).fetchone()
        return None if r is None else (r[0], r[1])

    # -- visits --
    VISIT_FIELDS = ("kind", "date", "week", "pain_nrs", "run_volume_km", "pain_free_days",
                    "phase3_pain_free", "notes")

    @staticmethod
    def _check_visit(kind: str, date: str, week: int | None, pain_nrs: float | None,
                     run_volume_km: float | None, pain_free_days: int | None) -> str:
        """Validate a visit's values (one-line RegistryError); returns the date as YYYY-MM-DD."""
        if kind not in VISIT_KINDS:
            raise RegistryError(f"visit kind '{kind}' is not one of {', '.join(VISIT_KINDS)}")
        if pain_nrs is not None and not 0 <= pain_nrs <= 10:
            raise RegistryError(f"pain NRS {pain_nrs} must be 0–10")
        if run_volume_km is not None and run_volume_km < 0:
            raise RegistryError("run volume must be >= 0 km")
        if week is not None and not 0 <= week <= 104:
            raise RegistryError(f"week {week} must be 0–104 (0 = baseline)")
        if pain_free_days is not None and pain_free_days < 0:
            raise RegistryError("pain-free days must be >= 0")
        return check_date(date)

    def add_visit(self, athlete_id: str, kind: str, date: str, week: int | None = None,
                  pain_nrs: float | None = None, run_volume_km: float | None = None,
                  pain_free_days: int | None = None, phase3_pain_free: bool | None = None,
                  notes: str = "") -> VisitRow:
        self.athlete(athlete_id)
        day = self._check_visit(kind, date, week, pain_nrs, run_volume_km, pain_free_days)
        p3 = None if phase3_pain_free is None else int(bool(phase3_pain_free))
        cur = self._exec(
            "INSERT INTO visits (athlete_id, kind, date, week, pain_nrs, run_volume_km, "
            "pain_free_days, phase3_pain_free, notes) VALUES (?,?,?,?,?,?,?,?,?)",
            (athlete_id, kind, day, week, pain_nrs, run_volume_km, pain_free_days, p3, notes))
        return self.visit(int(cur.lastrowid or 0))

    def update_visit(self, visit_id: int, **changes: object) -> VisitRow:
        """Change some of a visit's values (``VISIT_FIELDS``; a value of None clears it, except
        kind and date, which a visit always has). Returns the visit as stored."""
        unknown = set(changes) - set(self.VISIT_FIELDS)
        if unknown:
            raise RegistryError(f"unknown visit field(s) {', '.join(sorted(unknown))}")
        old = self.visit(visit_id)
        new: dict[str, Any] = {f: getattr(old, f) for f in self.VISIT_FIELDS} | changes
        if new["kind"] is None or new["date"] is None:
            raise RegistryError("a visit's kind and date cannot be cleared")
        new["date"] = self._check_visit(new["kind"], new["date"], new["week"], new["pain_nrs"],
                                        new["run_volume_km"], new["pain_free_days"])
        p3 = new["phase3_pain_free"]
        new["phase3_pain_free"] = None if p3 is None else int(bool(p3))
        new["notes"] = new["notes"] or ""
        sets = ", ".join(f"{f} = ?" for f in self.VISIT_FIELDS)
        self._exec(f"UPDATE visits SET {sets} WHERE id = ?",
                   (*(new[f] for f in self.VISIT_FIELDS), visit_id))
        return self.visit(visit_id)

    def delete_visit(self, visit_id: int) -> tuple[VisitRow, int]:
        """Remove a visit and its session-file entries (the files themselves are not touched).
        Returns the removed visit and how many file entries went with it."""
        v = self.visit(visit_id)
        n = len(self.sessions(visit_id))
        self._exec("DELETE FROM sessions WHERE visit_id = ?", (visit_id,))
        self._exec("DELETE FROM visits WHERE id = ?", (visit_id,))
        return v, n

    def visit(self, visit_id: int) -> VisitRow:
        r = self._exec("SELECT * FROM visits WHERE id = ?", (visit_id,)).fetchone()
        if r is None:
            raise RegistryError(f"no visit {visit_id} in {self.path}")
        return _visit(r)

    def visits(self, athlete_id: str) -> list[VisitRow]:
        return [_visit(r) for r in self._exec(
            "SELECT * FROM visits WHERE athlete_id = ? ORDER BY date, id", (athlete_id,))]

    def find_visit(self, athlete_id: str, kind: str, date: str) -> VisitRow | None:
        r = self._exec("SELECT * FROM visits WHERE athlete_id = ? AND kind = ? AND date = ?",
                       (athlete_id, kind, check_date(date))).fetchone()
        return None if r is None else _visit(r)

    # -- session files --
    def add_session(self, visit_id: int, path: str | Path) -> SessionRow:
        from gaitlab.registry.hashing import recording_sha256

        p = Path(path).resolve()
        if not p.is_file():
            raise RegistryError(f"{p}: no such file")
        data = recording_sha256(p)
        digest = file_sha256(p)
        old = self._exec("SELECT path, visit_id FROM sessions WHERE data_sha256 = ? OR sha256 = ?",
                         (data, digest)).fetchone()
        if old is not None:
            raise RegistryError(f"{p}: already imported (same recording as {old[0]}, visit {old[1]})")
        self.visit(visit_id)
        cur = self._exec("INSERT INTO sessions (visit_id, path, sha256, size_bytes, imported_utc, "
                         "data_sha256) VALUES (?,?,?,?,?,?)",
                         (visit_id, str(p), digest, p.stat().st_size, _now(), data))
        return SessionRow(*self._exec("SELECT * FROM sessions WHERE id = ?",
                                      (cur.lastrowid,)).fetchone())

    def sessions(self, visit_id: int) -> list[SessionRow]:
        return [SessionRow(*r) for r in self._exec(
            "SELECT * FROM sessions WHERE visit_id = ? ORDER BY id", (visit_id,))]

    def verify(self, s: SessionRow) -> str:
        """"ok", "missing" or "changed": the recording (everything but ``/analysis``) differs
        from the one imported, or the file is no longer a readable session file. Writing or
        rewriting ``/analysis`` does not count as a change."""
        from gaitlab.registry.hashing import recording_sha256

        p = Path(s.path)
        if not p.is_file():
            return "missing"
        try:
            data = recording_sha256(p)
        except GaitlabError:
            return "changed"
        if s.data_sha256 is not None:
            return "ok" if data == s.data_sha256 else "changed"
        if file_sha256(p) != s.sha256:  # a schema-1 row: only the whole-file hash is known
            return "changed"
        self._exec("UPDATE sessions SET data_sha256 = ? WHERE id = ?", (data, s.id))
        return "ok"


def _visit(r: tuple[Any, ...]) -> VisitRow:
    v = list(r)
    v[8] = None if v[8] is None else bool(v[8])
    return VisitRow(*v)


def _refuse_foreign_file(p: Path) -> None:
    """An existing, non-empty file that is not SQLite is never turned into a registry."""
    try:
        if not p.is_file() or p.stat().st_size == 0:
            return
        with open(p, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise RegistryError(f"{p}: cannot read the registry ({exc.strerror}); give another --db "
                            "or set GAITLAB_HOME") from None
    if head != SQLITE_MAGIC:
        raise RegistryError(f"{p}: not a registry (an existing file that is not an SQLite "
                            "database); give another --db path (it was not changed)")


def open_registry(path: str | Path | None = None) -> Registry:
    """Open (creating if needed) the registry at ``path`` or :func:`default_db_path`."""
    p = Path(path) if path else default_db_path()
    if p.is_dir():
        raise RegistryError(f"{p}: is a folder; give the registry's .sqlite file path")
    _refuse_foreign_file(p)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(p)
        con.execute("PRAGMA foreign_keys = ON")
        ver = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if ver == 0 and tables and "athletes" not in tables:
            con.close()
            raise RegistryError(f"{p}: an SQLite database of another program, not a gaitlab "
                                "registry; give another --db path (it was not changed)")
        if ver > SCHEMA_VERSION:
            con.close()
            raise RegistryError(f"{p}: registry schema {ver} is newer than this gaitlab "
                                f"({SCHEMA_VERSION}); upgrade gaitlab")
        con.executescript(_SCHEMA)
        cols = [r[1] for r in con.execute("PRAGMA table_info(sessions)")]
        if "data_sha256" not in cols:  # schema 1 → 2
            con.execute("ALTER TABLE sessions ADD COLUMN data_sha256 TEXT")
        con.executescript(_INDEXES)
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.commit()
    except sqlite3.DatabaseError as exc:
        raise RegistryError(f"{p}: not a registry database ({exc}); give another --db") from None
    except OSError as exc:
        raise RegistryError(f"{p}: cannot create the registry ({exc.strerror}); give another "
                            "--db or set GAITLAB_HOME") from None
    return Registry(p, con)
