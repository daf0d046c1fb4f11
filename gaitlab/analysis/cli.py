"""``gaitlab analyze FILE.h5 [--json]`` (registered on the main CLI by gaitlab.cli)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from gaitlab.analysis.pipeline import analyze_session, store
from gaitlab.analysis.report import format_table
from gaitlab.errors import GaitlabError


@click.command("analyze")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the metrics contract as JSON only.")
@click.option("--no-store", is_flag=True, help="Do not write the results into the file.")
@click.option("--device", "devices", multiple=True, metavar="ROLE=KEY",
              help="Analyse this stream for a role (e.g. emg=gaitlab-sim_EMG_2), when the file "
                   "holds two of one role and no device choice (repeatable).")
@click.option("--gait", "gait_mode", type=click.Choice(["auto", "walking", "running"]),
              default="auto", show_default=True,
              help="Gait mode: detected from the contacts (double support or flight), or forced.")
def analyze(file: Path, as_json: bool, no_store: bool, devices: tuple[str, ...],
            gait_mode: str) -> None:
    """Compute gait, EMG and strength metrics of a session file and store them in it."""
    picks: dict[str, str] = {}
    for d in devices:
        role, eq, key = d.partition("=")
        if not eq or not role.strip() or not key.strip():
            raise click.BadParameter(f"'{d}': write ROLE=KEY, e.g. emg=gaitlab-sim_EMG",
                                     param_hint="--device")
        picks[role.strip()] = key.strip()
    try:
        params: dict = {"gait": {"mode": gait_mode}}
        if picks:
            params["devices"] = picks
        res = analyze_session(file, params)
    except GaitlabError as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from None
    except Exception as exc:  # bad input must never end in a traceback
        if os.environ.get("GAITLAB_DEBUG"):
            raise
        first = (str(exc).splitlines() or [""])[0]
        raise click.ClickException(
            f"{file}: analysis failed ({type(exc).__name__}: {first}); "
            "set GAITLAB_DEBUG=1 for details") from None
    if not no_store:
        store(file, res)
    if as_json:
        click.echo(json.dumps(res.metrics, indent=2))
        if not no_store and not res.stored:
            click.echo(f"metrics not stored in the file: {res.store_error}", err=True)
        return
    click.echo(format_table(res))
    if no_store:
        click.echo("metrics not stored (--no-store)")
    elif res.stored:
        click.echo(f"metrics stored in {file} (/analysis)")
    else:
        click.echo(f"metrics not stored in the file: {res.store_error}")
