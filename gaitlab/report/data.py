"""Gathering what the clinician report shows: visits (files + logged visit data), the
comparison, per-step widths and the program status. No plotting here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.analysis import gait as G
from gaitlab.compare.core import Comparison, Visit, belt_speed_warnings, compare_visits, load_visit
from gaitlab.compare.metrics import CADENCE_TARGET, metric_defs
from gaitlab.errors import GaitlabError, ProfileError
from gaitlab.protocols.program import (
    Program,
    ProgramStatus,
    load_program,
    program_status,
    program_week,
)


@dataclass
class VisitLog:
    """What the clinician logged at a visit (registry), if known."""

    kind: str = ""
    date: str = ""
    week: int | None = None  # as logged
    pain_nrs: float | None = None
    run_volume_km: float | None = None
    pain_free_days: int | None = None
    phase3_pain_free: bool | None = None
    file: str = ""  # the visit's session file on disk, "" when it has none
    program_week: int | None = None  # from the visit date and the enrolment start (gather)

    @property
    def shown_week(self) -> int | None:
        """The program week from the dates when known, else the logged week."""
        return self.program_week if self.program_week is not None else self.week


@dataclass
class AthleteVisits:
    """An athlete's visits from the registry (:func:`registry_visits`)."""

    athlete_id: str
    paths: list[str]  # the session file of each visit that has one on disk, date order
    logs: list[VisitLog]  # what was logged at those visits (same order as ``paths``)
    all_logs: list[VisitLog]  # every visit, with or without a file, date order
    program: str | None = None  # enrolled program (name or absolute .toml path)
    start_date: str | None = None  # enrolment start, YYYY-MM-DD
    warnings: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    athlete: dict[str, Any]
    visits: list[Visit]
    logs: list[VisitLog]  # one per visit with a session file (``visits``)
    comparison: Comparison
    step_widths: list[np.ndarray]  # cm, per visit
    program: Program | None = None
    status: ProgramStatus | None = None
    warnings: list[str] = field(default_factory=list)
    visit_log: list[VisitLog] = field(default_factory=list)  # every logged visit, date order
    program_note: str = ""  # why there is no program status, when there is none
    logged: bool = True  # False: session files without a registry (no visit log at all)


NOT_ENROLLED = ("Not enrolled in a program: program progress and return-to-run readiness are not "
                "shown (enrol with 'gaitlab athletes enrol ID --program itbs --start YYYY-MM-DD').")
FILES_ONLY = ("Program progress and return-to-run readiness: unknown. Session files alone carry no "
              "enrolment date and no visit log (pain, pain-free days, phase-3 answer); report the "
              "athlete from the registry ('gaitlab report ATHLETE_ID') to see them.")


def step_widths_cm(sc: G.SidedContacts | None) -> np.ndarray:
    """Signed step width (cm) of every pair of consecutive contacts in a running bout:
    x(right) − x(left), ≤ 0 = crossover (the per-step values behind the gait metrics)."""
    if sc is None:
        return np.empty(0)
    w = G.step_widths(sc) * 100
    return w[np.isfinite(w)]


def _widths(path: str) -> np.ndarray:
    from gaitlab.analysis.pipeline import analyze_session

    return step_widths_cm(analyze_session(path).contacts)


def _weeks(logs: list[VisitLog], start_date: str | None) -> list[str]:
    """Set each log's program week from its date and the enrolment start; returns a warning
    per visit whose logged week disagrees with it."""
    out = []
    if not start_date:
        return out
    for lg in logs:
        if not lg.date:
            continue
        lg.program_week = program_week(start_date, lg.date)
        if lg.week is not None and lg.week != lg.program_week:
            out.append(f"visit {lg.date}: logged as week {lg.week}, but it is week {lg.program_week} "
                       f"of the program by its date (start {start_date}; week 1 = days 0–6); "
                       "the week from the date is used")
    return out


