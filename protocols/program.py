"""Rehabilitation programs as data (TOML, schema ``gaitlab.program/1``) and their loader.

The shipped program is ``itbs`` (protocols/program_itbs.toml); a clinic can load its
own file by path. Every problem in a file is one :class:`ProfileError` line naming the
table and key. :func:`program_status` turns a program plus what was logged at a visit
into the current phase(s), what is due and the return-to-run readiness.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from gaitlab.errors import ProfileError
from gaitlab.toml_files import read_toml_text

PROGRAM_SCHEMA = "gaitlab.program/1"
DEFAULT_PROGRAM = "itbs"
Range = tuple[float, float]


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    sets: int
    reps: tuple[int, int]
    unit: str = "reps"
    progression: str = ""

    @property
    def dose(self) -> str:
        lo, hi = self.reps
        r = f"{lo}" if lo == hi else f"{lo}–{hi}"
        return f"{self.sets}×{r} {self.unit}"


@dataclass(frozen=True)
class Phase:
    number: int
    name: str
    weeks: tuple[int, int]
    sessions_per_week: int | None = None
    non_consecutive_days: bool = False
    exercises: tuple[Exercise, ...] = ()
    targets: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    cross_training: tuple[str, ...] = ()
    run_volume_change_pct: Range | None = None
    notes: tuple[str, ...] = ()

    def active(self, week: int) -> bool:
        return self.weeks[0] <= week <= self.weeks[1]


@dataclass(frozen=True)
class GaitRetraining:
    cadence_increase_pct: Range
    cadence_target_spm: Range
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunWeek:
    weeks: tuple[int, int]
    plan: str
    minutes: Range | None = None


@dataclass(frozen=True)
class ReturnToRun:
    pain_free_daily_days: Range
    phase3_pain_free: bool = True
    weekly_increase_pct: float = 10.0
    warning_signs: tuple[str, ...] = ()
    schedule: tuple[RunWeek, ...] = ()


@dataclass(frozen=True)
class Assessment:
    protocol: str = "assessment"
    every_visit: bool = True
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Program:
    name: str
    title: str
    sessions_per_week: int
    non_consecutive_days: bool
    total_weeks: int
    phases: tuple[Phase, ...]
    gait: GaitRetraining
    return_to_run: ReturnToRun
    assessment: Assessment
    origin: str = ""

    def phases_in_week(self, week: int) -> list[Phase]:
        return [p for p in self.phases if p.active(week)]

    def strengthening_phase(self) -> Phase | None:
        return next((p for p in self.phases if p.exercises), None)


# ---- validation helpers: each raises one ProfileError line -------------------------

class _Ctx:
    def __init__(self, origin: str):
        self.origin = origin

    def fail(self, where: str, msg: str) -> ProfileError:
        return ProfileError(f"{self.origin}: [{where}] {msg}")

    def table(self, v: Any, where: str, required: set[str], optional: set[str]) -> dict[str, Any]:
        if not isinstance(v, dict):
            raise self.fail(where, "must be a table")
        missing = required - set(v)
        if missing:
            raise self.fail(where, f"missing key(s) {', '.join(sorted(missing))}")
        unknown = set(v) - required - optional
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(sorted(unknown))}; known: "
                            f"{', '.join(sorted(required | optional))}")
        return v

    def text(self, v: Any, where: str) -> str:
        if not isinstance(v, str) or not v.strip():
            raise self.fail(where, "must be a non-empty string")
        return v

    def texts(self, v: Any, where: str) -> tuple[str, ...]:
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            raise self.fail(where, "must be a list of non-empty strings")
        return tuple(v)

    def boolean(self, v: Any, where: str) -> bool:
        if not isinstance(v, bool):
            raise self.fail(where, "must be true or false")
        return v

    def number(self, v: Any, where: str, lo: float, hi: float, integer: bool = False) -> float:
        ok = isinstance(v, int) if integer else isinstance(v, int | float)
        if isinstance(v, bool) or not ok or not lo <= v <= hi:
            kind = "an integer" if integer else "a number"
            raise self.fail(where, f"must be {kind} in {lo:g}–{hi:g}, got {v!r}")
        return v

    def span(self, v: Any, where: str, lo: float, hi: float, integer: bool = False) -> Any:
        if not isinstance(v, list) or len(v) != 2:
            raise self.fail(where, "must be a two-element list [from, to]")
        a = self.number(v[0], where, lo, hi, integer)
        b = self.number(v[1], where, lo, hi, integer)
        if a > b:
            raise self.fail(where, f"[from, to] must not decrease, got {v!r}")
        return (a, b)


def _exercise(c: _Ctx, t: Any, where: str) -> Exercise:
    t = c.table(t, where, {"id", "name", "sets", "reps"}, {"unit", "progression"})
    return Exercise(id=c.text(t["id"], f"{where}.id"), name=c.text(t["name"], f"{where}.name"),
                    sets=int(c.number(t["sets"], f"{where}.sets", 1, 10, integer=True)),
                    reps=c.span(t["reps"], f"{where}.reps", 1, 200, integer=True),
                    unit=c.text(t.get("unit", "reps"), f"{where}.unit"),
                    progression=str(t.get("progression", "")))


def _phase(c: _Ctx, t: Any, i: int, total_weeks: int) -> Phase:
    w = f"phase {i + 1}"
    t = c.table(t, w, {"number", "name", "weeks"},
                {"sessions_per_week", "non_consecutive_days", "exercise", "targets", "avoid",
                 "cross_training", "run_volume_change_pct", "notes"})
    ex = t.get("exercise", [])
    if not isinstance(ex, list):
        raise c.fail(f"{w}.exercise", "must be an array of tables [[phase.exercise]]")
    exercises = tuple(_exercise(c, e, f"{w}.exercise {j + 1}") for j, e in enumerate(ex))
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise c.fail(f"{w}.exercise", "exercise ids must be unique")
    spw = t.get("sessions_per_week")
    return Phase(
        number=int(c.number(t["number"], f"{w}.number", 1, 20, integer=True)),
        name=c.text(t["name"], f"{w}.name"),
        weeks=c.span(t["weeks"], f"{w}.weeks", 1, total_weeks, integer=True),
        sessions_per_week=None if spw is None else int(
            c.number(spw, f"{w}.sessions_per_week", 1, 7, integer=True)),
        non_consecutive_days=c.boolean(t.get("non_consecutive_days", False),
                                       f"{w}.non_consecutive_days"),
        exercises=exercises,
        targets=c.texts(t.get("targets", []), f"{w}.targets"),
        avoid=c.texts(t.get("avoid", []), f"{w}.avoid"),
        cross_training=c.texts(t.get("cross_training", []), f"{w}.cross_training"),
        run_volume_change_pct=(c.span(t["run_volume_change_pct"], f"{w}.run_volume_change_pct",
                                      -100, 100) if "run_volume_change_pct" in t else None),
        notes=c.texts(t.get("notes", []), f"{w}.notes"),
    )


def parse_program(text: str, origin: str = "<program>") -> Program:
    """Parse and validate a program's TOML text."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{origin}: not valid TOML ({exc})") from None
    c = _Ctx(origin)
    doc = c.table(doc, "file", {"program", "phase", "gait_retraining", "return_to_run"},
                  {"assessment"})
    head = c.table(doc["program"], "program", {"schema", "name", "total_weeks"},
                   {"title", "sessions_per_week", "non_consecutive_days"})
    if head["schema"] != PROGRAM_SCHEMA:
        raise c.fail("program", f"schema must be \"{PROGRAM_SCHEMA}\", got {head['schema']!r}")
    total = int(c.number(head["total_weeks"], "program.total_weeks", 1, 104, integer=True))
    if not isinstance(doc["phase"], list) or not doc["phase"]:
        raise c.fail("phase", "needs at least one [[phase]] table")
    phases = tuple(_phase(c, p, i, total) for i, p in enumerate(doc["phase"]))
    nums = [p.number for p in phases]
    if nums != sorted(set(nums)):
        raise c.fail("phase", f"phase numbers must be unique and increasing, got {nums}")
    g = c.table(doc["gait_retraining"], "gait_retraining",
                {"cadence_increase_pct", "cadence_target_spm"}, {"cues"})
    gait = GaitRetraining(
        cadence_increase_pct=c.span(g["cadence_increase_pct"],
                                    "gait_retraining.cadence_increase_pct", 0, 50),
        cadence_target_spm=c.span(g["cadence_target_spm"], "gait_retraining.cadence_target_spm",
                                  100, 240),
        cues=c.texts(g.get("cues", []), "gait_retraining.cues"))
    r = c.table(doc["return_to_run"], "return_to_run", {"pain_free_daily_days"},
                {"phase3_pain_free", "weekly_increase_pct", "warning_signs", "week"})
    weeks = r.get("week", [])
    if not isinstance(weeks, list):
        raise c.fail("return_to_run.week", "must be an array of tables [[return_to_run.week]]")
    sched = []
    for j, wt in enumerate(weeks):
        wh = f"return_to_run.week {j + 1}"
        wt = c.table(wt, wh, {"weeks", "plan"}, {"minutes"})
        sched.append(RunWeek(weeks=c.span(wt["weeks"], f"{wh}.weeks", 1, 104, integer=True),
                             plan=c.text(wt["plan"], f"{wh}.plan"),
                             minutes=(c.span(wt["minutes"], f"{wh}.minutes", 1, 600)
                                      if "minutes" in wt else None)))
    rtr = ReturnToRun(
        pain_free_daily_days=c.span(r["pain_free_daily_days"], "return_to_run.pain_free_daily_days",
                                    0, 60),
        phase3_pain_free=c.boolean(r.get("phase3_pain_free", True), "return_to_run.phase3_pain_free"),
        weekly_increase_pct=float(c.number(r.get("weekly_increase_pct", 10),
                                           "return_to_run.weekly_increase_pct", 0, 50)),
        warning_signs=c.texts(r.get("warning_signs", []), "return_to_run.warning_signs"),
        schedule=tuple(sched))
    a = c.table(doc.get("assessment", {}), "assessment", set(), {"protocol", "every_visit", "items"})
    assess = Assessment(protocol=c.text(a.get("protocol", "assessment"), "assessment.protocol"),
                        every_visit=c.boolean(a.get("every_visit", True), "assessment.every_visit"),
                        items=c.texts(a.get("items", []), "assessment.items"))
    return Program(
        name=c.text(head["name"], "program.name"), title=str(head.get("title", "")),
        sessions_per_week=int(c.number(head.get("sessions_per_week", 3),
                                       "program.sessions_per_week", 1, 7, integer=True)),
        non_consecutive_days=c.boolean(head.get("non_consecutive_days", False),
                                       "program.non_consecutive_days"),
        total_weeks=total, phases=phases, gait=gait, return_to_run=rtr, assessment=assess,
        origin=origin)


