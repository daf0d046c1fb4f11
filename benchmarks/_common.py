"""Shared parts of the driver benchmarks (drivers_bertec/trigno/mark10.py): the driver
subprocess, the LSL inlet, the pull loop and the latency statistics.

Imported as ``from _common import ...``: the benchmarks run as scripts
(``python3 benchmarks/drivers_x.py``), which puts benchmarks/ first on sys.path.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pylsl


def start_driver(*args: str) -> subprocess.Popen:
    """``gaitlab driver …`` as a subprocess with its output discarded."""
    return subprocess.Popen([sys.executable, "-m", "gaitlab.drivers.cli", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def open_inlet(source_id: str) -> pylsl.StreamInlet:
    """Resolve the stream with ``source_id`` (10 s) and open an inlet on it (60 s buffer)."""
    inlet = pylsl.StreamInlet(pylsl.resolve_byprop("source_id", source_id, timeout=10)[0],
                              max_buflen=60)
    inlet.open_stream(timeout=5)
    return inlet


def stop(proc: subprocess.Popen, emu) -> None:
    """Terminate the driver subprocess, then close the emulator."""
    proc.terminate()
    proc.wait(timeout=10)
    emu.close()


def pull_arrivals(inlet: pylsl.StreamInlet, buf: np.ndarray, seconds: float,
                  timeout: float) -> tuple[int, list[tuple[int, float]]]:
    """Pull for ``seconds``; (samples pulled, [(samples so far, monotonic arrival), ...])."""
    got, arrivals = 0, []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        _, ts = inlet.pull_chunk(timeout=timeout, max_samples=len(buf), dest_obj=buf)
        if ts:
            got += len(ts)
            arrivals.append((got, time.monotonic()))
    return got, arrivals


def frame_latencies_ms(arrivals: list[tuple[int, float]], send_times: list[tuple[int, float]],
                       first_sent: int) -> np.ndarray:
    """For each pull, ms from the emulator sending the frame that completed the pulled
    samples (``send_times``: (sent so far, monotonic)) to the pull."""
    sent = np.asarray(send_times)
    lat = []
    for n, t in arrivals:
        k = np.searchsorted(sent[:, 0], first_sent + n)
        if k < len(sent):
            lat.append((t - sent[k, 1]) * 1e3)
    return np.asarray(lat)


def latency_line(what: str, lat: np.ndarray) -> str:
    return (f"latency {what} ms: median {np.median(lat):.2f}, "
            f"p95 {np.percentile(lat, 95):.2f}, max {lat.max():.2f}")
