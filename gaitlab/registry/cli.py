"""``gaitlab athletes ...``: the athlete registry from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from gaitlab.errors import GaitlabError
from gaitlab.registry.db import VISIT_KINDS, Registry, VisitRow, open_registry
from gaitlab.registry.importer import import_demo, import_session

DB_HELP = "Registry file (default: $GAITLAB_HOME/registry.sqlite or ~/.local/share/gaitlab/)."


def _reg(ctx: click.Context) -> Registry:
    return open_registry(ctx.obj)


@click.group("athletes")
@click.option("--db", type=click.Path(path_type=Path), default=None, help=DB_HELP)
@click.pass_context
def athletes(ctx: click.Context, db: Path | None) -> None:
    """Athletes, program enrolment, visits and their session files (SQLite registry)."""
    ctx.obj = db


@athletes.command("add")
@click.argument("athlete_id")
@click.option("--name", default="")
@click.option("--sex", type=click.Choice(["F", "M", ""]), default="")
@click.option("--mass", "body_mass_kg", type=float, help="Body mass, kg.")
@click.option("--height", "height_m", type=float, help="Height, m.")
@click.option("--leg", "leg_length_m", type=float, help="Leg length, m.")
@click.option("--lever", "lever_arm_m", type=float, help="Dynamometer lever arm, m.")
@click.option("--side", "involved_side", type=click.Choice(["L", "R", ""]), default="",
              help="Involved (painful) side.")
@click.pass_context
def add(ctx: click.Context, athlete_id: str, **kw: object) -> None:
    """Add an athlete."""
    with _reg(ctx) as r:
        a = r.add_athlete(athlete_id, **kw)  # type: ignore[arg-type]
    click.echo(f"added athlete {a.id}")


@athletes.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List athletes with their visit count."""
    with _reg(ctx) as r:
        rows = [(a, len(r.visits(a.id)), r.enrolment(a.id)) for a in r.athletes()]
    if not rows:
        click.echo("no athletes; add one with 'gaitlab athletes add' or 'import'")
    for a, n, e in rows:
        prog = f"{e[0]} since {e[1]}" if e else "not enrolled"
        click.echo(f"{a.id:12s} {a.name:30s} side {a.involved_side or '-'}  {n} visit(s)  {prog}")


NOT_LOGGED = "not logged"


def _logged(x: float | int | bool | None, fmt: str = "{:g}") -> str:
    if x is None:
        return NOT_LOGGED
    if isinstance(x, bool):
        return "yes" if x else "no"
    return fmt.format(x)


def visit_line(v: VisitRow, start_date: str | None) -> str:
    """One visit as ``athletes show`` prints it: every readiness input, "not logged" where
    nothing was entered, and the program week from the enrolment start when known."""
    from gaitlab.protocols.program import program_week

    if start_date:
        wk = f"program week {program_week(start_date, v.date)}"
        if v.week is not None and v.week != program_week(start_date, v.date):
            wk += f" (logged as {v.week})"
    else:
        wk = f"week {_logged(v.week)}"
    return (f"visit {v.id}: {v.date} {v.kind}, {wk}; pain {_logged(v.pain_nrs, '{:g}/10')}; "
            f"run volume {_logged(v.run_volume_km, '{:g} km/week')}; pain-free days "
            f"{_logged(v.pain_free_days)}; phase-3 exercises pain-free: {_logged(v.phase3_pain_free)}")


def readiness_line(program: str, start_date: str, v: VisitRow) -> str:
    """Return-to-run readiness at visit ``v`` (the latest), with the unmet criteria."""
    from gaitlab.protocols.program import load_program, program_status, program_week

    try:
        prog = load_program(program)
    except GaitlabError as exc:
        return f"return to running: unknown, the program does not load ({exc})"
    s = program_status(prog, program_week(start_date, v.date), pain_free_days=v.pain_free_days,
                       phase3_pain_free=v.phase3_pain_free, pain_nrs=v.pain_nrs)
    if s.ready_to_run:
        return f"return to running (at {v.date}): READY"
    return f"return to running (at {v.date}): NOT READY — unmet: " + "; ".join(s.unmet)


@athletes.command("show")
@click.argument("athlete_id")
@click.pass_context
def show(ctx: click.Context, athlete_id: str) -> None:
    """Show an athlete's visits (every readiness input), session files (with a check of
    the recording) and, when enrolled, the return-to-run readiness at the latest visit."""
    with _reg(ctx) as r:
        a = r.athlete(athlete_id)
        assert a is not None
        e = r.enrolment(a.id)
        click.echo(f"{a.id}  {a.name}  sex {a.sex or '-'}  mass {a.body_mass_kg or '-'} kg  "
                   f"involved side {a.involved_side or '-'}")
        click.echo(f"program: {e[0]} since {e[1]} (week 1 = days 0–6 from then)" if e else
                   "program: not enrolled")
        visits = r.visits(a.id)
        if not visits:
            click.echo("  no visits; log one with 'gaitlab athletes visit add' or import a file")
        for v in visits:
            click.echo("  " + visit_line(v, e[1] if e else None))
            for s in r.sessions(v.id):
                click.echo(f"    {s.path}  [{r.verify(s)}]")
        if e and visits:
            click.echo(readiness_line(e[0], e[1], visits[-1]))


