"""``gaitlab demo``: the simulated lab end to end.

The virtual athlete's devices start as separate processes publishing LSL streams; the
recorder records exactly those streams into a session file; the analysis computes the
metrics from that file alone; and the result is printed against the simulation's
ground truth. Nothing in the measured column is taken from the simulator: it comes from
the recorded file.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import click

from gaitlab.athlete import load_profile
from gaitlab.errors import GaitlabError

END_MARGIN_S = 0.6  # wait this long after the last sample is due, for its chunk to arrive


def default_out(folder: Path | None = None) -> Path:
    """``gaitlab-demo-<date>-<time>.h5`` in ``folder`` (default: the current folder)."""
    return (folder or Path.cwd()) / f"gaitlab-demo-{datetime.now():%Y%m%d-%H%M%S}.h5"


@click.command("demo")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Session file to write (default: ./gaitlab-demo-<date>-<time>.h5).")
@click.option("--athlete", default=None, help="Athlete profile .toml or built-in name (default athlete).")
@click.option("--protocol", default="demo", show_default=True,
              help="Protocol .toml or built-in name (demo: the assessment battery, compressed to ~1 min).")
@click.option("--run-duration", type=click.FloatRange(min=5, max=3600), default=None,
              help="Length of the treadmill run in s (default: the protocol's).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed of the virtual athlete.")
@click.option("--json", "as_json", is_flag=True, help="Print measured, true and errors as JSON.")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def demo(out: Path | None, athlete: str | None, protocol: str, run_duration: float | None,
         seed: int, as_json: bool, overwrite: bool) -> None:
    """Record a simulated assessment, analyze it and print measured against true values."""
    from gaitlab.analysis import analyze_session, store
    from gaitlab.analysis.report import format_table
    from gaitlab.drivers.virtual.outlets import source_id
    from gaitlab.drivers.virtual.sim import parse_devices, start_sim
    from gaitlab.drivers.virtual.truth import metrics_dict
    from gaitlab.protocols import load_protocol, session_attrs
    from gaitlab.record.filters import StreamFilter
    from gaitlab.record.recorder import Recorder, StatusEvent
    from gaitlab.validate import compare, format_rows

    profile = load_profile(athlete)
    proto = load_protocol(protocol)
    out = out or default_out()
    say = (lambda *a: click.echo(*a, err=True)) if as_json else click.echo
    instance = f"demo-{os.getpid()}-{int(time.time())}"
    devices = parse_devices(None)
    ids = tuple(source_id(profile.athlete.id, d, instance) for d in devices)

    def on_status(ev: StatusEvent) -> None:
        if ev.kind == "warning":
            say(f"recorder warning: {ev.text}")

    rec = Recorder(out, athlete=profile, filters=StreamFilter(source_ids=ids), status=on_status,
                   overwrite=overwrite, session=session_attrs(proto))
    stop = threading.Event()
    result: dict[str, object] = {}

    def record() -> None:
        try:
            result["summary"] = rec.run(stop_event=stop)
        except GaitlabError as exc:
            result["error"] = exc

    say(f"gaitlab demo: athlete '{profile.athlete.name or profile.athlete.id}', protocol "
        f"'{protocol}', seed {seed}")
    th = threading.Thread(target=record, name="recorder", daemon=True)
    th.start()
    sim = None
    old = signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM: like Ctrl-C
    try:
        sim = start_sim(profile, proto, seed=seed, instance=instance, devices=devices,
                        run_duration_s=run_duration)
        say(f"simulated lab running: {len(devices)} device processes, "
            f"session {sim.model.duration_s:.1f} s; recording into {out}")
        if not _follow(sim, rec, say, th):
            raise GaitlabError("a simulated device process died; see the line above")
    except KeyboardInterrupt:
        say("\ninterrupted: stopping the simulated lab and closing the session file")
        raise SystemExit(130) from None
    finally:
        signal.signal(signal.SIGTERM, old)
        if sim is not None:
            sim.stop()
        stop.set()
        th.join(timeout=30)
    if "error" in result:
        if rec.file_left_open:  # full disk: HDF5's exit cleanup would crash, skip it
            click.echo(f"Error: {result['error']}", err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)
        raise result["error"]  # type: ignore[misc]
    summary = result["summary"]
    for line in summary.lines():  # type: ignore[attr-defined]
        say(line)

    res = analyze_session(out)
    store(out, res)
    truth = metrics_dict(sim.model)
    rows = compare(res.metrics, truth)
    if as_json:
        click.echo(json.dumps({"session": str(out), "measured": res.metrics, "true": truth,
                               "rows": [r.__dict__ for r in rows]}, indent=1))
    else:
        say("")
        say(format_table(res))
        say("")
        say("Measured (from the recorded file) against the virtual athlete's ground truth:")
        say(format_rows(rows))
    judged = [r for r in rows if r.ok is not None]
    n_ok = sum(bool(r.ok) for r in judged)
    say(f"\n{n_ok}/{len(judged)} acceptance checks within limits; session file: {out}")
    if res.store_error:
        say(f"metrics not stored in the file: {res.store_error}")


def _follow(sim, rec, say, th: threading.Thread) -> bool:  # type: ignore[no-untyped-def]
    """Wait until the simulated session's last sample has been recorded (its time + a
    margin for the last chunk), printing one progress line per second. False when a
    device process died."""
    import pylsl

    tty = sys.stdout.isatty()
    last = 0.0
    while pylsl.local_clock() < sim.t_end + END_MARGIN_S:
        if sim.failed():
            sim.wait(timeout=0)  # prints which device died
            return False
        if not th.is_alive():
            break  # the recorder stopped with an error; the caller reports it
        time.sleep(0.1)
        now = time.monotonic()
        if now - last >= (1.0 if tty else 5.0):
            last = now
            line = f"{sim.status_line()} | {rec.status_line()}"
            if tty:
                click.echo("\r\x1b[2K" + line[:200], nl=False)
            else:
                say(line)
    if tty:
        click.echo("")
    return True
