"""Does an LSL inlet keep the memory of a backlog? One pressure-sized stream (5,376 float32
channels at 120 Hz, published by tests/lsl_publisher.py in a subprocess) is pulled as the
recorder pulls it (60-sample chunks into a preallocated numpy buffer); then the pulling stalls
for 2, 5, 10 and 10 s, each followed by 15 s of normal pulling, and the process's RSS is printed
after each. A high-water mark (RSS rises with the longest stall so far and not again on a repeat)
means a bounded pool (at most ``max_buflen`` seconds of samples), not a leak.

    python benchmarks/lsl_backlog_memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl

PUBLISHER = Path(__file__).resolve().parents[1] / "tests" / "lsl_publisher.py"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    sid = f"backlog-{uuid.uuid4().hex[:8]}"
    spec = [dict(name=sid, type="Pressure", source_id=sid, channels=5376, srate=120.0)]
    pub = subprocess.Popen([sys.executable, str(PUBLISHER), json.dumps(spec)], stdout=subprocess.PIPE,
                           text=True)
    try:
        assert pub.stdout is not None and pub.stdout.readline()
        info = pylsl.resolve_byprop("source_id", sid, 1, 10.0)[0]
        inlet = pylsl.StreamInlet(info, max_buflen=30, recover=False)
        buf = np.empty((60, 5376), np.float32)

        def pull_for(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                inlet.pull_chunk(timeout=0.0, max_samples=60, dest_obj=buf)
                time.sleep(0.02)

        pull_for(20.0)
        print(f"steady pulling: RSS {rss_mb():.1f} MB", flush=True)
        for stall in (2.0, 5.0, 10.0, 10.0):
            time.sleep(stall)
            pull_for(15.0)
            print(f"after a {stall:g} s stall and 15 s of pulling: RSS {rss_mb():.1f} MB", flush=True)
    finally:
        pub.kill()
        pub.wait(10)


if __name__ == "__main__":
    main()
