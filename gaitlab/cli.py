"""The ``gaitlab`` command line.

Sub-commands are imported only when used, so ``gaitlab --help`` is instant and a
command never loads the libraries (liblsl, Qt) another needs. Errors caused by input
(:class:`~gaitlab.errors.GaitlabError`) print as one line, without a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from gaitlab import __version__
from gaitlab.errors import GaitlabError

#: command name -> "module:attribute" of its click command, and a one-line help
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("gaitlab.demo:demo", "Simulated lab end to end: record, analyze, compare with truth."),
    "sim": ("gaitlab.drivers.virtual.cli:sim", "Run the virtual athlete: each device as an LSL stream."),
    "lab": ("gaitlab.lab.cli:lab", "Lab profile: which LSL devices belong to this lab."),
    "record": ("gaitlab.record.cli:record", "Record LSL streams into a crash-safe HDF5 session file."),
    "doctor": ("gaitlab.doctor:doctor", "Check this machine: Qt, LSL, disk, write access, registry, strays."),
    "repair": ("gaitlab.record.cli:repair", "Copy an interrupted recording into a clean, finished file."),
    "analyze": ("gaitlab.analysis.cli:analyze", "Compute the clinical metrics of a session file."),
    "driver": ("gaitlab.drivers.cli:driver", "Bridge a lab device (Mark-10, load cell, Trigno) to LSL."),
    "gui": ("gaitlab.gui.cli:gui", "Desktop app: session console, live views, athlete feedback."),
    "athletes": ("gaitlab.registry.cli:athletes", "Athlete registry: athletes, enrolment, visits, files."),
    "compare": ("gaitlab.compare.cli:compare", "Compare visits: each metric's change against its MDC."),
    "report": ("gaitlab.report.cli:report", "Clinician PDF report: comparison, plots, program progress."),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, _, attr = COMMANDS[cmd_name][0].partition(":")
        cmd = getattr(importlib.import_module(module), attr)
        if not cmd.short_help and not cmd.help:
            cmd.short_help = COMMANDS[cmd_name][1]
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text without importing every command module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GaitlabError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gaitlab")
def cli() -> None:
    """gaitlab — instrumented gait lab for runners with IT band syndrome.

    Devices publish Lab Streaming Layer (LSL) streams; gaitlab records them into HDF5
    session files and computes glute timing, step width / crossover, cadence, contact
    times and hip abductor strength.
    """


def main() -> None:
    try:
        cli.main(prog_name="gaitlab")
    except GaitlabError as exc:  # raised outside a sub-command's invoke (e.g. at import)
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
