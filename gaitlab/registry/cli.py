"""``gaitlab athletes ...``: the athlete registry from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from gaitlab.registry.db import VISIT_KINDS, Registry, open_registry
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


@athletes.command("show")
@click.argument("athlete_id")
@click.pass_context
def show(ctx: click.Context, athlete_id: str) -> None:
    """Show an athlete's visits and session files (with a content-hash check)."""
    with _reg(ctx) as r:
        a = r.athlete(athlete_id)
        assert a is not None
        e = r.enrolment(a.id)
        click.echo(f"{a.id}  {a.name}  sex {a.sex or '-'}  mass {a.body_mass_kg or '-'} kg  "
                   f"involved side {a.involved_side or '-'}")
        click.echo(f"program: {e[0]} since {e[1]}" if e else "program: not enrolled")
        for v in r.visits(a.id):
            wk = "-" if v.week is None else v.week
            click.echo(f"  visit {v.id}: {v.date} {v.kind:12s} week {wk}  pain "
                       f"{'-' if v.pain_nrs is None else f'{v.pain_nrs:g}'}/10  run volume "
                       f"{'-' if v.run_volume_km is None else f'{v.run_volume_km:g}'} km")
            for s in r.sessions(v.id):
                click.echo(f"    {s.path}  [{r.verify(s)}]")


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
