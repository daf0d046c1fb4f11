"""``gaitlab gui [--simulate]``."""

from __future__ import annotations

import os
import sys
import uuid

import click


def has_display() -> bool:
    """Whether Qt can open a window here: a display server, or a platform chosen by the user."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # Windows and macOS always have a window system


@click.command(help="The clinician's session console (and athlete feedback window).")
@click.option("--simulate", is_flag=True, help="Also start the virtual athlete on LSL.")
@click.option("--protocol", default="assessment", show_default=True,
              help="Protocol of the simulated session (with --simulate).")
@click.option("--out-dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder for session files.")
@click.pass_context
def gui(ctx: click.Context, simulate: bool, protocol: str, out_dir: str) -> None:
    if not has_display():
        if simulate:
            # A machine without a screen (a server, CI): run the same simulated lab headless.
            from gaitlab.demo import demo

            click.echo("gaitlab gui: no display (DISPLAY/WAYLAND_DISPLAY unset); running the "
                       "headless simulated lab instead (gaitlab demo)", err=True)
            ctx.invoke(demo)
            return
        raise click.ClickException("no display (DISPLAY/WAYLAND_DISPLAY unset): the desktop app "
                                   "needs a screen; run it in a desktop session, or 'gaitlab demo' "
                                   "for the headless simulated lab")

    from gaitlab.gui.app import run_app

    sim = None
    if simulate:
        from gaitlab.athlete import load_profile
        from gaitlab.drivers.virtual.sim import start_sim
        from gaitlab.protocols import load_protocol

        sim = start_sim(load_profile("default"), load_protocol(protocol),
                        instance=f"gui-{uuid.uuid4().hex[:8]}", run_duration_s=600.0)
    try:
        raise SystemExit(run_app(out_dir))
    finally:
        if sim is not None:
            sim.stop()
