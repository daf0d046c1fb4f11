"""Importing existing session files (and the shipped demo athlete) into the registry."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from gaitlab.io.session import open_session
from gaitlab.registry.db import AthleteRow, Registry, RegistryError, SessionRow, VisitRow

DEMO_ATHLETE = "demo-001"


def _opt_float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and f > 0 else None


def import_session(reg: Registry, path: str | Path, *, athlete_id: str | None = None,
                   kind: str | None = None, date: str | None = None, week: int | None = None,
                   pain_nrs: float | None = None, run_volume_km: float | None = None,
                   pain_free_days: int | None = None, phase3_pain_free: bool | None = None
                   ) -> tuple[AthleteRow, VisitRow, SessionRow]:
    """Index one session file: its /athlete attributes create the athlete if new, its root
    ``created_utc`` gives the visit date unless ``date`` is given; the visit is reused when
    the athlete already has one of that kind on that date. ``kind`` defaults to baseline for
    an athlete's first visit and reassessment after."""
    with open_session(path) as s:
        ath = s.athlete
        created = str(s.attrs.get("created_utc", ""))
    aid = athlete_id or str(ath.get("id", "")).strip()
    if not aid:
        raise RegistryError(f"{path}: the file has no /athlete id; pass --athlete ID")
    side = str(ath.get("involved_side", "") or "")
    sex = str(ath.get("sex", "") or "")
    a = reg.add_athlete(aid, name=str(ath.get("name", "")), sex=sex if sex in ("F", "M") else "",
                        body_mass_kg=_opt_float(ath.get("body_mass_kg")),
                        height_m=_opt_float(ath.get("height_m")),
                        leg_length_m=_opt_float(ath.get("leg_length_m")),
                        lever_arm_m=_opt_float(ath.get("lever_arm_m")),
                        involved_side=side if side in ("L", "R") else "", exist_ok=True)
    if date is None:
        try:
            date = dt.date.fromisoformat(created[:10]).isoformat()
        except ValueError:
            date = dt.date.today().isoformat()
    if kind is None:
        kind = "reassessment" if reg.visits(aid) else "baseline"
    v = reg.find_visit(aid, kind, date) or reg.add_visit(
        aid, kind, date, week=week, pain_nrs=pain_nrs, run_volume_km=run_volume_km,
        pain_free_days=pain_free_days, phase3_pain_free=phase3_pain_free)
    return a, v, reg.add_session(v.id, path)


def demo_folder() -> Path:
    return Path(str(resources.files("gaitlab.data") / "demo" / DEMO_ATHLETE))


def demo_visits(folder: Path | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The demo athlete's visits.toml: (header, visits with absolute ``path``)."""
    folder = folder or demo_folder()
    meta = folder / "visits.toml"
    if not meta.is_file():
        raise RegistryError(f"{meta}: demo data not found; regenerate with "
                            "'python3 scripts/make_demo_data.py'")
    doc = tomllib.loads(meta.read_text(encoding="utf-8"))
    visits = [dict(v, path=folder / v["file"]) for v in doc.get("visit", [])]
    return {k: v for k, v in doc.items() if k != "visit"}, visits


def import_demo(reg: Registry, folder: Path | None = None) -> list[tuple[VisitRow, SessionRow]]:
    """Register the demo athlete, its enrolment and its three visits (idempotent)."""
    head, visits = demo_visits(folder)
    out = []
    aid = str(head.get("athlete", DEMO_ATHLETE))
    if reg.athlete(aid, missing_ok=True) is not None and reg.visits(aid):
        raise RegistryError(f"athlete '{aid}' is already in {reg.path}")
    for v in visits:
        _, visit, sess = import_session(
            reg, v["path"], kind=v["kind"], date=v["date"], week=v["week"],
            pain_nrs=v.get("pain_nrs"), run_volume_km=v.get("run_volume_km"),
            pain_free_days=v.get("pain_free_days"), phase3_pain_free=v.get("phase3_pain_free"))
        out.append((visit, sess))
    if head.get("program") and reg.enrolment(aid) is None:
        reg.enrol(aid, str(head["program"]), str(head.get("start_date", visits[0]["date"])))
    return out
