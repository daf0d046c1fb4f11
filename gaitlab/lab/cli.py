"""``gaitlab lab init`` and ``gaitlab lab check``: the lab profile from the network."""

from __future__ import annotations

import socket
from pathlib import Path

import click

from gaitlab.errors import GaitlabError
from gaitlab.lab.network import scan
from gaitlab.lab.profile import ROLE_WORDS, lab_toml, load_lab, rivals, rivals_error
from gaitlab.record.filters import StreamFilter

_FILTER_OPTIONS = [
    click.option("--type", "types", multiple=True, help="Only streams of this type (repeatable)."),
    click.option("--name", "names", multiple=True, help="Only streams with this name (repeatable)."),
    click.option("--source-id", "source_ids", multiple=True,
                 help="Only the stream with this source_id (repeatable)."),
    click.option("--host", "hosts", multiple=True,
                 help="Only streams from hosts matching this pattern, e.g. 'lab-pc-1' or "
                      "'treadmill-*' (repeatable)."),
]


def _filters(f):  # type: ignore[no-untyped-def]
    for opt in reversed(_FILTER_OPTIONS):
        f = opt(f)
    return f


@click.group("lab")
def lab() -> None:
    """The lab profile: which LSL devices belong to this lab (gaitlab record --lab FILE)."""


@lab.command("init")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("lab.toml"),
              show_default=True, help="Lab profile to write.")
@click.option("--lab-name", default=None, help="Name of the lab (default: this host's name).")
@click.option("--wait", "wait_s", type=click.FloatRange(0.2, 30), default=2.0, show_default=True,
              help="Seconds to look at the network.")
@click.option("--no-host-pin", is_flag=True,
              help="Pin devices by source_id only (for a lab whose PCs change names).")
@click.option("--overwrite", is_flag=True, help="Replace an existing profile.")
@_filters
def init(out: Path, lab_name: str | None, wait_s: float, no_host_pin: bool, overwrite: bool,
         types: tuple[str, ...], names: tuple[str, ...], source_ids: tuple[str, ...],
         hosts: tuple[str, ...]) -> None:
    """Write a lab profile pinning the devices on the network now (one per role)."""
    if out.exists() and not overwrite:
        raise GaitlabError(f"{out} exists; pass --overwrite to replace it or --out another file")
    devices, notes = scan(wait_s, StreamFilter(types, names, source_ids, hosts=hosts))
    for n in notes:
        click.echo(f"warning: {n}", err=True)
    if not devices:
        raise GaitlabError("no LSL streams on the network: switch the lab's devices on (or "
                           "start 'gaitlab sim'), then run 'gaitlab lab init' again")
    explicit = set(source_ids)
    groups = [g for g in rivals(devices) if not {d.source_id for d in g} <= explicit]
    if groups:
        raise GaitlabError(rivals_error(groups[0], None).replace(
            "--lab FILE (make one: gaitlab lab init), ", ""))
    text = lab_toml(lab_name or socket.gethostname(), devices, pin_host=not no_host_pin)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GaitlabError(f"{out}: cannot write ({exc.strerror}); choose another --out") from None
    for d in devices:
        click.echo(f"  {ROLE_WORDS.get(d.role, d.role):>16}: {d.describe()}")
    click.echo(f"wrote {out}: {len(devices)} device(s); record with 'gaitlab record --lab {out} --out FILE'")


@lab.command("check")
@click.argument("profile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--wait", "wait_s", type=click.FloatRange(0.2, 30), default=2.0, show_default=True,
              help="Seconds to look at the network.")
def check(profile: Path, wait_s: float) -> None:
    """Which of the profile's devices are on the network now, and which streams are not the lab's."""
    labp = load_lab(profile)
    devices, notes = scan(wait_s)
    for n in notes:
        click.echo(f"warning: {n}", err=True)
    missing = 0
    for i, rule in enumerate(labp.devices):
        hits = [d for d in devices if labp.rule_for(d) == i]
        if not hits:
            missing += 1
            click.echo(f"  missing : {rule.describe()}")
        elif len(hits) > 1:
            click.echo(f"  TWO     : {rivals_error(hits, labp)}")
        else:
            click.echo(f"  ok      : {rule.describe()} -> {hits[0].describe()}")
    for d in devices:
        if labp.rule_for(d) is None:
            why = labp.impostor(d)
            if why:
                click.echo(f"  IMPOSTOR: {why}")
            else:
                click.echo(f"  other   : {d.describe()} (not this lab's: not recorded)")
    if missing:
        raise GaitlabError(f"{missing} of {len(labp.devices)} lab device(s) not on the network; "
                           "switch them on, or update the profile with 'gaitlab lab init --overwrite'")
