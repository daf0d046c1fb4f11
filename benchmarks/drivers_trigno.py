"""Throughput and latency of the Trigno driver against its TCP emulator.

The emulator (this process) streams 16 EMG slots at 2000 Hz and 144 AUX channels at
148 Hz in 13.5 ms frames; the driver runs as a subprocess publishing 4 active sensors.
Measured: EMG samples/s arriving at an LSL inlet, and latency from the emulator
writing a frame to that frame's last sample being pulled from the inlet.
Run: python3 benchmarks/drivers_trigno.py [seconds]
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import numpy as np
import pylsl

from gaitlab.drivers.emulators.trigno import TrignoEmulator


def main(seconds: float = 10.0) -> None:
    emu = TrignoEmulator(active=(1, 2, 3, 4)).start()
    sid = f"bench-trg-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([sys.executable, "-m", "gaitlab.drivers.cli", "trigno",
                             "--cmd-port", str(emu.ports["cmd"]), "--emg-port", str(emu.ports["emg"]),
                             "--aux-port", str(emu.ports["aux"]), "--source-id", sid,
                             "--duration", str(seconds + 5)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        inlet = pylsl.StreamInlet(pylsl.resolve_byprop("source_id", sid + ":emg", timeout=10)[0],
                                  max_buflen=60)
        inlet.open_stream(timeout=5)
        buf = np.zeros((4096, 4), np.float32)
        got, arrivals = 0, []
        first_sent = emu.sent_emg
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            _, ts = inlet.pull_chunk(timeout=0.01, max_samples=4096, dest_obj=buf)
            if ts:
                got += len(ts)
                arrivals.append((got, time.monotonic()))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        emu.close()
    sent = np.asarray(emu.send_times)
    # latency: for each pull, the frame that completed the pulled samples
    lat = []
    for n, t in arrivals:
        k = np.searchsorted(sent[:, 0], first_sent + n)
        if k < len(sent):
            lat.append((t - sent[k, 1]) * 1e3)
    lat_a = np.asarray(lat)
    print(f"EMG samples received {got} in {seconds:.0f} s -> {got / seconds:.0f} samples/s "
          f"per channel (4 of 16 slots published; nominal 2000)")
    print(f"latency frame sent->inlet ms: median {np.median(lat_a):.2f}, "
          f"p95 {np.percentile(lat_a, 95):.2f}, max {lat_a.max():.2f}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
