"""Bertec Treadmill Control Panel remote-control emulator on 127.0.0.1 (ephemeral port).

Accepts one client at a time. Incoming bytes are cut into 64-byte command frames;
a frame whose complement check fails is rejected (counted in ``rejected``, belts
unchanged). Each belt ramps towards its commanded speed at its commanded
acceleration; the actual speeds are streamed as 32-byte feedback frames at
``rate_hz``, paced by a monotonic clock.

Faults: ``split`` (each write cut into random pieces: partial frames), ``garbage``
(probability per tick of inserting 1-40 random non-zero bytes before the frame),
``corrupt`` (probability per tick of sending a frame with impossible values instead
of the real one), :meth:`drop` (disconnect mid-stream; new connections accepted).
"""

from __future__ import annotations

import socket
import time

import numpy as np

from gaitlab.drivers.bertec.protocol import CMD_BYTES, CorruptFrame, build_feedback, parse_command
from gaitlab.drivers.emulators.tcp import TcpEmulator, accept_loop, hard_close, listen_local


class BertecEmulator(TcpEmulator):
    def __init__(self, *, rate_hz: float = 100.0, incline_deg: float = 1.5, split: bool = False,
                 garbage: float = 0.0, corrupt: float = 0.0, seed: int = 0) -> None:
        self.rate_hz = rate_hz
        self.incline_cdeg = round(incline_deg * 100)
        self.split, self.garbage, self.corrupt = split, garbage, corrupt
        self.rng = np.random.default_rng(seed)
        self.server = listen_local(2)
        self.port: int = self.server.getsockname()[1]
        self.client: socket.socket | None = None
        self.speed = np.zeros(2)  # actual (right, left) m/s
        self.target = np.zeros(2)
        self.accel = np.ones(2)
        self.commands: list = []  # accepted Command objects
        self.rejected = 0
        self.frames_sent = 0
        self.send_times: list[tuple[int, float]] = []  # (frames sent so far, monotonic)
        self._setup([self.server], [(self._accept, ()), (self._pump, ())])

    def drop(self) -> None:
        """Close the client connection mid-stream (cable pulled, control panel closed)."""
        with self._lock:
            c, self.client = self.client, None
        if c is not None:
            hard_close(c)

    def _accept(self) -> None:
        accept_loop(self.server, self._stop, self._lock, self._set_client, self._serve)

    def _set_client(self, conn: socket.socket) -> socket.socket | None:
        old, self.client = self.client, conn
        return old

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        conn.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            buf += data
            while len(buf) >= CMD_BYTES:
                frame, buf = buf[:CMD_BYTES], buf[CMD_BYTES:]
                try:
                    cmd = parse_command(frame)
                except CorruptFrame:
                    self.rejected += 1
                    continue
                with self._lock:
                    self.target = np.array([cmd.speed_r, cmd.speed_l])
                    self.accel = np.array([cmd.accel_r, cmd.accel_l])
                    self.incline_cdeg = round(cmd.incline_deg * 100)
                self.commands.append(cmd)

    def _frame(self) -> bytes:
        mm = np.round(self.speed * 1000).astype(int)
        if self.corrupt and self.rng.random() < self.corrupt:
            return build_feedback(np.array([30_000]), -30_000, 9_000)
        data = build_feedback(mm[:1], mm[1], self.incline_cdeg)
        if self.garbage and self.rng.random() < self.garbage:
            noise = self.rng.integers(1, 256, int(self.rng.integers(1, 41)), dtype=np.uint8)
            data = noise.tobytes() + data
        return data

    def _send(self, data: bytes) -> None:
        with self._lock:
            conn = self.client
        if conn is None:
            return
        pieces = [data]
        if self.split and len(data) > 1:
            cuts = np.sort(self.rng.integers(1, len(data), 2))
            pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        try:
            for p in pieces:
                conn.sendall(p)
        except OSError:
            with self._lock:
                if self.client is conn:
                    self.client = None

    def _pump(self) -> None:
        dt = 1.0 / self.rate_hz
        next_t = time.monotonic()
        while not self._stop.is_set():
            next_t += dt
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.monotonic()
            with self._lock:
                step = np.clip(self.target - self.speed, -self.accel * dt, self.accel * dt)
                self.speed = self.speed + step
                connected = self.client is not None
            if connected:
                self._send(self._frame())
                self.frames_sent += 1
                self.send_times.append((self.frames_sent, time.monotonic()))