@athletes.command("enrol")
@click.argument("athlete_id")
@click.option("--program", default="itbs", show_default=True,
              help="Built-in program name or a program .toml path.")
@click.option("--start", "start_date", required=True, help="Start date, YYYY-MM-DD.")
@click.pass_context
def enrol(ctx: click.Context, athlete_id: str, program: str, start_date: str) -> None:
    """Enrol an athlete in a rehab program."""
    from gaitlab.protocols.program import program_reference

    prog, ref = program_reference(program)
    with _reg(ctx) as r:
        r.enrol(athlete_id, ref, start_date)
    where = "" if ref == prog.name else f" ({ref})"
    click.echo(f"{athlete_id} enrolled in {prog.name}{where} from {start_date}")


@athletes.group("visit")
def visit() -> None:
    """Visits (baseline, reassessment, discharge)."""


def _visit_options(f):  # type: ignore[no-untyped-def]
    for opt in reversed([
        click.option("--kind", type=click.Choice(VISIT_KINDS), default=None),
        click.option("--week", type=int, default=None, help="Program week (0 = baseline)."),
        click.option("--pain", "pain_nrs", type=click.FloatRange(0, 10), default=None,
                     help="Pain, NRS 0–10."),
        click.option("--volume", "run_volume_km", type=click.FloatRange(0), default=None,
                     help="Running volume, km/week."),
        click.option("--pain-free-days", type=click.IntRange(0), default=None,
                     help="Days of pain-free daily activity."),
        click.option("--phase3-pain-free/--phase3-painful", default=None,
                     help="All hip-strengthening exercises pain-free?"),
    ]):
        f = opt(f)
    return f


@visit.command("add")
@click.argument("athlete_id")
@click.option("--date", required=True, help="YYYY-MM-DD.")
@_visit_options
@click.pass_context
def visit_add(ctx: click.Context, athlete_id: str, date: str, kind: str | None, **kw: object) -> None:
    """Log a visit (pain, run volume, readiness answers)."""
    with _reg(ctx) as r:
        kind = kind or ("reassessment" if r.visits(athlete_id) else "baseline")
        v = r.add_visit(athlete_id, kind, date, **kw)  # type: ignore[arg-type]
    click.echo(f"visit {v.id}: {v.athlete_id} {v.kind} on {v.date}")


@visit.command("edit")
@click.argument("visit_id", type=int)
@click.option("--date", default=None, help="YYYY-MM-DD.")
@_visit_options
@click.option("--notes", default=None, help="Free-text note.")
@click.option("--clear", "clear", multiple=True,
              type=click.Choice(["week", "pain", "volume", "pain-free-days", "phase3", "notes"]),
              help="Set a value back to 'not logged' (repeatable).")
@click.pass_context
def visit_edit(ctx: click.Context, visit_id: int, clear: tuple[str, ...], **kw: object) -> None:
    """Correct a logged visit (the id is shown by 'athletes show'): only the options given
    change; --clear FIELD sets one back to not logged."""
    changes = {k: v for k, v in kw.items() if v is not None}
    names = {"week": "week", "pain": "pain_nrs", "volume": "run_volume_km",
             "pain-free-days": "pain_free_days", "phase3": "phase3_pain_free", "notes": "notes"}
    for c in clear:
        changes[names[c]] = None
    if not changes:
        raise click.UsageError("nothing to change; give options such as --pain 2 or --clear pain")
    with _reg(ctx) as r:
        v = r.update_visit(visit_id, **changes)
        e = r.enrolment(v.athlete_id)
    click.echo("  " + visit_line(v, e[1] if e else None))


@visit.command("delete")
@click.argument("visit_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def visit_delete(ctx: click.Context, visit_id: int, yes: bool) -> None:
    """Remove a visit and its session-file entries from the registry (the files stay)."""
    with _reg(ctx) as r:
        v = r.visit(visit_id)
        if not yes:
            click.confirm(f"delete visit {v.id} of {v.athlete_id} ({v.date} {v.kind})?", abort=True)
        v, n = r.delete_visit(visit_id)
    click.echo(f"deleted visit {v.id} of {v.athlete_id} ({v.date} {v.kind}) and {n} session-file "
               "entr" + ("y" if n == 1 else "ies") + "; the files themselves are untouched")


@athletes.command("import")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--athlete", "athlete_id", default=None, help="Athlete id if the file has none.")
@click.option("--date", default=None, help="Visit date (default: the file's created_utc).")
@click.option("--demo", is_flag=True, help="Import the shipped demo athlete (demo-001).")
@_visit_options
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], athlete_id: str | None, date: str | None,
            demo: bool, **kw: object) -> None:
    """Index existing session files (reads /athlete and the root attributes)."""
    if not files and not demo:
        raise click.UsageError("give session files to import, or --demo")
    with _reg(ctx) as r:
        if demo:
            for v, s in import_demo(r):
                click.echo(f"demo-001 {v.kind} {v.date} (week {v.week}): {s.path}")
        for f in files:
            a, v, s = import_session(r, f, athlete_id=athlete_id, date=date, **kw)  # type: ignore[arg-type]
            click.echo(f"{a.id} {v.kind} {v.date}: {s.path}")
