"""Trigno base station -> LSL: an EMG stream of the active sensors and an AUX (MoCap) stream.

EMG: type "EMG", one float32 channel per active sensor, labelled from a montage file
(sensor slot -> GMED_L …), unit V. AUX: type "MoCap" following the XDF meta-data
conventions (desc/channels/channel/{label, marker, type, unit}, desc/setup/markers):
per active sensor 9 channels, acceleration (g), angular velocity (deg/s) and magnetic
field (uT), x/y/z. Samples are stamped from a running sample counter anchored to the
LSL clock at the first packet (re-anchored when it drifts > 50 ms from arrival time).
"""

from __future__ import annotations

import select
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pylsl

from gaitlab.drivers.common import append_mocap_channels, retry_with_backoff
from gaitlab.drivers.trigno.protocol import AUX_CHANNELS, AUX_PER_SENSOR, EMG_SLOTS, FrameParser
from gaitlab.drivers.trigno.transport import BaseConfig, CommandLink, LinkLost, connect, discover
from gaitlab.errors import GaitlabError

Status = Callable[[str], None]
AUX_KINDS = (("Acceleration", "g"), ("AngularVelocity", "deg/s"), ("MagneticField", "uT"))
REANCHOR_S = 0.05


@dataclass
class TrignoOptions:
    host: str = "127.0.0.1"
    cmd_port: int = 50040
    emg_port: int = 50043
    aux_port: int = 50044
    montage: dict[int, str] | None = None
    source_id: str | None = None
    base_serial: str = ""
    aux: bool = True
    reconnect_max_s: float = 2.0