def builtin_program_path(name: str) -> Path:
    """Path of a program shipped with gaitlab (e.g. "itbs" → protocols/program_itbs.toml)."""
    return Path(str(resources.files("gaitlab.protocols") / f"program_{name}.toml"))


def load_program(name_or_path: str | Path | None = None, check_protocol: bool = True) -> Program:
    """Load a program from a TOML path or a built-in name (None gives "itbs").

    With ``check_protocol`` the assessment protocol it names must load too."""
    p, text = read_toml_text(name_or_path or DEFAULT_PROGRAM, builtin_program_path,
                             missing_hint="rehab program; give a .toml path or a built-in name "
                             "(itbs)", what="program")
    prog = parse_program(text, str(p))
    if check_protocol:
        from gaitlab.protocols import load_protocol

        try:
            load_protocol(prog.assessment.protocol)
        except ProfileError as exc:
            raise ProfileError(f"{p}: [assessment] protocol '{prog.assessment.protocol}' does not "
                               f"load ({exc})") from None
    return prog


def program_reference(name_or_path: str | Path) -> tuple[Program, str]:
    """Load a program and say how an enrolment should refer to it: a built-in's name
    ("itbs"), or the absolute path of a clinic's file, so the enrolment still finds it when
    the registry is used from another folder."""
    prog = load_program(name_or_path)
    p = Path(name_or_path)
    return prog, (str(p.resolve()) if p.exists() else prog.name)


