"""Time ``gaitlab.analysis.analyze_session`` on a long session (issue #3, "Speed").

The file: a 60 s virtual-athlete run (default athlete plus extra muscles: 16 EMG channels
at 2 kHz, 128×42 pressure treadmill at 120 Hz) rendered once with the offline writer,
then tiled in time into an N-minute file: the dense streams' compressed chunks are copied
with ``write_direct_chunk`` (no re-rendering, no re-compression), the sparse pressure
stream's points (schema 2) are appended once per tile, and time stamps are written for
the whole length. Each minute is its own running bout (the seam cuts one contact).

    python3 benchmarks/analysis_speed.py --minutes 60 [--keep path.h5] [--storage]
    python3 benchmarks/analysis_speed.py --minutes 60 --file path.h5   # re-time a kept file

Prints the analysis's wall time, the CPU time of its own process (threads included), the
busy CPU time of the whole machine over the analysis (``machine_cpu_s``: this process, the
fork-server worker that shares the pressure segmentation, and anything else running), and
peak RSS (run in a fresh subprocess, imports excluded). ``--storage`` adds a PROTOTYPE
measurement, not the recorder's format: the time to read the whole pressure matrix back as
stored (gzip 1 + shuffle), and as it would read if the recorder wrote it with LZF or
uncompressed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np

EXTRA = {"VL": (-120.0, 100.0, 50.0), "BF": (-150.0, 20.0, 40.0), "GAS": (-20.0, 180.0, 60.0),
         "TA": (-200.0, 60.0, 35.0), "RF": (-100.0, 80.0, 30.0)}


def _model(seconds: float):
    from gaitlab.athlete import MuscleTiming, load_profile
    from gaitlab.drivers.virtual import model as M
    from gaitlab.protocols import load_protocol

    prof = load_profile("default")
    muscles = dict(prof.emg.muscles)
    for m, (on, off, pk) in EXTRA.items():
        for s in ("L", "R"):
            muscles[f"{m}_{s}"] = MuscleTiming(onset_ms=on, offset_ms=off, peak_pct_mvc=pk)
    prof = replace(prof, emg=replace(prof.emg, muscles=muscles))
    return M.build_session(prof, load_protocol("run"), seed=1, run_duration_s=seconds)


def make_file(path: Path, minutes: int, tile_s: float = 60.0) -> None:
    from gaitlab.drivers.virtual import offline

    offline.CHUNK_BYTES = 1 << 20
    model = _model(tile_s)
    one = path.with_suffix(".tile.h5")
    offline.write_offline_session(model, one, t0=1000.0, devices=("emg", "pressure", "markers"))
    with h5py.File(one, "r") as src, h5py.File(path, "w", libver="latest") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        dst.attrs["stop_lsl_time"] = 1000.0 + minutes * tile_s
        src.copy("athlete", dst)
        root = dst.create_group("streams")
        for name, g in src["streams"].items():
            out = root.create_group(name)
            for k, v in g.attrs.items():
                out.attrs[k] = v
            for dn in ("channel_labels", "channel_units", "clock_offsets", "gaps"):
                g.copy(dn, out)
            ts = g["time_stamps"][:]
            if g.attrs.get("layout", "dense") == "sparse":
                _tile_sparse(g, out, minutes, tile_s)
                continue
            d = g["data"]
            if g.attrs["nominal_srate"] == 0:  # markers: shift per tile
                labs = d[:, 0]
                out.create_dataset("time_stamps", data=np.concatenate(
                    [ts + i * tile_s for i in range(minutes)]), maxshape=(None,))
                dd = out.create_dataset("data", (labs.size * minutes, 1), dtype=d.dtype,
                                        maxshape=(None, 1))
                dd[:, 0] = np.tile(labs, minutes)
                out.attrs["flushed_samples"] = labs.size * minutes  # the tile's mark is 1 tile
                continue
            n, ch = d.shape
            rows = d.chunks[0]
            if n % rows:  # keep whole chunks only, so tiles align
                n -= n % rows
            fs = float(g.attrs["nominal_srate"])
            out.create_dataset("time_stamps", data=1000.0 + np.arange(n * minutes) / fs,
                               maxshape=(None,))
            dd = out.create_dataset("data", (n * minutes, ch), dtype=d.dtype, chunks=d.chunks,
                                    maxshape=(None, ch), compression=d.compression,
                                    compression_opts=d.compression_opts, shuffle=d.shuffle)
            raw = [src["streams"][name]["data"].id.read_direct_chunk((r, 0))
                   for r in range(0, n, rows)]
            for i in range(minutes):
                for j, (mask, buf) in enumerate(raw):
                    dd.id.write_direct_chunk((i * n + j * rows, 0), buf, mask)
            out.attrs["flushed_samples"] = n * minutes
    one.unlink()


def _tile_sparse(g: h5py.Group, out: h5py.Group, minutes: int, tile_s: float) -> None:
    """Sparse stream: the tile's frames repeated ``minutes`` times, chunk-sized appends."""
    n = g["frame_points"].shape[0]
    fs = float(g.attrs["nominal_srate"])
    counts = g["frame_points"][:n]
    n_pts = int(counts.sum(dtype=np.int64))
    parts = {k: g[k][:n_pts] for k in ("point_sensor", "point_value")}
    out.create_dataset("time_stamps", data=1000.0 + np.arange(n * minutes) / fs, maxshape=(None,))
    for k, x in (("frame_points", counts), *parts.items()):
        src = g[k]
        dd = out.create_dataset(k, (0,), dtype=src.dtype, chunks=src.chunks, maxshape=(None,),
                                compression=src.compression,
                                compression_opts=src.compression_opts, shuffle=src.shuffle)
        for _ in range(minutes):
            a = dd.shape[0]
            dd.resize(a + x.size, axis=0)
            dd[a:] = x
    out.attrs["flushed_samples"] = n * minutes


