"""Throughput and latency of the Bertec driver against its TCP emulator.

The emulator (this process) streams 32-byte feedback frames at 100 Hz (and, with
``--rate 1000``, at 1 kHz); the driver runs as a subprocess publishing "BeltSpeed".
Measured: frames/s arriving at an LSL inlet, latency from the emulator writing a
frame to that frame being pulled from the inlet.
Run: python3 benchmarks/drivers_bertec.py [seconds] [rate_hz]
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import numpy as np
import pylsl

from gaitlab.drivers.emulators.bertec import BertecEmulator


def main(seconds: float = 10.0, rate: float = 100.0) -> None:
    emu = BertecEmulator(rate_hz=rate).start()
    sid = f"bench-btc-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([sys.executable, "-m", "gaitlab.drivers.cli", "bertec", "--port",
                             str(emu.port), "--rate", str(rate), "--source-id", sid,
                             "--duration", str(seconds + 5)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        inlet = pylsl.StreamInlet(pylsl.resolve_byprop("source_id", sid, timeout=10)[0],
                                  max_buflen=60)
        inlet.open_stream(timeout=5)
        time.sleep(0.5)
        inlet.flush()
        buf = np.zeros((4096, 2), np.float32)
        got, arrivals = 0, []
        first_sent = emu.frames_sent
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            _, ts = inlet.pull_chunk(timeout=0.005, max_samples=4096, dest_obj=buf)
            if ts:
                got += len(ts)
                arrivals.append((got, time.monotonic()))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        emu.close()
    sent = np.asarray(emu.send_times)
    lat = []
    for n, t in arrivals:
        k = np.searchsorted(sent[:, 0], first_sent + n)
        if k < len(sent):
            lat.append((t - sent[k, 1]) * 1e3)
    lat_a = np.asarray(lat)
    print(f"feedback frames received {got} in {seconds:.0f} s -> {got / seconds:.1f} frames/s "
          f"(nominal {rate:g})")
    print(f"latency frame sent->inlet ms: median {np.median(lat_a):.2f}, "
          f"p95 {np.percentile(lat_a, 95):.2f}, max {lat_a.max():.2f}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0,
         float(sys.argv[2]) if len(sys.argv) > 2 else 100.0)
