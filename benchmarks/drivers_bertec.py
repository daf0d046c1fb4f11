"""Throughput and latency of the Bertec driver against its TCP emulator.

The emulator (this process) streams 32-byte feedback frames at 100 Hz (and, with
``--rate 1000``, at 1 kHz); the driver runs as a subprocess publishing "BeltSpeed".
Measured: frames/s arriving at an LSL inlet, latency from the emulator writing a
frame to that frame being pulled from the inlet.
Run: python3 benchmarks/drivers_bertec.py [seconds] [rate_hz]
"""

from __future__ import annotations

import sys
import time
import uuid

import numpy as np
from _common import frame_latencies_ms, latency_line, open_inlet, pull_arrivals, start_driver, stop

from gaitlab.drivers.emulators.bertec import BertecEmulator


def main(seconds: float = 10.0, rate: float = 100.0) -> None:
    emu = BertecEmulator(rate_hz=rate).start()
    sid = f"bench-btc-{uuid.uuid4().hex[:8]}"
    proc = start_driver("bertec", "--port", str(emu.port), "--rate", str(rate), "--source-id", sid,
                        "--duration", str(seconds + 5))
    try:
        inlet = open_inlet(sid)
        time.sleep(0.5)
        inlet.flush()
        buf = np.zeros((4096, 2), np.float32)
        first_sent = emu.frames_sent
        got, arrivals = pull_arrivals(inlet, buf, seconds, timeout=0.005)
    finally:
        stop(proc, emu)
    lat_a = frame_latencies_ms(arrivals, emu.send_times, first_sent)
    print(f"feedback frames received {got} in {seconds:.0f} s -> {got / seconds:.1f} frames/s "
          f"(nominal {rate:g})")
    print(latency_line("frame sent->inlet", lat_a))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0,
         float(sys.argv[2]) if len(sys.argv) > 2 else 100.0)