CHILD = """
import json, os, resource, sys, time
from gaitlab.analysis import analyze_session

def busy():  # every process on the machine: user + nice + system + irq + softirq (s)
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")

w0, c0, b0 = time.perf_counter(), time.process_time(), busy()
res = analyze_session(sys.argv[1])
w, c, b = time.perf_counter() - w0, time.process_time() - c0, busy() - b0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
# the pressure worker comes from a fork server: it is not this process's child, so its CPU
# is in machine_cpu_s (everything the machine did meanwhile), not in cpu_s
print(json.dumps({"wall_s": w, "cpu_s": c, "machine_cpu_s": b, "peak_rss_MiB": rss,
                  "n_steps": res.metrics["gait"]["n_steps"], "n_emg": len(res.metrics["emg"])}))
"""


def storage_prototype(path: Path) -> dict[str, float]:
    """PROTOTYPE: seconds to read the pressure matrix as stored and re-stored with LZF or
    no compression (same chunks), in 20 s blocks as the analysis reads it."""
    out: dict[str, float] = {}
    with h5py.File(path, "r") as f:
        name = next(k for k, g in f["streams"].items() if g.attrs.get("type", "") == "Pressure"
                    or g["data"].shape[-1] > 1000)
        d = f["streams"][name]["data"]
        n, step = d.shape[0], 2400
        tmp = path.with_suffix(".proto.h5")
        with h5py.File(tmp, "w") as g:
            for label, kw in (("lzf", {"compression": "lzf", "shuffle": True}), ("none", {})):
                dd = g.create_dataset(label, d.shape, d.dtype, chunks=d.chunks, **kw)
                for a in range(0, n, step):
                    dd[a:a + step] = d[a:a + step]
        for label, ds_of in (("gzip1+shuffle (stored)", lambda: h5py.File(path, "r")["streams"]
                              [name]["data"]),
                             ("lzf+shuffle", lambda: h5py.File(tmp, "r")["lzf"]),
                             ("uncompressed", lambda: h5py.File(tmp, "r")["none"])):
            ds = ds_of()
            t0 = time.perf_counter()
            for a in range(0, n, step):
                ds[a:a + step]
            out[label] = round(time.perf_counter() - t0, 2)
            ds.file.close()
        out["file_MiB_lzf+none"] = round(tmp.stat().st_size / 2**20)
        tmp.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--storage", action="store_true", help="also run the storage prototype")
    ap.add_argument("--file", type=Path, help="time this existing file (made with --keep) instead")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    path = a.file or a.keep or tmp / "long.h5"
    if a.file is None:
        t0 = time.perf_counter()
        make_file(path, a.minutes)
        print(f"file: {path} ({path.stat().st_size / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - t0:.1f} s")
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                         check=False)
    if out.returncode:
        print(out.stderr[-2000:])
        sys.exit(1)
    print(json.dumps({"minutes": a.minutes, **json.loads(out.stdout),
                      "file_MiB": round(path.stat().st_size / 2**20, 1),
                      "load_avg_1min": os.getloadavg()[0]}))
    if a.storage:
        print(json.dumps({"prototype_pressure_read_s": storage_prototype(path)}))


if __name__ == "__main__":
    main()
