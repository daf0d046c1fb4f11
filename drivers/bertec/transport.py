"""TCP link to the Bertec Treadmill Control Panel's remote-control port (default 4000)."""

from __future__ import annotations

import socket
import threading

from gaitlab.drivers.bertec.protocol import build_command
from gaitlab.errors import GaitlabError


class LinkLost(Exception):
    """The control panel closed the connection or the network failed mid-stream."""


def connect(host: str, port: int, timeout_s: float = 3.0) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        raise GaitlabError(f"no Bertec Treadmill Control Panel on {host}:{port} "
                           f"({exc.strerror or exc}); start it, enable Settings → TCP/IP remote "
                           "control, press its remote-control button and check --host/--port") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class BertecControl:
    """Set belt speeds on a connected treadmill (the API the GUI calls).

    Thread-safe: the bridge reads feedback from ``sock`` in its own loop while a GUI
    thread calls :meth:`set_speed`. ``incline_deg`` is re-sent with every command
    (the protocol has no "keep incline" value), so it defaults to the incline last
    reported by the treadmill, never to 0.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._lock = threading.Lock()
        self.incline_deg = 0.0  # updated from feedback by the bridge
        self.commanded: tuple[float, float] | None = None  # (left, right) m/s

    @classmethod
    def open(cls, host: str = "127.0.0.1", port: int = 4000) -> BertecControl:
        return cls(connect(host, port))

    def set_speed(self, left: float, right: float | None = None, accel: float = 0.5,
                  incline_deg: float | None = None) -> None:
        """Command belt speeds in m/s (``right`` defaults to ``left``), accel in m/s^2."""
        right = left if right is None else right
        packet = build_command(left, right, accel,
                               self.incline_deg if incline_deg is None else incline_deg)
        with self._lock:
            try:
                self.sock.sendall(packet)
            except OSError as exc:
                raise LinkLost(str(exc)) from None
        self.commanded = (left, right)

    def stop(self, accel: float = 0.5) -> None:
        self.set_speed(0.0, 0.0, accel)

    def close(self) -> None:
        self.sock.close()
