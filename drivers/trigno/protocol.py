"""Delsys Trigno SDK server protocol: pure parsers, bytes in, frames out.

From the Trigno SDK user guide (public): the command port (50040) takes ASCII commands
ended by CR LF; the server terminates each reply packet with CR LF CR LF and greets a
new client with its protocol version. Data ports stream little-endian IEEE float32
samples back to back with no header: EMG (50043) 16 sensor slots per sample, in V; AUX
(50044) 144 channels per sample (9 per sensor slot: accelerometer, gyroscope and
magnetometer x/y/z for IMU sensors) at the AUX rate. A data reader must therefore
always consume whole multiples of channels × 4 bytes.
"""

from __future__ import annotations

import re

import numpy as np

PACKET_END = b"\r\n\r\n"
EMG_SLOTS = 16
AUX_PER_SENSOR = 9
AUX_CHANNELS = EMG_SLOTS * AUX_PER_SENSOR
MAX_REPLY = 4096


def command(text: str) -> bytes:
    return text.strip().encode("ascii") + PACKET_END


class ReplyParser:
    """Command-port replies: feed any byte split, get complete reply strings.

    Non-printable bytes are dropped; a reply that grows past ``MAX_REPLY`` without a
    terminator is discarded as garbage.
    """

    _NOISE = re.compile(rb"[^\x20-\x7e\r\n]+")

    def __init__(self) -> None:
        self._buf = b""
        self.dropped_bytes = 0

    def feed(self, data: bytes) -> list[str]:
        clean = self._NOISE.sub(b"", data)
        self.dropped_bytes += len(data) - len(clean)
        self._buf += clean
        *done, self._buf = self._buf.split(PACKET_END)
        if len(self._buf) > MAX_REPLY:
            self.dropped_bytes += len(self._buf)
            self._buf = b""
        return [r.decode("ascii").strip() for r in done if r.strip()]


class FrameParser:
    """Data-port bytes -> (n, channels) float32 array of whole samples."""

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self.frame_bytes = channels * 4
        self._buf = bytearray()
        self.samples = 0

    def feed(self, data: bytes) -> np.ndarray:
        self._buf += data
        n = len(self._buf) // self.frame_bytes
        if n == 0:
            return np.empty((0, self.channels), np.float32)
        cut = n * self.frame_bytes
        out = np.frombuffer(bytes(self._buf[:cut]), dtype="<f4").reshape(n, self.channels)
        del self._buf[:cut]
        self.samples += n
        return out.astype(np.float32)

    @property
    def pending_bytes(self) -> int:
        return len(self._buf)


def parse_yes_no(reply: str) -> bool | None:
    r = reply.strip().upper()
    return True if r == "YES" else False if r == "NO" else None


def parse_number(reply: str) -> float | None:
    try:
        return float(reply.strip())
    except ValueError:
        return None
