"""Delsys Trigno SDK server emulator on 127.0.0.1 (ephemeral ports), with faults.

Command port: greeting banner, then replies to the SDK commands (``INVALID COMMAND``
otherwise). After START, streams EMG (16 float32 per sample) and AUX (144 float32 per
sample) in real time, one frame interval at a time. Sensor n's EMG is
``n * 1e-3 + 1e-4 * sin(2π·(10+n)·t)`` V and its AUX channel j is ``n + j / 10``, so a
test can tell which slot a published channel came from.

Faults: ``split`` (each frame written in random pieces), ``garbage`` (line noise on the
command port before replies), ``invalid`` (commands answered ``INVALID COMMAND``),
:meth:`drop` (all connections closed mid-stream; new connections are accepted).
"""

from __future__ import annotations

import contextlib
import socket
import time

import numpy as np

from gaitlab.drivers.emulators.tcp import TcpEmulator, accept_loop, hard_close, listen_local
from gaitlab.drivers.trigno.protocol import EMG_SLOTS, PACKET_END

BANNER = "Delsys Trigno System Digital Protocol Version 3.6.0 (emulator)"


class TrignoEmulator(TcpEmulator):
    def __init__(self, active: tuple[int, ...] = (1, 2, 3, 4), *, frame_interval_s: float = 0.0135,
                 emg_per_frame: int = 27, aux_per_frame: int = 2, split: bool = False,
                 garbage: bool = False, invalid: tuple[str, ...] = (), seed: int = 0) -> None:
        self.active = set(active)
        self.frame_s, self.n_emg, self.n_aux = frame_interval_s, emg_per_frame, aux_per_frame
        self.split, self.garbage, self.invalid = split, garbage, set(invalid)
        self.rng = np.random.default_rng(seed)
        self.servers = {k: listen_local(4) for k in ("cmd", "emg", "aux")}
        self.ports = {k: s.getsockname()[1] for k, s in self.servers.items()}
        self.clients: dict[str, socket.socket | None] = {"cmd": None, "emg": None, "aux": None}
        self.running = False
        self.commands: list[str] = []
        self.sent_emg = 0  # EMG samples sent (per slot)
        self.send_times: list[tuple[int, float]] = []  # (EMG samples sent so far, monotonic)
        self._setup(list(self.servers.values()),
                    [(self._accept, (k,)) for k in self.servers] + [(self._pump, ())])

    def drop(self) -> None:
        """Close every client connection (a network cable pulled mid-stream)."""
        with self._lock:
            self.running = False
            for k, c in self.clients.items():
                if c is not None:
                    hard_close(c)
                self.clients[k] = None

    # -- signals ------------------------------------------------------------------
    def emg(self, first: int, n: int) -> np.ndarray:
        t = (first + np.arange(n))[:, None] * (self.frame_s / self.n_emg)
        slot = np.arange(1, EMG_SLOTS + 1)[None, :]
        x = slot * 1e-3 + 1e-4 * np.sin(2 * np.pi * (10 + slot) * t)
        x[:, [s - 1 for s in range(1, EMG_SLOTS + 1) if s not in self.active]] = 0.0
        return x.astype("<f4")

    def aux(self, n: int) -> np.ndarray:
        base = (np.arange(EMG_SLOTS)[:, None] + 1 + np.arange(9)[None, :] / 10).ravel()
        return np.repeat(base[None, :], n, axis=0).astype("<f4")

    # -- threads --------------------------------------------------------------------
    def _accept(self, kind: str) -> None:
        def swap(conn: socket.socket) -> socket.socket | None:
            old, self.clients[kind] = self.clients[kind], conn
            return old

        accept_loop(self.servers[kind], self._stop, self._lock, swap,
                    self._serve_cmd if kind == "cmd" else None)

    def _reply(self, conn: socket.socket, text: str) -> None:
        data = text.encode() + PACKET_END
        if self.garbage and self.rng.random() < 0.3:
            data = bytes(self.rng.integers(0, 32, 5, dtype=np.uint8).tobytes()).replace(
                b"\r", b"").replace(b"\n", b"") + data
        conn.sendall(data)

    def _serve_cmd(self, conn: socket.socket) -> None:
        buf = b""
        with contextlib.suppress(OSError):
            self._reply(conn, BANNER)
            while not self._stop.is_set():
                conn.settimeout(0.1)
                try:
                    data = conn.recv(4096)
                except TimeoutError:
                    continue
                if not data:
                    return
                buf += data
                while b"\r\n" in buf:
                    line, _, buf = buf.partition(b"\r\n")
                    cmd = line.decode("ascii", "replace").strip().upper()
                    if cmd:
                        self.commands.append(cmd)
                        self._reply(conn, self._answer(cmd))

    def _answer(self, cmd: str) -> str:
        if cmd in self.invalid:
            return "INVALID COMMAND"
        if cmd == "START":
            self.running = True
            return "OK"
        if cmd == "STOP":
            self.running = False
            return "OK"
        if cmd.startswith(("BACKWARDS COMPATIBILITY", "UPSAMPLE")) and cmd.endswith(("ON", "OFF")):
            return "OK"
        if cmd == "FRAME INTERVAL?":
            return f"{self.frame_s}"
        if cmd == "MAX SAMPLES EMG?":
            return str(self.n_emg)
        if cmd == "MAX SAMPLES AUX?":
            return str(self.n_aux)
        parts = cmd.split()
        if len(parts) >= 3 and parts[0] == "SENSOR" and parts[1].isdigit():
            n = int(parts[1])
            if not 1 <= n <= EMG_SLOTS:
                return "INVALID COMMAND"
            on = n in self.active
            q = " ".join(parts[2:])
            answers = {"PAIRED?": "YES" if on else "NO", "ACTIVE?": "YES" if on else "NO",
                       "TYPE?": "O", "MODE?": "66", "STARTINDEX?": str(n),
                       "CHANNELCOUNT?": "10"}
            if q in answers:
                return answers[q]
            if len(parts) == 5 and parts[2] == "CHANNEL":
                rate = self.n_emg / self.frame_s if parts[3] == "1" else self.n_aux / self.frame_s
                return {"RATE?": f"{rate:.3f}", "UNITS?": "V" if parts[3] == "1" else "g",
                        "GAIN?": "300"}.get(parts[4], "INVALID COMMAND")
        return "INVALID COMMAND"

    def _send(self, kind: str, data: bytes) -> None:
        with self._lock:
            conn = self.clients[kind]
        if conn is None:
            return
        pieces = [data]
        if self.split:
            cuts = np.sort(self.rng.integers(1, len(data), 3))
            pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        try:
            for p in pieces:
                conn.sendall(p)
        except OSError:
            with self._lock:
                if self.clients[kind] is conn:
                    self.clients[kind] = None

    def _pump(self) -> None:
        next_t = time.monotonic()
        while not self._stop.is_set():
            next_t += self.frame_s
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.monotonic()
            if not self.running:
                continue
            self._send("emg", self.emg(self.sent_emg, self.n_emg).tobytes())
            self._send("aux", self.aux(self.n_aux).tobytes())
            self.sent_emg += self.n_emg
            self.send_times.append((self.sent_emg, time.monotonic()))
