"""``gaitlab report ATHLETE|SESSION... --pdf out.pdf``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from gaitlab.errors import GaitlabError
from gaitlab.registry.cli import DB_HELP


@click.command("report")
@click.argument("targets", nargs=-1)
@click.option("--pdf", "pdf", type=click.Path(path_type=Path), required=True,
              help="Output PDF path.")
@click.option("--db", type=click.Path(path_type=Path), default=None, help=DB_HELP)
@click.option("--program", default=None,
              help="Program name or .toml (default: the athlete's enrolment, else itbs).")
@click.option("--demo", is_flag=True, help="Report on the shipped demo athlete (demo-001).")
def report(targets: tuple[str, ...], pdf: Path, db: Path | None, program: str | None,
           demo: bool) -> None:
    """Clinician report (PDF) for an athlete in the registry, or for session files given in
    visit order (first = baseline)."""
    from gaitlab.io.paths import check_writable

    check_writable(pdf, "--pdf", "report.pdf")  # before the analysis: a bad path fails at once
    from gaitlab.report.data import gather, gather_athlete, registry_visits
    from gaitlab.report.render import render_pdf

    if demo:
        from gaitlab.registry.db import open_registry
        from gaitlab.registry.importer import DEMO_ATHLETE, import_demo

        with tempfile.TemporaryDirectory() as tmp:
            db_demo = Path(tmp) / "demo.sqlite"
            with open_registry(db_demo) as r:
                import_demo(r)
            data = gather_athlete(registry_visits(db_demo, DEMO_ATHLETE), program)
    elif not targets:
        raise click.UsageError("give an athlete id or session files, or --demo")
    elif all(Path(t).exists() for t in targets):
        # no registry: no enrolment date and no visit log, so no program status (FILES_ONLY)
        data = gather(list(targets), None, program)
    elif len(targets) == 1:
        data = gather_athlete(registry_visits(db, targets[0]), program)
    else:
        missing = [t for t in targets if not Path(t).exists()]
        raise GaitlabError(f"{missing[0]}: no such session file; give one athlete id or "
                           "existing session files")
    out = render_pdf(data, pdf)
    s = data.status
    ready = ("; return-to-run readiness unknown" if s is None else "; ready to return to running"
             if s.ready_to_run else f"; not ready to run ({len(s.unmet)} unmet criteria)")
    click.echo(f"report for {data.athlete.get('id', '?')} ({len(data.visits)} visits){ready}: {out}")
    for w in data.warnings:
        click.echo(f"warning: {w}")