def gather(paths: list[str | Path], logs: list[VisitLog] | None = None,
           program: str | Path | None = None, enrolled: bool = True, *,
           visit_log: list[VisitLog] | None = None, start_date: str | None = None) -> ReportData:
    """Load every visit with a session file, compare first → last, and work out the program
    status at the latest logged visit.

    ``logs`` are what was logged at the visits of ``paths`` (None: session files given
    without a registry, so nothing is known of the program: no status). ``visit_log`` is
    every logged visit in date order, with or without a file (default: ``logs``); the
    readiness and the program week come from its last entry. ``start_date`` (enrolment)
    gives each visit's program week (:func:`program_week`); without it the logged week is
    used. ``enrolled=False`` leaves the program part out."""
    if not paths:
        raise GaitlabError("report needs at least one session file or an athlete with visits")
    known = logs is not None
    logs = logs if logs is not None else [VisitLog() for _ in paths]
    if len(logs) != len(paths):
        raise GaitlabError(f"{len(paths)} session files but {len(logs)} visit logs")
    every = visit_log if visit_log is not None else logs
    warnings = _weeks(every, start_date)
    if every is not logs:
        _weeks(logs, start_date)  # the same visits (objects) in the registry case
    visits = [load_visit(p, week=lg.shown_week) for p, lg in zip(paths, logs, strict=True)]
    for v, lg in zip(visits, logs, strict=True):
        lg.date = lg.date or v.date
        lg.file = lg.file or v.path
        wk = lg.shown_week
        v.label = f"{lg.date} (wk {wk})" if wk is not None else (lg.date or v.label)
    prog = load_program(program) if (enrolled and (program or known)) else None
    target = prog.gait.cadence_target_spm if prog else CADENCE_TARGET
    defs = metric_defs(target)
    expected = _protocol_speed(prog)
    if len(visits) >= 2:
        comp = compare_visits(visits, defs, expected)
    else:  # a single visit: its values, nothing to judge
        comp = Comparison([visits[0].label], [], visits)
        from gaitlab.compare.core import flatten

        flat = flatten(visits[0].metrics, visits[0].extras)
        comp.rows = [{"key": d.key, "label": d.label, "unit": d.unit,
                      "values": [flat[d.key]["value"]], "change": None, "threshold": None,
                      "basis": "", "verdict": "baseline only", "direction": d.direction,
                      "target": list(d.target) if d.target else None,
                      "trend": {"slope": None, "per": "visit", "monotonic": None}, "steps": []}
                     for d in defs if d.key in flat and flat[d.key]["value"] is not None]
        comp.warnings = belt_speed_warnings(visits, expected)
    # the widths stored with each visit's analysis (the values behind its metrics); files
    # analysed before /analysis/contacts existed are analysed again for them
    widths = [v.step_widths_cm if v.step_widths_cm is not None else _widths(v.path)
              for v in visits]
    status, note = None, ""
    if prog is None:
        note = NOT_ENROLLED if known else FILES_ONLY
    elif not known:
        note = FILES_ONLY
    else:
        last = every[-1]
        cad = next((r for r in comp.rows if r.get("key") == "gait.cadence_spm"), None)
        vals = cad["values"] if cad else [None]
        status = program_status(prog, last.shown_week, pain_free_days=last.pain_free_days,
                                phase3_pain_free=last.phase3_pain_free, pain_nrs=last.pain_nrs,
                                baseline_cadence_spm=vals[0], cadence_spm=vals[-1])
        if last.program_week is None and last.week is not None:
            warnings.append(f"program week {last.week} as logged at {last.date or 'the last visit'} "
                            "(no enrolment start date to count it from)")
    warnings += comp.warnings
    return ReportData(visits[-1].athlete, visits, logs, comp, widths, prog, status, warnings,
                      list(every), note, known)


def _protocol_speed(prog: Program | None) -> float | None:
    """The fixed belt speed (m/s) of the program's assessment protocol, if it sets one."""
    if prog is None:
        return None
    from gaitlab.protocols import load_protocol

    run = load_protocol(prog.assessment.protocol).run
    return None if run is None else run.speed_mps


def gather_athlete(av: AthleteVisits, program: str | Path | None = None) -> ReportData:
    """:func:`gather` for an athlete from the registry (``program`` overrides the enrolment)."""
    prog = program or av.program
    if prog and not program:
        try:
            load_program(prog)
        except ProfileError as exc:
            raise GaitlabError(f"{exc} (the program of {av.athlete_id}'s enrolment); re-enrol with "
                               f"'gaitlab athletes enrol {av.athlete_id} --program FILE.toml --start "
                               f"{av.start_date}' or pass --program") from None
    d = gather(av.paths, av.logs, prog, enrolled=bool(prog), visit_log=av.all_logs,
               start_date=av.start_date)
    d.warnings = av.warnings + d.warnings
    return d


def registry_visits(db: str | Path | None, athlete_id: str) -> AthleteVisits:
    """An athlete's visits from the registry, in date order: every visit's log, the first
    session file on disk of each visit that has one, and the enrolment (program, start)."""
    from gaitlab.registry.db import open_registry

    av = AthleteVisits(athlete_id, [], [], [])
    with open_registry(db) as r:
        r.athlete(athlete_id)
        enr = r.enrolment(athlete_id)
        for v in r.visits(athlete_id):
            on_disk = [s for s in r.sessions(v.id) if Path(s.path).is_file()]
            lg = VisitLog(v.kind, v.date, v.week, v.pain_nrs, v.run_volume_km, v.pain_free_days,
                          v.phase3_pain_free, on_disk[0].path if on_disk else "")
            av.all_logs.append(lg)
            if on_disk:
                av.paths.append(on_disk[0].path)
                av.logs.append(lg)
                if r.verify(on_disk[0]) == "changed":
                    av.warnings.append(f"{on_disk[0].path}: recording changed since it was imported")
    if not av.paths:
        raise GaitlabError(f"athlete '{athlete_id}' has no visit with a session file on disk; "
                           "import one with 'gaitlab athletes import FILE.h5'")
    if enr:
        av.program, av.start_date = enr
    return av


def phase_text(program: str | Path, week: int | None) -> str:
    """The program phase(s) active in ``week`` (:func:`program_week`; 0 = before the start,
    None = unknown)."""
    prog = load_program(program)
    if week is None:
        return f"{prog.name}, week unknown (no enrolment start, no week logged)"
    phases = prog.phases_in_week(max(int(week), 1))
    now = ", ".join(f"phase {p.number} {p.name}" for p in phases) or "no phase active"
    if week == 0:
        return f"{prog.name}, not started yet (week 1: {now})"
    return f"{prog.name}, week {week} of {prog.total_weeks}: {now}"
