"""Bertec treadmill remote control (TCP 4000): pure packet builder and parsers.

Layout (as used by public MATLAB/Python clients of the Bertec Treadmill Control Panel;
read, not copied):

Command, 64 bytes, client -> treadmill::

    [0]      format byte, 0
    [1:9]    4 x int16 big-endian belt speeds in mm/s: right, left, right rear, left rear
    [9:17]   4 x uint16 big-endian accelerations in mm/s^2 (same order, must be > 0)
    [17:19]  uint16 big-endian incline in 0.01 deg
    [19:37]  bitwise complement (255 - b) of bytes 1..18
    [37:64]  zero padding

Feedback, 32 bytes, treadmill -> client, back to back at the control panel's rate::

    [0]      format byte
    [1:9]    4 x int16 big-endian actual belt speeds in mm/s (same order)
    [9:11]   int16 big-endian incline in 0.01 deg
    [11:32]  padding

Feedback carries no checksum, so :class:`FeedbackParser` locks on by plausibility:
speeds within ±``max_speed``, incline within ±45°, consecutive frames within
``max_step`` of each other, and (once the stream has shown it) a zero format byte and
zero padding. After garbage or a partial frame it slides byte by byte until two
consecutive frames agree again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitlab.errors import GaitlabError

DEFAULT_PORT = 4000
CMD_BYTES = 64
FB_BYTES = 32
_PAYLOAD = slice(1, 19)
_CHECK = slice(19, 37)
MAX_INCLINE_CDEG = 4500
MAX_SPEED_MM_S = 10_000  # no Bertec belt runs faster than 10 m/s
MAX_STEP_MM_S = 1_000  # per feedback frame; belts accelerate far slower
STRICT_AFTER = 8  # frames buffered without a zero-padded candidate -> relax the signature


class CorruptFrame(GaitlabError):
    """A command packet whose complement bytes do not match its payload."""


@dataclass(frozen=True)
class Command:
    """A decoded remote-control command (SI units)."""

    speed_r: float  # m/s
    speed_l: float
    accel_r: float  # m/s^2
    accel_l: float
    incline_deg: float
    rear_speeds: tuple[float, float] = (0.0, 0.0)


def build_command(left: float, right: float, accel: float = 1.0, incline_deg: float = 0.0,
                  accel_right: float | None = None) -> bytes:
    """64-byte command setting the belt speeds (m/s), acceleration (m/s^2) and incline (deg)."""
    acc_r = accel if accel_right is None else accel_right
    vals = np.array([right, left, accel, acc_r, incline_deg], dtype=float)
    if not np.isfinite(vals).all():
        raise GaitlabError("Bertec command has a NaN/infinite speed, acceleration or incline; "
                           "give finite numbers")
    if max(abs(left), abs(right)) * 1000 > MAX_SPEED_MM_S:
        raise GaitlabError(f"belt speed {max(abs(left), abs(right)):g} m/s is beyond "
                           f"{MAX_SPEED_MM_S / 1000:g} m/s; give a speed in m/s (not km/h)")
    if not (0 < accel <= 32.767 and 0 < acc_r <= 32.767):
        raise GaitlabError(f"acceleration {accel:g} m/s^2 must be > 0 and <= 32.767 m/s^2")
    if not 0 <= incline_deg <= MAX_INCLINE_CDEG / 100:
        raise GaitlabError(f"incline {incline_deg:g} deg must be between 0 and 45 deg")
    speeds = np.round(np.array([right, left, 0.0, 0.0]) * 1000).astype(">i2")
    accels = np.round(np.array([acc_r, accel, accel, accel]) * 1000).astype(">u2")
    incline = np.array([round(incline_deg * 100)], dtype=">u2")
    payload = np.frombuffer(speeds.tobytes() + accels.tobytes() + incline.tobytes(), np.uint8)
    packet = np.zeros(CMD_BYTES, np.uint8)
    packet[_PAYLOAD] = payload
    packet[_CHECK] = ~payload
    return packet.tobytes()


def parse_command(packet: bytes) -> Command:
    """Decode a 64-byte command; :class:`CorruptFrame` if its length or complement is wrong."""
    if len(packet) != CMD_BYTES:
        raise CorruptFrame(f"Bertec command is {len(packet)} bytes, expected {CMD_BYTES}")
    raw = np.frombuffer(packet, np.uint8)
    if not np.array_equal(raw[_CHECK], ~raw[_PAYLOAD]):
        raise CorruptFrame("Bertec command complement check failed; frame corrupted in transit")
    body = raw[_PAYLOAD].tobytes()
    speeds = np.frombuffer(body[0:8], ">i2") / 1000.0
    accels = np.frombuffer(body[8:16], ">u2") / 1000.0
    incline = int(np.frombuffer(body[16:18], ">u2")[0]) / 100.0
    return Command(float(speeds[0]), float(speeds[1]), float(accels[0]), float(accels[1]),
                   incline, (float(speeds[2]), float(speeds[3])))


def build_feedback(speed_r_mm_s: np.ndarray, speed_l_mm_s: np.ndarray,
                   incline_cdeg: np.ndarray | int = 0) -> bytes:
    """Feedback frames (n x 32 bytes) from integer speeds in mm/s and incline in 0.01 deg."""
    r = np.atleast_1d(np.asarray(speed_r_mm_s))
    n = len(r)
    frames = np.zeros((n, FB_BYTES), np.uint8)
    vals = np.zeros((n, 5), ">i2")
    vals[:, 0] = r
    vals[:, 1] = np.broadcast_to(speed_l_mm_s, n)
    vals[:, 4] = np.broadcast_to(incline_cdeg, n)
    frames[:, 1:11] = vals.view(np.uint8).reshape(n, 10)
    return frames.tobytes()


def decode_feedback(frames: np.ndarray) -> np.ndarray:
    """(n, 32) uint8 frames -> (n, 5) int32: speed R, L, R rear, L rear (mm/s), incline (0.01 deg)."""
    body = np.ascontiguousarray(frames[:, 1:11])
    return body.view(">i2").reshape(len(frames), 5).astype(np.int32)


class FeedbackParser:
    """Feedback bytes in any split (with garbage) -> (n, 5) int32 frames, see :func:`decode_feedback`."""

    def __init__(self, max_speed_mm_s: int = MAX_SPEED_MM_S,
                 max_step_mm_s: int = MAX_STEP_MM_S) -> None:
        self.max_speed = max_speed_mm_s
        self.max_step = max_step_mm_s
        self._buf = bytearray()
        self._last: np.ndarray | None = None
        self._continues = False  # does the stream after this sync continue from _last?
        self.locked = False
        self.strict: bool | None = None  # zero format byte + padding required?
        self.frames = 0
        self.dropped_bytes = 0
        self.resyncs = 0

    def _valid(self, w: np.ndarray, vals: np.ndarray, strict: bool) -> np.ndarray:
        ok = (np.abs(vals[:, :4]) <= self.max_speed).all(axis=1)
        ok &= np.abs(vals[:, 4]) <= MAX_INCLINE_CDEG
        if strict:
            ok &= (w[:, 0] == 0) & ~w[:, 11:].any(axis=1)
        return ok

    def _find_sync(self) -> int | None:
        """Offset of the first pair of consecutive frames that are valid and agree."""
        if len(self._buf) < 2 * FB_BYTES:
            return None
        arr = np.frombuffer(bytes(self._buf), np.uint8)
        w = np.lib.stride_tricks.sliding_window_view(arr, FB_BYTES)
        vals = decode_feedback(w)
        m = len(w) - FB_BYTES  # candidates k with a full frame at k + 32
        step_ok = (np.abs(vals[:m, :4] - vals[FB_BYTES:, :4]) <= self.max_step).all(axis=1)
        modes = [True] if self.strict else [False] if self.strict is False else [True, False]
        for strict in modes:
            if strict is False and self.strict is None and len(arr) < STRICT_AFTER * FB_BYTES:
                return None  # wait for more data before giving up on the zero-padded signature
            ok = self._valid(w, vals, strict)
            hit = np.flatnonzero(ok[:m] & ok[FB_BYTES:] & step_ok)
            self._continues = False
            if len(hit) and self._last is not None:
                # zero-filled frames also look valid shifted by a few bytes; prefer the
                # alignment that continues the last accepted frame
                near = (np.abs(vals[hit, :4] - self._last) <= self.max_step).all(axis=1)
                if near.any():
                    hit, self._continues = hit[near], True
                elif len(arr) < STRICT_AFTER * FB_BYTES:
                    return None
            if len(hit):
                self.strict = strict
                return int(hit[0])
        keep = 2 * FB_BYTES - 1
        self.dropped_bytes += len(self._buf) - keep
        del self._buf[:-keep]
        return None

    def feed(self, data: bytes) -> np.ndarray:
        self._buf += data
        out: list[np.ndarray] = []
        while True:
            if not self.locked:
                k = self._find_sync()
                if k is None:
                    break
                self.dropped_bytes += k
                del self._buf[:k]
                self.locked = True
            n = len(self._buf) // FB_BYTES
            if n == 0:
                break
            w = np.frombuffer(bytes(self._buf[: n * FB_BYTES]), np.uint8).reshape(n, FB_BYTES)
            vals = decode_feedback(w)
            good = self._valid(w, vals, bool(self.strict))
            prev = vals[:, :4].copy()
            prev[1:] = vals[:-1, :4]
            if self._last is not None and self._continues:
                prev[0] = self._last
            good &= (np.abs(vals[:, :4] - prev) <= self.max_step).all(axis=1)
            m = n if good.all() else int(np.argmin(good))
            if m:
                out.append(vals[:m])
                self._last, self._continues = vals[m - 1, :4], True
                self.frames += m
            del self._buf[: m * FB_BYTES]
            if m < n:  # lost sync: slide on from the next byte
                del self._buf[:1]
                self.dropped_bytes += 1
                self.locked = False
                self.resyncs += 1
        return np.concatenate(out) if out else np.empty((0, 5), np.int32)

    @property
    def pending_bytes(self) -> int:
        return len(self._buf)