def load_montage(path: str | Path) -> dict[int, str]:
    """``[sensors]`` table of slot number -> label (``1 = "GMED_L"``)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GaitlabError(f"montage file {path} not found; give a TOML file with a [sensors] "
                           "table (1 = \"GMED_L\" …)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GaitlabError(f"montage file {path} is not valid TOML ({exc})") from None
    table = data.get("sensors")
    if not isinstance(table, dict) or not table:
        raise GaitlabError(f"montage file {path} has no [sensors] table (1 = \"GMED_L\" …)")
    out: dict[int, str] = {}
    for key, label in table.items():
        if not str(key).isdigit() or not 1 <= int(key) <= EMG_SLOTS or not isinstance(label, str):
            raise GaitlabError(f"montage {path}: '{key} = {label!r}' must map a sensor number "
                               f"1-{EMG_SLOTS} to a label string")
        out[int(key)] = label.strip()
    return out


def emg_info(cfg: BaseConfig, labels: list[str], source_id: str, serial: str) -> pylsl.StreamInfo:
    info = pylsl.StreamInfo("Trigno EMG", "EMG", len(labels), cfg.emg_rate_hz, pylsl.cf_float32,
                            source_id)
    desc = info.desc()
    _device(desc, serial, cfg.banner)
    chans = desc.append_child("channels")
    for s, label in zip(cfg.sensors, labels, strict=True):
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", "V")
        ch.append_child_value("type", "EMG")
        ch.append_child_value("sensor", str(s.slot))
        ch.append_child_value("gain", repr(s.gain))
    return info


def aux_info(cfg: BaseConfig, labels: list[str], source_id: str, serial: str) -> pylsl.StreamInfo:
    n = len(labels) * AUX_PER_SENSOR
    info = pylsl.StreamInfo("Trigno AUX", "MoCap", n, cfg.aux_rate_hz, pylsl.cf_float32, source_id)
    desc = info.desc()
    _device(desc, serial, cfg.banner)
    append_mocap_channels(desc, labels, AUX_KINDS)
    return info


def _device(desc: pylsl.XMLElement, serial: str, banner: str) -> None:
    desc.append_child_value("manufacturer", "Delsys")
    desc.append_child_value("model", "Trigno")
    desc.append_child_value("serial", serial or "unknown")
    desc.append_child_value("protocol", banner)


class Clock:
    """Stamps for a fixed-rate sample counter, anchored to arrival times."""

    def __init__(self, rate_hz: float) -> None:
        self.rate = rate_hz
        self.t0: float | None = None
        self.count = 0

    def stamps(self, n: int, arrival: float) -> np.ndarray:
        last = (self.count + n - 1) / self.rate
        if self.t0 is None or abs(self.t0 + last - arrival) > REANCHOR_S:
            self.t0 = arrival - last
        out = self.t0 + (self.count + np.arange(n)) / self.rate
        self.count += n
        return out


class TrignoBridge:
    def __init__(self, opts: TrignoOptions, status: Status = print) -> None:
        self.opts = opts
        self.status = status
        self.emg_outlet: pylsl.StreamOutlet | None = None
        self.aux_outlet: pylsl.StreamOutlet | None = None
        self.slots: list[int] = []
        self.reconnects = 0
        self.nonfinite = 0
        self.emg_samples = 0

    def _start(self, first: bool) -> tuple[CommandLink, list]:
        o = self.opts
        link = CommandLink(o.host, o.cmd_port)
        try:
            cfg = discover(link)
            if not cfg.sensors:
                raise GaitlabError("no active Trigno sensors; take the sensors off the charger, pair "
                                   "them in Trigno Control Utility and retry")
            slots = [s.slot for s in cfg.sensors]
            montage = o.montage or {}
            if first:
                labels = [montage.get(s, f"S{s}") for s in slots]
                sid = o.source_id or f"trigno:{o.base_serial or o.host}"
                self.emg_outlet = pylsl.StreamOutlet(emg_info(cfg, labels, sid + ":emg",
                                                              o.base_serial), 0, 60)
                if o.aux:
                    self.aux_outlet = pylsl.StreamOutlet(aux_info(cfg, labels, sid + ":aux",
                                                                  o.base_serial), 0, 60)
                self.slots, self.cfg = slots, cfg
                missing = sorted(set(montage) - set(slots))
                self.status(f"trigno: {link.banner or 'base station'} at {o.host}; EMG "
                            f"{cfg.emg_rate_hz:.3f} Hz, AUX {cfg.aux_rate_hz:.3f} Hz; sensors "
                            + ", ".join(f"{s}={lab}" for s, lab in zip(slots, labels, strict=True))
                            + f"; LSL source_id {sid}:emg"
                            + (f"; montage sensors not active: {missing}" if missing else ""))
            elif slots != self.slots:
                self.status(f"trigno: active sensors changed to {slots}; publishing the "
                            f"original set {self.slots} (restart the driver to change it)")
            socks = [connect(o.host, o.emg_port, "EMG data port")]
            if o.aux:
                socks.append(connect(o.host, o.aux_port, "AUX data port"))
            reply = link.request("START")
            if reply.upper() != "OK":
                raise GaitlabError(f"Trigno base station refused START ({reply}); stop other "
                                   "clients' acquisition and retry")
        except LinkLost as exc:
            link.close()
            raise GaitlabError(f"Trigno link failed during set-up ({exc})") from None
        except GaitlabError:
            link.close()
            raise
        return link, socks

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        link, socks = self._start(first=True)
        emg_cols = np.asarray(self.slots) - 1
        aux_cols = ((np.asarray(self.slots)[:, None] - 1) * AUX_PER_SENSOR
                    + np.arange(AUX_PER_SENSOR)).ravel()
        while True:
            why = self._stream(link, socks, emg_cols, aux_cols, should_stop)
            for s in (*socks, link.sock):
                s.close()
            if why is None:
                return
            self.status(f"trigno: link lost ({why}); reconnecting to {self.opts.host} …")
            started = retry_with_backoff(lambda: self._start(first=False), should_stop,
                                         self.opts.reconnect_max_s)
            if started is None:
                return
            link, socks = started
            self.reconnects += 1
            self.status("trigno: reconnected")

    def _stream(self, link: CommandLink, socks: list, emg_cols: np.ndarray, aux_cols: np.ndarray,
                should_stop: Callable[[], bool]) -> str | None:
        parsers = [FrameParser(EMG_SLOTS), FrameParser(AUX_CHANNELS)]
        outlets = [self.emg_outlet, self.aux_outlet]
        cols = [emg_cols, aux_cols]
        clocks = [Clock(self.cfg.emg_rate_hz), Clock(self.cfg.aux_rate_hz)]
        last_data = time.monotonic()
        while not should_stop():
            ready, _, _ = select.select([*socks, link.sock], [], [], 0.1)
            now = pylsl.local_clock()
            if link.sock in ready:
                try:
                    if not link.sock.recv(4096):
                        return "command port closed"
                except OSError as exc:
                    return str(exc)
            for k, sock in enumerate(socks):
                if sock not in ready:
                    continue
                try:
                    data = sock.recv(65536)
                except OSError as exc:
                    return str(exc)
                if not data:
                    return "data port closed by the base station"
                last_data = time.monotonic()
                frames = parsers[k].feed(data)
                if len(frames):
                    x = np.ascontiguousarray(frames[:, cols[k]])
                    bad = ~np.isfinite(x)
                    if bad.any():
                        self.nonfinite += int(bad.sum())
                        x[bad] = np.nan
                    outlets[k].push_chunk(x, clocks[k].stamps(len(x), now).tolist())
                    if k == 0:
                        self.emg_samples += len(x)
            if time.monotonic() - last_data > 2.0:
                return "no data for 2 s"
        try:
            link.request("STOP")
        except LinkLost:
            pass
        return None
