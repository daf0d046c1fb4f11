"""``gaitlab gui [--simulate]``, ``gaitlab gui --compare FILE...``, ``gaitlab gui --athletes``."""

from __future__ import annotations

import os
import signal
import sys
import uuid
from pathlib import Path

import click


def has_display() -> bool:
    """Whether Qt can open a window here: a display server, or a platform chosen by the user."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # Windows and macOS always have a window system


@click.command(help="The clinician's session console (and athlete feedback window); with "
               "--compare FILE... or --athletes, the comparison or athlete registry view.")
@click.option("--simulate", is_flag=True, help="Also start the virtual athlete on LSL.")
@click.option("--protocol", default="assessment", show_default=True,
              help="Protocol of the simulated session (with --simulate).")
@click.option("--lab", "lab_file", type=click.Path(dir_okay=False), default=None,
              help="Lab profile (.toml, from 'gaitlab lab init' or the console): record only its devices.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder for session files.")
@click.option("--compare", "compare", is_flag=True,
              help="Open the comparison of the session FILES (baseline first; sorted by date).")
@click.option("--athletes", "athletes", is_flag=True, help="Open the athlete registry view.")
@click.option("--athlete", "athlete_id", default=None,
              help="With --compare: compare this registry athlete's visits instead of FILES.")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="Registry file (default: $GAITLAB_HOME/registry.sqlite or ~/.local/share/gaitlab/).")
@click.argument("files", nargs=-1, type=click.Path())
@click.pass_context
def gui(ctx: click.Context, simulate: bool, protocol: str, lab_file: str | None, out_dir: str,
        compare: bool,
        athletes: bool, athlete_id: str | None, db: str | None, files: tuple[str, ...]) -> None:
    if files and not compare:
        raise click.UsageError("session FILES are for --compare")
    if compare and athletes:
        raise click.UsageError("choose one of --compare and --athletes")
    if compare and not athlete_id and len(files) < 2:
        raise click.UsageError("--compare needs at least two session files (or --athlete ID)")
    if (compare or athletes) and not has_display():
        raise click.ClickException("no display (DISPLAY/WAYLAND_DISPLAY unset): the views need a "
                                   "screen; use 'gaitlab compare' or 'gaitlab athletes' instead")
    if has_display():
        _require_qt_libraries()
    if compare or athletes:
        raise SystemExit(run_view(files, athlete_id, db, athletes))
    if (simulate or has_display()) and not Path(out_dir).is_dir():
        try:
            Path(out_dir).mkdir(parents=True)
        except OSError as exc:
            raise click.ClickException(f"--out-dir {out_dir}: cannot create it ({exc.strerror}); "
                                       "pick a folder you can write to") from None
    if not has_display():
        if simulate:
            # A machine without a screen (a server, CI): run the same simulated lab headless,
            # into --out-dir, with --protocol if given (else the demo's own short protocol)
            from gaitlab.demo import default_out, demo

            click.echo("gaitlab gui: no display (DISPLAY/WAYLAND_DISPLAY unset); running the "
                       "headless simulated lab instead (gaitlab demo)", err=True)
            given = ctx.get_parameter_source("protocol") is not click.core.ParameterSource.DEFAULT
            ctx.invoke(demo, out=default_out(Path(out_dir)), **({"protocol": protocol} if given else {}))
            return
        raise click.ClickException("no display (DISPLAY/WAYLAND_DISPLAY unset): the desktop app "
                                   "needs a screen; run it in a desktop session, or 'gaitlab demo' "
                                   "for the headless simulated lab")

    from gaitlab.gui.app import run_app
    from gaitlab.lab import load_lab

    lab = load_lab(lab_file) if lab_file else None
    sim = None
    # SIGTERM before the window is up acts like Ctrl-C (then run_app's own handlers take over)
    old = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if simulate:
            from gaitlab.athlete import load_profile
            from gaitlab.drivers.virtual.sim import start_sim
            from gaitlab.protocols import load_protocol

            sim = start_sim(load_profile("default"), load_protocol(protocol),
                            instance=f"gui-{uuid.uuid4().hex[:8]}", run_duration_s=600.0)
        ours = tuple(f"sid:{x}" for x in sim.source_ids.values()) if sim is not None else ()
        rc = run_app(out_dir, lab, ours)
    except KeyboardInterrupt:
        click.echo("gaitlab gui: stopped", err=True)
        rc = 0
    finally:
        signal.signal(signal.SIGTERM, old)
        if sim is not None:
            sim.stop()  # the devices also stop by themselves if this process dies (gaitlab.procs)
    raise SystemExit(rc)


def _require_qt_libraries() -> None:
    """One line naming the packages to install, instead of Qt's multi-line abort."""
    from gaitlab.gui.qt_libs import QtLibrariesMissing, check_qt_platform

    try:
        check_qt_platform()
    except QtLibrariesMissing as exc:
        click.echo(f"gaitlab gui: {exc}", err=True)
        raise SystemExit(1) from None


def run_view(files: tuple[str, ...], athlete_id: str | None, db: str | None, athletes: bool) -> int:
    """Open the comparison (files or a registry athlete) or the registry view on its own."""
    from gaitlab.gui.qt_libs import check_qt_platform

    check_qt_platform()
    from PySide6 import QtCore, QtWidgets

    from gaitlab.gui.compare_view import CompareView
    from gaitlab.gui.registry_view import RegistryView

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    win: QtWidgets.QMainWindow
    if athletes:
        win = RegistryView(db)
    else:
        view = CompareView()
        if athlete_id:
            view.load_athlete(db, athlete_id)
        else:
            view.load_files(list(files), by_date=True)
        win = view
    win.show()
    from gaitlab.gui.signals import quit_on_signals

    with quit_on_signals(app):
        rc = app.exec()
    win.setAttribute(QtCore.Qt.WidgetAttribute.WA_QuitOnClose, False)  # the loop has ended
    win.close()
    return rc
