"""TCP transport to the Trigno SDK server: command link, data sockets, discovery."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from gaitlab.drivers.trigno.protocol import (
    EMG_SLOTS,
    ReplyParser,
    command,
    parse_number,
    parse_yes_no,
)
from gaitlab.errors import GaitlabError


class LinkLost(Exception):
    """A socket to the base station closed or failed mid-stream."""


def connect(host: str, port: int, what: str, timeout_s: float = 3.0) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        raise GaitlabError(f"no Trigno SDK server on {host}:{port} ({what}: {exc.strerror or exc}); "
                           "start Trigno Control Utility / Discover with the SDK server enabled "
                           "and check --host") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class CommandLink:
    def __init__(self, host: str, port: int, timeout_s: float = 2.0) -> None:
        self.sock = connect(host, port, "command port")
        self.timeout_s = timeout_s
        self.parser = ReplyParser()
        self._pending: list[str] = []
        self.banner = self._next() or ""

    def _next(self) -> str | None:
        deadline = time.monotonic() + self.timeout_s
        while not self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return None
            except OSError as exc:
                raise LinkLost(str(exc)) from None
            if not data:
                raise LinkLost("command port closed by the base station")
            self._pending += self.parser.feed(data)
        return self._pending.pop(0)

    def request(self, text: str) -> str:
        self._pending.clear()
        try:
            self.sock.sendall(command(text))
        except OSError as exc:
            raise LinkLost(str(exc)) from None
        reply = self._next()
        if reply is None:
            raise LinkLost(f"no reply to '{text}'")
        return reply

    def close(self) -> None:
        self.sock.close()


@dataclass(frozen=True)
class Sensor:
    slot: int  # 1-based
    type: str
    mode: int
    start_index: int
    channel_count: int
    emg_rate_hz: float
    units: str
    gain: float


@dataclass
class BaseConfig:
    banner: str
    frame_interval_s: float
    emg_rate_hz: float
    aux_rate_hz: float
    sensors: list[Sensor] = field(default_factory=list)


def _num(link: CommandLink, text: str, default: float | None = None) -> float:
    value = parse_number(link.request(text))
    if value is None:
        if default is not None:
            return default
        raise GaitlabError(f"Trigno base station answered '{text}' with something that is not a "
                           "number; update Trigno Control Utility or check --host")
    return value


def discover(link: CommandLink, backwards_compatible: bool = True,
             upsample: bool = True) -> BaseConfig:
    """Set the base station's mode and read frame timing and active sensors."""
    for flag, name in ((backwards_compatible, "BACKWARDS COMPATIBILITY"), (upsample, "UPSAMPLE")):
        reply = link.request(f"{name} {'ON' if flag else 'OFF'}")
        if reply.upper() != "OK":
            raise GaitlabError(f"Trigno base station refused '{name}' ({reply}); stop other "
                               "clients' acquisition and retry")
    frame = _num(link, "FRAME INTERVAL?")
    n_emg = _num(link, "MAX SAMPLES EMG?")
    n_aux = _num(link, "MAX SAMPLES AUX?")
    if frame <= 0 or n_emg <= 0 or n_aux <= 0:
        raise GaitlabError("Trigno base station reports a zero frame interval or sample count; "
                           "restart Trigno Control Utility")
    cfg = BaseConfig(link.banner, frame, n_emg / frame, n_aux / frame)
    for n in range(1, EMG_SLOTS + 1):
        if not parse_yes_no(link.request(f"SENSOR {n} ACTIVE?")):
            continue
        cfg.sensors.append(Sensor(
            slot=n,
            type=link.request(f"SENSOR {n} TYPE?"),
            mode=int(_num(link, f"SENSOR {n} MODE?", -1)),
            start_index=int(_num(link, f"SENSOR {n} STARTINDEX?", n)),
            channel_count=int(_num(link, f"SENSOR {n} CHANNELCOUNT?", 1)),
            emg_rate_hz=_num(link, f"SENSOR {n} CHANNEL 1 RATE?", cfg.emg_rate_hz),
            units=link.request(f"SENSOR {n} CHANNEL 1 UNITS?"),
            gain=_num(link, f"SENSOR {n} CHANNEL 1 GAIN?", 1.0),
        ))
    return cfg