# ---- progress ---------------------------------------------------------------------

def program_week(start_date: str | dt.date, visit_date: str | dt.date) -> int:
    """Program week of a visit from the enrolment start date.

    Day 0 is the start date; week 1 = days 0–6, week 2 = days 7–13, …, week n = days
    7(n−1) … 7n−1. A visit before the start (e.g. the baseline assessment the day before)
    is week 0."""
    def day(x: str | dt.date, what: str) -> dt.date:
        if isinstance(x, dt.date):
            return x
        try:
            return dt.date.fromisoformat(str(x)[:10])
        except ValueError:
            raise ProfileError(f"{what} '{x}' is not a date YYYY-MM-DD") from None

    days = (day(visit_date, "visit date") - day(start_date, "enrolment start date")).days
    return 0 if days < 0 else days // 7 + 1


@dataclass
class ProgramStatus:
    week: int | None  # None: unknown (no enrolment start and no week logged); 0: before the start
    phases: list[Phase]
    due: list[str]
    ready_to_run: bool
    met: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)
    warning_signs: tuple[str, ...] = ()

    @property
    def week_text(self) -> str:
        """"week 4", "not started (week 1 shown)" or "week unknown"."""
        if self.week is None:
            return "week unknown"
        return "not started yet (week 1 shown)" if self.week == 0 else f"week {self.week}"


