"""Throughput and latency of the Mark-10 driver against its pty emulator.

The emulator (this process) prints a strictly rising load, so every reading is unique
and can be paired with the LSL sample the driver (a subprocess) published. Measured:
readings per second through the driver, end-to-end latency (gauge wrote the reply ->
sample pulled from an LSL inlet) and the error of the driver's timestamp against the
moment the gauge answered. Run: python3 benchmarks/drivers_mark10.py [seconds]
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from _common import latency_line, open_inlet, start_driver, stop

from gaitlab.drivers.emulators.mark10 import Mark10Emulator


def main(seconds: float = 10.0) -> None:
    tmp = Path(tempfile.mkdtemp())
    emu = Mark10Emulator(tmp / "ttyBENCH", baud=115200, force_fn=lambda t: 100.0 + t).start()
    sid = f"bench-m10-{uuid.uuid4().hex[:8]}"
    proc = start_driver("mark10", "--port", emu.path, "--source-id", sid, "--duration",
                        str(seconds + 4))
    try:
        inlet = open_inlet(sid)
        buf = np.zeros((1024, 1), np.float32)
        vals, stamps, pulled = [], [], []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            _, ts = inlet.pull_chunk(timeout=0.05, max_samples=1024, dest_obj=buf)
            now = time.monotonic()
            vals.append(buf[: len(ts), 0].astype(np.float64))
            stamps += ts
            pulled += [now] * len(ts)
    finally:
        stop(proc, emu)
    got = np.concatenate(vals)
    sent_v = np.round(np.asarray(emu.sent_n), 3)
    sent_t = np.asarray(emu.sent_t)
    # float32 carries ~5 significant digits at 100-110 N: pair to the nearest sent value
    idx = np.clip(np.searchsorted(sent_v, got), 1, len(sent_v) - 1)
    idx -= (np.abs(sent_v[idx - 1] - got) < np.abs(sent_v[idx] - got)).astype(int)
    lat = (np.asarray(pulled) - sent_t[idx]) * 1e3
    stamp_err = (np.asarray(stamps) - sent_t[idx]) * 1e3  # LSL clock == CLOCK_MONOTONIC on Linux
    span = stamps[-1] - stamps[0]
    print(f"samples {len(got)} in {span:.2f} s -> {len(got) / span:.0f} readings/s "
          f"(poll '?C', 115200 baud emulated wire time)")
    print(latency_line("reply->inlet", lat))
    print(f"timestamp - reply time ms: median {np.median(stamp_err):.3f}, "
          f"p95 |err| {np.percentile(np.abs(stamp_err), 95):.3f}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
