"""Audible metronome without QtMultimedia: a click track rendered as int16 PCM and streamed
through a pipe to a long-running platform audio player.

* :class:`ClickTrack` renders the track block by block (pure numpy, no clock): a click starts
  at the exact sample of each beat, a short Hann-windowed tone burst; every ``accent`` th beat
  is higher. A tempo change takes effect from the next beat on.
* :class:`Metronome` runs a player process (``pw-cat``, ``paplay`` or ``aplay``, whichever is
  on PATH; any command that reads raw s16 mono PCM on stdin can be given) and a writer thread
  that keeps the pipe at most ``lead_s`` ahead of real time, so a tempo change is heard within
  a beat. The stream is continuous (silence between clicks), so click spacing is exact to the
  sample whatever the thread's timing; a late refill only delays the whole track.
* Without a player (macOS, Windows, a Linux box without PipeWire/PulseAudio/ALSA tools)
  :func:`find_player` returns None and the caller falls back to a visual metronome.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Sequence

import numpy as np

from gaitlab.procs import popen_kwargs

FS = 48000
CLICK_S = 0.012  # tone burst length
CLICK_HZ = 1800.0
ACCENT_HZ = 2600.0
AMPLITUDE = 0.5  # of full scale


def click_burst(fs: int = FS, freq_hz: float = CLICK_HZ, length_s: float = CLICK_S,
                amplitude: float = AMPLITUDE) -> np.ndarray:
    """One click as float (−1..1): a cosine tone under a sine (half-wave) window, so its very
    first sample is already non-zero (the click starts exactly on its beat sample) and it fades
    out to nothing without a pop."""
    n = max(2, round(length_s * fs))
    k = np.arange(n)
    return amplitude * np.sin(np.pi * (k + 1) / (n + 1)) * np.cos(2 * np.pi * freq_hz * k / fs)


def beat_samples(start: int, stop: int, first_beat: float, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Beats k = 0, 1, … at sample ``first_beat + k·period`` (rounded) that fall in
    [start, stop): (beat indices k, sample positions)."""
    if period <= 0 or stop <= start:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    k0 = max(0, int(np.ceil((start - 0.5 - first_beat) / period)))
    k = np.arange(k0, int(np.floor((stop - 0.5 - first_beat) / period)) + 2)
    pos = np.rint(first_beat + k * period).astype(np.int64)
    sel = (pos >= start) & (pos < stop)
    return k[sel], pos[sel]


def render_clicks(n: int, beats: np.ndarray, fs: int = FS, accents: np.ndarray | None = None,
                  start: int = 0) -> np.ndarray:
    """int16 PCM of samples [start, start + n): a click starting at each sample position in
    ``beats`` (absolute sample numbers; clicks that began before ``start`` are continued),
    accented where ``accents`` is true."""
    out = np.zeros(n, np.float64)
    beats = np.asarray(beats, np.int64)
    acc = np.zeros(beats.size, bool) if accents is None else np.asarray(accents, bool)
    for hz, sel in ((CLICK_HZ, ~acc), (ACCENT_HZ, acc)):
        burst = click_burst(fs, hz)
        b = beats[sel]
        b = b[(b < start + n) & (b + burst.size > start)]
        if not b.size:
            continue
        # every (click, offset) pair at once: index grid clipped to the block
        idx = (b - start)[:, None] + np.arange(burst.size)[None, :]
        ok = (idx >= 0) & (idx < n)
        np.add.at(out, idx[ok], np.broadcast_to(burst, idx.shape)[ok])
    return np.clip(np.rint(out * 32767), -32768, 32767).astype(np.int16)


