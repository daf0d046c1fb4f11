"""``gaitlab record`` and ``gaitlab repair`` (click commands; the main CLI registers them)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

import click

from gaitlab.athlete import load_profile
from gaitlab.errors import GaitlabError
from gaitlab.io.writer import repair_file
from gaitlab.lab import load_lab
from gaitlab.protocols import load_protocol, session_attrs
from gaitlab.record.filters import StreamFilter
from gaitlab.record.recorder import Recorder, StatusEvent

PLAIN_STATUS_EVERY_S = 5.0


class StatusPrinter:
    """One line refreshed in place on a TTY; a plain line every few seconds otherwise."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self._last_plain = 0.0
        self._dirty = False

    def __call__(self, ev: StatusEvent) -> None:
        if ev.kind == "status":
            if self.tty:
                self.stream.write("\r\x1b[2K" + ev.text)
                self._dirty = True
            elif time.monotonic() - self._last_plain >= PLAIN_STATUS_EVERY_S:
                self._last_plain = time.monotonic()
                self.stream.write(ev.text + "\n")
        else:
            self.end_line()
            prefix = "warning: " if ev.kind == "warning" else ""
            self.stream.write(prefix + ev.text + "\n")
        self.stream.flush()

    def end_line(self) -> None:
        if self._dirty:
            self.stream.write("\n")
            self._dirty = False


@click.command("record")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Session file to write (.h5).")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after this many seconds (default: until Ctrl-C).")
@click.option("--athlete", default=None, help="Athlete profile .toml (or built-in name).")
@click.option("--type", "types", multiple=True, help="Record only streams of this type (repeatable).")
@click.option("--name", "names", multiple=True, help="Record only streams with this name (repeatable).")
@click.option("--source-id", "source_ids", multiple=True,
              help="Record only streams with this source_id (repeatable).")
@click.option("--host", "hosts", multiple=True,
              help="Record only streams from hosts matching this pattern (e.g. 'lab-pc-1', "
                   "'treadmill-*'; repeatable).")
@click.option("--lab", "lab_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Lab profile (.toml, from 'gaitlab lab init'): record exactly its devices.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--protocol", default=None,
              help="Assessment protocol being run (built-in name or .toml): its name and the "
                   "strength trials' sides in order are written into the file.")
@click.option("--strength-order", default=None, metavar="LRLRLR",
              help="Sides of the dynamometer trials in order (one letter = all trials), for "
                   "a recording without trial markers.")
def record(out: Path, duration: float | None, athlete: str | None, types: tuple[str, ...],
           names: tuple[str, ...], source_ids: tuple[str, ...], hosts: tuple[str, ...],
           lab_file: Path | None, overwrite: bool, protocol: str | None,
           strength_order: str | None) -> None:
    """Record LSL streams into one crash-safe HDF5 session file.

    One device per role (EMG, pressure, dynamometer, ...): when two streams on the network
    would serve one role, recording does not start; choose with --lab, --source-id, --name
    or --host."""
    printer = StatusPrinter(sys.stderr if not sys.stdout.isatty() else sys.stdout)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    try:
        profile = load_profile(athlete) if athlete else None
        session = session_attrs(load_protocol(protocol)) if protocol else {}
        if strength_order:
            order = strength_order.strip().upper()
            if not order or set(order) - {"L", "R"}:
                raise GaitlabError(f"--strength-order '{strength_order}': use L and R only, "
                                   "e.g. LRLRLR (or L for every trial)")
            session["strength_order"] = order
        lab = load_lab(lab_file) if lab_file is not None else None
        rec = Recorder(out, profile, StreamFilter(types, names, source_ids, hosts=hosts), printer,
                       overwrite=overwrite, session=session, lab=lab)
        old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            summary = rec.run(duration, stop)
        except GaitlabError as exc:
            if rec.file_left_open:  # full disk: HDF5's exit cleanup would crash, skip it
                printer.end_line()
                click.echo(f"Error: {exc}", err=True)
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(1)
            raise
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            printer.end_line()
    except GaitlabError as exc:
        printer.end_line()
        raise click.ClickException(str(exc)) from None
    for line in summary.lines():
        click.echo(line)


@click.command("repair")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the repaired copy here instead of replacing PATH.")
def repair(path: Path, out: Path | None) -> None:
    """Make an interrupted recording writable again (for 'gaitlab analyze'), or recover what
    a truncated or damaged file still holds into a new file (PATH.recovered.h5 or --out)."""
    try:
        _, summary = repair_file(path, out)
    except GaitlabError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary)
