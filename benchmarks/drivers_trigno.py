"""Throughput and latency of the Trigno driver against its TCP emulator.

The emulator (this process) streams 16 EMG slots at 2000 Hz and 144 AUX channels at
148 Hz in 13.5 ms frames; the driver runs as a subprocess publishing 4 active sensors.
Measured: EMG samples/s arriving at an LSL inlet, and latency from the emulator
writing a frame to that frame's last sample being pulled from the inlet.
Run: python3 benchmarks/drivers_trigno.py [seconds]
"""

from __future__ import annotations

import sys
import uuid

import numpy as np
from _common import frame_latencies_ms, latency_line, open_inlet, pull_arrivals, start_driver, stop

from gaitlab.drivers.emulators.trigno import TrignoEmulator


def main(seconds: float = 10.0) -> None:
    emu = TrignoEmulator(active=(1, 2, 3, 4)).start()
    sid = f"bench-trg-{uuid.uuid4().hex[:8]}"
    proc = start_driver("trigno", "--cmd-port", str(emu.ports["cmd"]), "--emg-port",
                        str(emu.ports["emg"]), "--aux-port", str(emu.ports["aux"]), "--source-id",
                        sid, "--duration", str(seconds + 5))
    try:
        inlet = open_inlet(sid + ":emg")
        buf = np.zeros((4096, 4), np.float32)
        first_sent = emu.sent_emg
        got, arrivals = pull_arrivals(inlet, buf, seconds, timeout=0.01)
    finally:
        stop(proc, emu)
    # latency: for each pull, the frame that completed the pulled samples
    lat_a = frame_latencies_ms(arrivals, emu.send_times, first_sent)
    print(f"EMG samples received {got} in {seconds:.0f} s -> {got / seconds:.0f} samples/s "
          f"per channel (4 of 16 slots published; nominal 2000)")
    print(latency_line("frame sent->inlet", lat_a))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