class ClickTrack:
    """An endless click track rendered in consecutive blocks; ``set_bpm`` between blocks.

    The first beat is at sample 0. A new tempo keeps the next beat where the old tempo put it
    (unless it is more than one new period away) and spaces the beats after it by the new
    period, so the change is heard within one beat.
    """

    def __init__(self, bpm: float, fs: int = FS, accent: int = 0):
        self.fs = fs
        self.accent = accent  # every n-th beat accented (0: none)
        self.pos = 0  # next sample to render
        self._origin = 0.0  # sample of beat number _k0
        self._k0 = 0
        self.period = 0.0
        self.changes: list[tuple[int, float]] = []  # (sample the new tempo starts at, bpm)
        self._ringing = (np.empty(0, np.int64), np.empty(0, bool))
        self.set_bpm(bpm)

    def set_bpm(self, bpm: float) -> None:
        period = 60.0 * self.fs / bpm if bpm > 0 else 0.0
        if period == self.period:
            return
        if self.period > 0:
            k = max(0, int(np.ceil((self.pos - 0.5 - self._origin) / self.period)))
            nxt = self._origin + k * self.period  # next beat under the old tempo
            self._k0 += k
            self._origin = min(nxt, self.pos + period) if period > 0 else nxt
        self.period = period
        self.changes.append((round(self._origin), float(bpm)))

    def render(self, n: int) -> np.ndarray:
        """The next ``n`` samples (int16)."""
        if self.period > 0:
            k, pos = beat_samples(self.pos, self.pos + n, self._origin, self.period)
            acc = ((k + self._k0) % self.accent == 0) if self.accent else np.zeros(k.size, bool)
        else:
            pos, acc = np.empty(0, np.int64), np.empty(0, bool)
        pos = np.concatenate([self._ringing[0], pos])  # clicks begun in earlier blocks go on
        acc = np.concatenate([self._ringing[1], acc])
        out = render_clicks(n, pos, self.fs, acc, start=self.pos)
        self.pos += n
        keep = pos + round(CLICK_S * self.fs) > self.pos
        self._ringing = (pos[keep], acc[keep])
        return out


PLAYERS: tuple[tuple[str, Sequence[str]], ...] = (
    ("pw-cat", ("--playback", "--format", "s16", "--rate", "{fs}", "--channels", "1",
                "--latency", "40ms", "-")),
    ("paplay", ("--raw", "--format=s16le", "--rate={fs}", "--channels=1", "--latency-msec=40")),
    ("aplay", ("-q", "-t", "raw", "-f", "S16_LE", "-r", "{fs}", "-c", "1", "-B", "40000", "-")),
)


def find_player(fs: int = FS) -> list[str] | None:
    """Command line of the first raw-PCM player on PATH, or None."""
    for exe, args in PLAYERS:
        path = shutil.which(exe)
        if path:
            return [path, *(a.format(fs=fs) for a in args)]
    return None


class Metronome:
    """Stream a :class:`ClickTrack` to ``command`` (stdin: raw s16 mono at ``fs``).

    ``start(bpm)`` launches the player process and the writer thread; ``set_bpm`` changes the
    tempo from the next beat; ``stop()`` ends both. ``available`` is False when there is no
    player (then nothing is started).
    """

    def __init__(self, command: list[str] | None = None, fs: int = FS, lead_s: float = 0.06,
                 period_s: float = 0.01, accent: int = 0):
        self.fs = fs
        self.command = command if command is not None else find_player(fs)
        self.lead_s = min(lead_s, 0.1)
        self.period_s = period_s
        self.accent = accent
        self.track: ClickTrack | None = None
        self.proc: subprocess.Popen | None = None
        self.written = 0  # samples written to the pipe
        self.max_lead_s = 0.0  # largest amount written ahead of real time
        self.error = ""
        self._lock = threading.Lock()
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        return bool(self.command)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, bpm: float) -> bool:
        """Start clicking at ``bpm``; False (and :attr:`error` set) if it cannot."""
        if self.running:
            self.set_bpm(bpm)
            return True
        if not self.command:
            self.error = "no audio player (pw-cat, paplay or aplay) on PATH"
            return False
        try:
            self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         **popen_kwargs())  # dies with the app (gaitlab.procs)
        except OSError as exc:
            self.error = f"cannot start {self.command[0]}: {exc.strerror}"
            return False
        self.track = ClickTrack(bpm, self.fs, self.accent)
        self.written, self.max_lead_s, self.error = 0, 0.0, ""
        self._quit.clear()
        self._thread = threading.Thread(target=self._run, name="gaitlab-metronome", daemon=True)
        self._thread.start()
        return True

    def set_bpm(self, bpm: float) -> None:
        with self._lock:
            if self.track is not None:
                self.track.set_bpm(bpm)

    def stop(self) -> None:
        self._quit.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self.proc is not None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(timeout=2.0)
            self.proc = None

    def _run(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        pipe = self.proc.stdin
        t0 = time.monotonic()
        while not self._quit.is_set():
            elapsed = time.monotonic() - t0
            due = int((elapsed + self.lead_s) * self.fs) - self.written
            if due > 0:
                with self._lock:
                    assert self.track is not None
                    block = self.track.render(due)
                try:
                    pipe.write(block.tobytes())
                    pipe.flush()
                except (BrokenPipeError, OSError, ValueError):
                    self.error = "the audio player stopped"
                    return
                self.written += due
                self.max_lead_s = max(self.max_lead_s, self.written / self.fs - (time.monotonic() - t0))
            self._quit.wait(self.period_s)
