"""``gaitlab sim``: the virtual athlete's devices as live LSL streams."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import click

from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual.model import resolve_duration
from gaitlab.drivers.virtual.outlets import DEVICES
from gaitlab.drivers.virtual.sim import start_sim
from gaitlab.errors import GaitlabError
from gaitlab.protocols import load_protocol


class _Terminated(Exception):
    pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


@click.command("sim")
@click.option("--athlete", "athlete", default=None, metavar="PROFILE",
              help="Athlete profile: a .toml path or a built-in name (default: default).")
@click.option("--protocol", "protocol", default="assessment", show_default=True,
              metavar="NAME|PATH", help="Protocol: assessment, run, or a .toml path.")
@click.option("--duration", type=click.FloatRange(min=0.5), default=None, metavar="S",
              help="Treadmill run length in s; shorter than the strength block: cut the "
                   "session at S seconds.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the model.")
@click.option("--devices", default=",".join(DEVICES), show_default=True,
              help="Comma-separated devices to start.")
@click.option("--instance", default="0", show_default=True,
              help="Instance id in the streams' source_id (unique per running sim).")
@click.option("--truth", "truth", type=click.Path(dir_okay=False), default=None,
              help="Write the ground truth (events + metrics) as JSON to this path.")
@click.option("--quiet", is_flag=True, help="No status lines.")
def sim(athlete: str | None, protocol: str, duration: float | None, seed: int, devices: str,
        instance: str, truth: str | None, quiet: bool) -> None:
    """Simulate a lab session: EMG, pressure treadmill, dynamometer and markers over LSL."""
    handle = None
    old = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        profile = load_profile(athlete)
        proto = load_protocol(protocol)
        run_s, max_s = resolve_duration(proto, duration)
        handle = start_sim(profile, proto, seed=seed, instance=instance, devices=devices,
                           run_duration_s=run_s, max_duration_s=max_s, truth_path=truth)
        if not quiet:
            click.echo(f"sim: athlete {profile.athlete.id}, protocol {proto.name}, "
                       f"{handle.model.duration_s:.1f} s, t0 = {handle.t0:.3f} (LSL), "
                       f"streams {', '.join(handle.source_ids.values())}")
        code = handle.wait(status=None if quiet else sys.stdout)
    except GaitlabError as exc:
        if handle is not None:
            handle.stop()
        raise click.ClickException(str(exc)) from None
    except (KeyboardInterrupt, _Terminated):
        if handle is not None:
            handle.stop()
        click.echo("sim: stopped", err=True)
        code = 0
    finally:
        signal.signal(signal.SIGTERM, old)
    if code != 0:
        sys.exit(code)
    if not quiet:
        click.echo("sim: session complete")
