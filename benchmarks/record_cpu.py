"""Recorder CPU benchmark: record a full simulated lab for ~30 s and report the cost.

A subprocess publishes the lab with plain pylsl outlets (no gaitlab drivers):
EMG 16 ch @ 2 kHz (noise + bursts, float32), pressure 128×42 = 5,376 ch @ 120 Hz (two
moving footprints, zeros elsewhere), dynamometer 1 ch @ 100 Hz, markers ~2 Hz.
This process records them with ``gaitlab.record.Recorder`` and reports its CPU use
(process time / wall time, all threads incl. liblsl's), bytes written and the
compression ratio.

    python benchmarks/record_cpu.py [--seconds 30] [--out /tmp/bench.h5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pylsl

ROWS, COLS = 128, 42


def _outlet(name: str, stype: str, n: int, srate: float, fmt: str, sid: str,
            labels: list[str] | None = None, geometry: bool = False) -> pylsl.StreamOutlet:
    info = pylsl.StreamInfo(name, stype, n, srate, fmt, sid)
    desc = info.desc()
    if labels:
        chans = desc.append_child("channels")
        for lb in labels:
            ch = chans.append_child("channel")
            ch.append_child_value("label", lb)
            ch.append_child_value("unit", "uV" if stype == "EMG" else "N")
    if geometry:
        geo = desc.append_child("geometry")
        for k, v in (("rows", ROWS), ("cols", COLS), ("row_pitch_mm", 11.72),
                     ("col_pitch_mm", 11.9)):
            geo.append_child_value(k, str(v))
        desc.append_child_value("unit", "N/cm^2")
    return pylsl.StreamOutlet(info, chunk_size=0, max_buffered=60)


def _pressure_frames(n: int, rng: np.random.Generator) -> np.ndarray:
    """n frames of two elliptical footprints moving backwards on the belt; zeros elsewhere."""
    r = np.arange(ROWS)[:, None]
    c = np.arange(COLS)[None, :]
    frames = np.zeros((n, ROWS, COLS), np.float32)
    for i in range(n):
        phase = (i / n) * 2 * np.pi
        for side, col in ((0, 14), (1, 28)):
            row = 64 + 40 * np.sin(phase + side * np.pi)
            blob = 30 * np.exp(-(((r - row) / 10) ** 2 + ((c - col) / 4) ** 2))
            load = max(0.0, np.sin(phase + side * np.pi))
            frames[i] += (blob * load).astype(np.float32)
    frames[frames < 1.0] = 0.0  # sensors below threshold read zero
    frames += (rng.random(frames.shape) < 0.001) * rng.uniform(1, 3, frames.shape).astype(
        np.float32)  # a few noisy sensors
    return frames.reshape(n, ROWS * COLS)


def publish(seconds: float, tag: str) -> None:
    rng = np.random.default_rng(1)
    emg_labels = [f"{m}_{s}" for m in ("GMED", "GMAX", "TFL", "VL", "BF", "ST", "GAS", "TA")
                  for s in "LR"]
    emg = _outlet("bench-EMG", "EMG", 16, 2000.0, "float32", f"emg-{tag}", emg_labels)
    prs = _outlet("bench-Pressure", "Pressure", ROWS * COLS, 120.0, "float32", f"prs-{tag}",
                  geometry=True)
    dyn = _outlet("bench-Dyn", "Force", 1, 100.0, "float32", f"dyn-{tag}", ["force"])
    mk = _outlet("bench-Markers", "Markers", 1, 0.0, "string", f"mk-{tag}")
    frames = _pressure_frames(240, rng)
    emg_noise = (rng.standard_normal((20000, 16)) * 10).astype(np.float32)
    burst = (1 + 20 * (np.sin(np.arange(20000) / 2000 * 2 * np.pi * 1.35) > 0.6)).astype(
        np.float32)[:, None]
    emg_block = emg_noise * burst
    t0 = pylsl.local_clock()
    print(json.dumps({"t0": t0}), flush=True)
    sent = {"emg": 0, "prs": 0, "dyn": 0, "mk": 0}
    while (now := pylsl.local_clock()) - t0 < seconds:
        el = now - t0
        for key, outlet, srate in (("emg", emg, 2000.0), ("prs", prs, 120.0), ("dyn", dyn, 100.0)):
            due = int(el * srate)
            if due > sent[key]:
                idx = np.arange(sent[key], due)
                if key == "emg":
                    x = emg_block[idx % len(emg_block)]
                elif key == "prs":
                    x = frames[idx % len(frames)]
                else:
                    x = (150 * np.abs(np.sin(idx / 100 * np.pi / 5))).astype(np.float32)[:, None]
                outlet.push_chunk(np.ascontiguousarray(x), list(t0 + idx / srate))
                sent[key] = due
        if int(el * 2) > sent["mk"]:
            sent["mk"] = int(el * 2)
            mk.push_sample([f"IC {'LR'[sent['mk'] % 2]}"])
        time.sleep(0.005)


def record(seconds: float, out: Path, tag: str) -> dict:
    from gaitlab.record import Recorder, StreamFilter

    pub = subprocess.Popen([sys.executable, __file__, "--publish", str(seconds + 8), "--tag", tag],
                           stdout=subprocess.PIPE, text=True)
    assert pub.stdout is not None
    json.loads(pub.stdout.readline())
    sids = tuple(f"{k}-{tag}" for k in ("emg", "prs", "dyn", "mk"))
    rec = Recorder(out, None, StreamFilter(source_ids=sids), overwrite=True)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    summary = rec.run(duration_s=seconds)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    pub.kill()
    pub.wait()
    import h5py

    raw = 0
    stored = 0
    per_stream: dict[str, int] = {}  # stored points of sparse streams
    with h5py.File(out, "r") as f:
        for g in f["streams"].values():
            if g.attrs.get("layout", "dense") == "sparse":  # raw = the dense frames it stands for
                raw += g["time_stamps"].size * int(g.attrs["channel_count"]) * \
                    g["point_value"].dtype.itemsize
                stored += sum(g[k].id.get_storage_size()
                              for k in ("frame_points", "point_sensor", "point_value"))
                per_stream[g.attrs["name"]] = g["point_value"].size
            else:
                d = g["data"]
                if d.dtype.kind != "O":
                    raw += d.size * d.dtype.itemsize
                    stored += d.id.get_storage_size()
            raw += g["time_stamps"].size * 8
            stored += g["time_stamps"].id.get_storage_size()
    return {
        "seconds": round(wall, 2),
        "cpu_fraction_of_one_core": round(cpu / wall, 3),
        "file_bytes": out.stat().st_size,
        "raw_bytes": raw,
        "compression_ratio": round(raw / max(1, stored), 2),
        "sparse_points": per_stream,
        "streams": [
            {"name": s.name, "samples": s.samples, "measured_hz": round(s.measured_srate, 1),
             "nominal_hz": s.nominal_srate, "gaps": s.gaps}
            for s in summary.streams
        ],
    }


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return (f"{os.cpu_count()} cores (nproc), {model or 'unknown CPU'}, Python "
            f"{platform.python_version()}, liblsl {pylsl.library_version()}, "
            f"{datetime.now(UTC).date().isoformat()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--publish", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--tag", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.publish is not None:
        publish(a.publish, a.tag)
        return
    out = a.out or Path(tempfile.mkdtemp()) / "bench.h5"
    res = record(a.seconds, out, uuid.uuid4().hex[:8])
    res["machine"] = machine()
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