def program_status(prog: Program, week: int | None, *, pain_free_days: int | None = None,
                   phase3_pain_free: bool | None = None, pain_nrs: float | None = None,
                   baseline_cadence_spm: float | None = None,
                   cadence_spm: float | None = None) -> ProgramStatus:
    """Current phase(s), what is due this week, and return-to-run readiness.

    ``week`` is the program week (:func:`program_week`); 0 = before the start (the phases
    of week 1 are shown), None = unknown (no phase is listed; readiness does not depend on
    the week). A criterion that was not logged (None) counts as unmet and says so."""
    phases = [] if week is None else prog.phases_in_week(max(int(week), 1))
    due: list[str] = []
    for ph in phases:
        if ph.run_volume_change_pct:
            lo, hi = ph.run_volume_change_pct
            due.append(f"{ph.name}: running volume {lo:+.0f} to {hi:+.0f} %; cross-train "
                       f"({', '.join(ph.cross_training) or 'any'})")
        if ph.targets and not ph.exercises:
            extra = f"; {ph.avoid[0]}" if ph.avoid else ""
            due.append(f"{ph.name}: {', '.join(ph.targets)}{extra}")
        if ph.exercises:
            spw = ph.sessions_per_week or prog.sessions_per_week
            days = ", non-consecutive days" if ph.non_consecutive_days else ""
            due.append(f"{ph.name} {spw}×/week{days}: "
                       + "; ".join(f"{e.name} {e.dose}" for e in ph.exercises))
    g = prog.gait
    tgt = f"{g.cadence_target_spm[0]:.0f}–{g.cadence_target_spm[1]:.0f} spm"
    if baseline_cadence_spm:
        lo = baseline_cadence_spm * (1 + g.cadence_increase_pct[0] / 100)
        hi = baseline_cadence_spm * (1 + g.cadence_increase_pct[1] / 100)
        tgt = f"{lo:.0f}–{hi:.0f} spm (+{g.cadence_increase_pct[0]:.0f}–" \
              f"{g.cadence_increase_pct[1]:.0f} % of baseline), toward {tgt}"
    now = f"; now {cadence_spm:.0f} spm" if cadence_spm else ""
    due.append(f"Gait retraining: cadence {tgt}{now}; " + "; ".join(g.cues))
    rtr = prog.return_to_run
    met: list[str] = []
    unmet: list[str] = []
    need = int(rtr.pain_free_daily_days[0])
    crit = f"pain-free daily activity ≥ {need} days"
    if pain_free_days is None:
        unmet.append(f"{crit} (not logged)")
    elif pain_free_days >= need:
        met.append(f"{crit} ({pain_free_days} days)")
    else:
        unmet.append(f"{crit} (only {pain_free_days} days)")
    if rtr.phase3_pain_free:
        crit = "all hip-strengthening (phase 3) exercises pain-free"
        if phase3_pain_free is None:
            unmet.append(f"{crit} (not logged)")
        elif phase3_pain_free:
            met.append(crit)
        else:
            unmet.append(crit)
    if pain_nrs is not None and pain_nrs > 0:
        unmet.append(f"pain at this visit is {pain_nrs:g}/10 (needs 0)")
    ready = not unmet
    if ready and rtr.schedule:
        s = rtr.schedule[0]
        due.append(f"Return to running, weeks {s.weeks[0]}–{s.weeks[1]}: {s.plan}; then "
                   f"+{rtr.weekly_increase_pct:.0f} % a week")
    return ProgramStatus(None if week is None else int(week), phases, due, ready, met, unmet,
                         rtr.warning_signs)
