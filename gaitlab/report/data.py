"""Gathering what the clinician report shows: visits (files + logged visit data), the
comparison, per-step widths and the program status. No plotting here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gaitlab.analysis import gait as G
from gaitlab.compare.core import Comparison, Visit, compare_visits, load_visit
from gaitlab.compare.metrics import metric_defs
from gaitlab.errors import GaitlabError
from gaitlab.protocols.program import Program, ProgramStatus, load_program, program_status


@dataclass
class VisitLog:
    """What the clinician logged at a visit (registry), if known."""

    kind: str = ""
    date: str = ""
    week: int | None = None
    pain_nrs: float | None = None
    run_volume_km: float | None = None
    pain_free_days: int | None = None
    phase3_pain_free: bool | None = None


@dataclass
class ReportData:
    athlete: dict[str, Any]
    visits: list[Visit]
    logs: list[VisitLog]
    comparison: Comparison
    step_widths: list[np.ndarray]  # cm, per visit
    program: Program | None = None
    status: ProgramStatus | None = None
    warnings: list[str] = field(default_factory=list)


def step_widths_cm(sc: G.SidedContacts | None) -> np.ndarray:
    """Signed step width (cm) of every pair of consecutive contacts in a running bout:
    x(right) − x(left), ≤ 0 = crossover (the per-step values behind the gait metrics)."""
    if sc is None:
        return np.empty(0)
    inb = (sc.bout >= 0) & (sc.side != G.UNKNOWN)
    x, side, bout = sc.contacts.x[inb], sc.side[inb], sc.bout[inb]
    same = bout[1:] == bout[:-1]
    w = np.where(side[:-1] == G.RIGHT, x[:-1] - x[1:], x[1:] - x[:-1])[same] * 100
    return w[np.isfinite(w)]


def _widths(path: str) -> np.ndarray:
    from gaitlab.analysis.pipeline import analyze_session

    return step_widths_cm(analyze_session(path).contacts)


def gather(paths: list[str | Path], logs: list[VisitLog] | None = None,
           program: str | Path | None = None, enrolled: bool = True) -> ReportData:
    """Load every visit, compare first → last, and work out the program status at the last
    visit (``enrolled=False`` leaves the program part out)."""
    if not paths:
        raise GaitlabError("report needs at least one session file or an athlete with visits")
    logs = logs or [VisitLog() for _ in paths]
    visits = [load_visit(p, week=lg.week) for p, lg in zip(paths, logs, strict=True)]
    for v, lg in zip(visits, logs, strict=True):
        lg.date = lg.date or v.date
        if lg.week is not None:
            v.label = f"{lg.date} (wk {lg.week})"
        else:
            v.label = lg.date or v.label
    prog = load_program(program) if enrolled else None
    target = prog.gait.cadence_target_spm if prog else (170.0, 180.0)
    defs = metric_defs(target)
    if len(visits) >= 2:
        comp = compare_visits(visits, defs)
    else:  # a single visit: its values, nothing to judge
        comp = Comparison([visits[0].label], [], visits)
        from gaitlab.compare.core import flatten

        flat = flatten(visits[0].metrics, visits[0].extras)
        comp.rows = [{"label": d.label, "unit": d.unit, "values": [flat[d.key]["value"]],
                      "change": None, "threshold": None, "basis": "", "verdict": "baseline only",
                      "trend": {"slope": None, "per": "visit", "monotonic": None}, "steps": []}
                     for d in defs if d.key in flat and flat[d.key]["value"] is not None]
    widths = [_widths(v.path) for v in visits]
    status = None
    if prog is not None:
        last = logs[-1]
        cad = [r for r in comp.rows if r["key" if "key" in r else "label"] in
               ("gait.cadence_spm", "Cadence")]
        vals = cad[0]["values"] if cad else [None]
        status = program_status(prog, last.week or 1, pain_free_days=last.pain_free_days,
                                phase3_pain_free=last.phase3_pain_free, pain_nrs=last.pain_nrs,
                                baseline_cadence_spm=vals[0], cadence_spm=vals[-1])
    return ReportData(visits[-1].athlete, visits, logs, comp, widths, prog, status)


def registry_visits(db: str | Path | None, athlete_id: str
                    ) -> tuple[list[str], list[VisitLog], str | None]:
    """An athlete's visits from the registry, in date order: the first session file on disk
    of each visit, what was logged at it, and the enrolled program (or None)."""
    from gaitlab.registry.db import open_registry

    paths, logs = [], []
    with open_registry(db) as r:
        r.athlete(athlete_id)
        enr = r.enrolment(athlete_id)
        for v in r.visits(athlete_id):
            ok = [s for s in r.sessions(v.id) if r.verify(s) != "missing"]
            if not ok:
                continue
            paths.append(ok[0].path)
            logs.append(VisitLog(v.kind, v.date, v.week, v.pain_nrs, v.run_volume_km,
                                 v.pain_free_days, v.phase3_pain_free))
    if not paths:
        raise GaitlabError(f"athlete '{athlete_id}' has no visit with a session file on disk; "
                           "import one with 'gaitlab athletes import FILE.h5'")
    return paths, logs, (enr[0] if enr else None)


def phase_text(program: str | Path, week: int | None) -> str:
    """The program phase(s) active in ``week`` (week 0 or unknown counts as week 1)."""
    prog = load_program(program)
    wk = max(int(week or 1), 1)
    phases = prog.phases_in_week(wk)
    now = ", ".join(f"phase {p.number} {p.name}" for p in phases) or "no phase active"
    return f"{prog.name}, week {wk} of {prog.total_weeks}: {now}"
