"""``gaitlab driver NAME [options]``: bridge one lab device to LSL until stopped.

Each driver prints status lines, reconnects when the link drops, and stops cleanly on
Ctrl-C / SIGTERM (or after ``--duration``). Set-up errors are one line, no traceback.
Runnable without the main CLI too: ``python -m gaitlab.drivers.cli NAME …``.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

import click

from gaitlab.errors import GaitlabError


def _status(msg: str) -> None:
    click.echo(f"{time.strftime('%H:%M:%S')} {msg}")
    sys.stdout.flush()


def _run(start: Callable[[Callable[[], bool]], None], duration: float | None) -> None:
    """Run ``start(should_stop)``; stop on SIGTERM/SIGINT or after ``duration`` s."""
    stop = threading.Event()
    end = time.monotonic() + duration if duration else None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        start(lambda: stop.is_set() or (end is not None and time.monotonic() > end))
    except GaitlabError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    _status("driver: stopped")


_duration = click.option("--duration", type=click.FloatRange(min=0.1), default=None, metavar="S",
                         help="Stop after S seconds (default: run until Ctrl-C).")
_source_id = click.option("--source-id", default=None,
                          help="LSL source_id (default: derived from the device serial number).")


@click.group("driver", context_settings={"help_option_names": ["-h", "--help"]})
def driver() -> None:
    """Bridge a lab device to LSL (Mark-10 gauge, serial load cell, Trigno EMG, Bertec treadmill)."""


@driver.command("mark10")
@click.option("--port", required=True, help="Serial port of the gauge (/dev/ttyUSB0, COM3 …).")
@click.option("--baud", type=int, default=115200, show_default=True,
              help="Must match the gauge's Serial/USB settings.")
@click.option("--rate", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Poll rate in Hz; 0 polls as fast as the gauge answers.")
@click.option("--unit", "set_unit", default=None, metavar="N|LBF|KGF",
              help="Switch the gauge display to this unit at start (data is always sent in N).")
@click.option("--zero", is_flag=True, help="Zero (tare) the gauge at start.")
@click.option("--assume-unit", default=None, metavar="UNIT",
              help="Unit of readings when the gauge's unit output is switched off.")
@click.option("--name", default="Mark-10 Dynamometer", show_default=True, help="LSL stream name.")
@_source_id
@_duration
def mark10(port: str, baud: int, rate: float, set_unit: str | None, zero: bool,
           assume_unit: str | None, name: str, source_id: str | None, duration: float | None) -> None:
    """Mark-10 force gauge (Series 4/5/7) over USB serial -> LSL "Force" stream in N."""
    from gaitlab.drivers.mark10.bridge import Mark10Bridge, SerialConfig

    cfg = SerialConfig(port=port, baud=baud, source_id=source_id, name=name, rate_hz=rate,
                       set_unit=set_unit, zero=zero, default_unit=assume_unit)
    _run(lambda stop: Mark10Bridge(cfg, _status).run(stop), duration)


@driver.command("serial")
@click.option("--port", required=True, help="Serial port of the microcontroller.")
@click.option("--baud", type=int, default=115200, show_default=True)
@click.option("--regex", default=None,
              help="Regular expression finding the force on a line (group 'force', else group 1).")
@click.option("--csv-column", type=int, default=None, help="0-based column of the force in CSV lines.")
@click.option("--delimiter", default=",", show_default=True, help="CSV delimiter.")
@click.option("--unit", default="N", show_default=True, help="Unit of the value after scaling.")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Calibration factor: value = (raw - offset) * scale.")
@click.option("--offset", type=float, default=0.0, show_default=True, help="Raw reading at no load.")
@click.option("--rate", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="The microcontroller's output rate in Hz (0: irregular, stamp on arrival).")
@click.option("--name", default="Serial Dynamometer", show_default=True, help="LSL stream name.")
@_source_id
@_duration
def serial_source(port: str, baud: int, regex: str | None, csv_column: int | None, delimiter: str,
                  unit: str, scale: float, offset: float, rate: float, name: str,
                  source_id: str | None, duration: float | None) -> None:
    """Generic line-based serial load cell (HX711 + microcontroller) -> LSL "Force" in N."""
    from gaitlab.drivers.mark10.bridge import GenericSerialBridge, SerialConfig
    from gaitlab.drivers.mark10.generic import LineFormat

    cfg = SerialConfig(port=port, baud=baud, source_id=source_id, name=name, rate_hz=rate)
    fmt = LineFormat(regex=regex, csv_column=csv_column, delimiter=delimiter, unit=unit,
                     scale=scale, offset=offset)
    _run(lambda stop: GenericSerialBridge(cfg, fmt, _status).run(stop), duration)


@driver.command("trigno")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="PC running Trigno Control Utility / Discover with the SDK server.")
@click.option("--montage", type=click.Path(dir_okay=False), default=None,
              help="TOML file: [sensors] 1 = \"GMED_L\" … (unlisted sensors are labelled Sn).")
@click.option("--cmd-port", type=int, default=50040, show_default=True)
@click.option("--emg-port", type=int, default=50043, show_default=True)
@click.option("--aux-port", type=int, default=50044, show_default=True)
@click.option("--no-aux", is_flag=True, help="Do not publish the AUX (IMU) stream.")
@click.option("--serial", "base_serial", default="", help="Base station serial (for metadata/source_id).")
@_source_id
@_duration
def trigno(host: str, montage: str | None, cmd_port: int, emg_port: int, aux_port: int,
           no_aux: bool, base_serial: str, source_id: str | None, duration: float | None) -> None:
    """Delsys Trigno EMG via the SDK server -> LSL "EMG" (active sensors) + "MoCap" AUX."""
    from gaitlab.drivers.trigno.bridge import TrignoBridge, TrignoOptions, load_montage

    opts = TrignoOptions(host=host, cmd_port=cmd_port, emg_port=emg_port, aux_port=aux_port,
                         montage=load_montage(montage) if montage else None, source_id=source_id,
                         base_serial=base_serial, aux=not no_aux)
    _run(lambda stop: TrignoBridge(opts, _status).run(stop), duration)


@driver.command("bertec")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="PC running the Bertec Treadmill Control Panel.")
@click.option("--port", type=int, default=4000, show_default=True, help="Remote-control TCP port.")
@click.option("--speed", type=click.FloatRange(-10, 10), default=None, metavar="M/S",
              help="Set both belts to this speed once connected (default: only read speeds).")
@click.option("--accel", type=click.FloatRange(0.01, 32.767), default=0.5, show_default=True,
              metavar="M/S2", help="Belt acceleration used for speed changes.")
@click.option("--keep-running", is_flag=True,
              help="Leave the belts at --speed when the driver stops (default: ramp to 0).")
@click.option("--rate", type=click.FloatRange(min=1), default=100.0, show_default=True,
              help="Feedback rate of the control panel in Hz (the stream's nominal rate).")
@click.option("--serial", default="", help="Treadmill serial number (for metadata/source_id).")
@click.option("--model", default="Instrumented Treadmill", show_default=True)
@click.option("--name", default="Bertec Belt Speed", show_default=True, help="LSL stream name.")
@_source_id
@_duration
def bertec(host: str, port: int, speed: float | None, accel: float, keep_running: bool, rate: float,
           serial: str, model: str, name: str, source_id: str | None, duration: float | None) -> None:
    """Bertec treadmill remote control (TCP) -> LSL "BeltSpeed" (speed_L, speed_R in m/s)."""
    from gaitlab.drivers.bertec.bridge import BertecBridge, BertecOptions

    opts = BertecOptions(host=host, port=port, rate_hz=rate, speed=speed, accel=accel,
                         stop_on_exit=not keep_running, serial=serial, model=model, name=name,
                         source_id=source_id)
    _run(lambda stop: BertecBridge(opts, _status).run(stop), duration)


def main() -> None:
    try:
        driver.main(prog_name="gaitlab driver")
    except GaitlabError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
