"""Recorder memory growth, component by component (accelerated, a few minutes per variant).

The soak (benchmarks/soak.py) showed the recorder's RSS growing with the Python heap flat.
This script separates the parts, one process per variant, and reports the RSS slope per
hour of *lab* data (the writer variants run faster than real time):

    python benchmarks/mem_growth.py writer [--lab-min 60] [--speed 0] [--default-cache]
        [--mdc-max-mb M] [--flush-every K] [--rdcc-mb M] [--no-attr-mark] [--no-compress]
        [--no-swmr [--libver earliest]] [--step-s S] [--devices emg,pressure,...]
        The SessionWriter fed the simulated lab's four streams (EMG 16 ch @ 2 kHz, pressure
        5,376 ch @ 120 Hz sparse, dynamometer @ 100 Hz, markers; samples pre-rendered by the
        virtual athlete and cycled) in 0.5-s steps, as the recorder does, flushing every K
        steps; no LSL. --speed 0: as fast as it goes (one core).
    python benchmarks/mem_growth.py lsl [--minutes 4]
        The recorder's LSL side alone: `gaitlab sim --protocol run` and one inlet per device
        (max_buflen 30 s, pull_chunk into numpy buffers, time_correction every 5 s, as
        gaitlab.record does), in real time; nothing written.
    python benchmarks/mem_growth.py all [--lab-min 60]
        The writer variants one after the other (MALLOC_ARENA_MAX=2 via the environment), a
        table at the end.

Each variant prints one CSV-like line per sample (lab minute, RSS MB, HDF5 metadata-cache
current size MB, glibc heap in use / free MB) and a summary line with the slope fitted after
the first --warmup-min lab minutes.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

STEP_S = 0.5  # the recorder's flush interval: each step appends 0.5 s of every stream (--step-s)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                "usmblks", "fsmblks", "uordblks", "fordblks",
                                                "keepcost")]


def heap_mb() -> tuple[float, float]:
    """glibc main+thread arenas: (bytes in use, free bytes kept) in MB; nan elsewhere."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        f = libc.mallinfo2
    except (OSError, AttributeError):
        return float("nan"), float("nan")
    f.restype = _Mallinfo2
    m = f()
    return (m.uordblks + m.hblkhd) / 2**20, m.fordblks / 2**20


def slope_per_h(minutes: np.ndarray, mb: np.ndarray, warmup: float) -> float:
    fit = minutes >= warmup
    if fit.sum() < 3:
        return float("nan")
    return float(np.polyfit(minutes[fit] / 60, mb[fit], 1)[0])


# --- the writer alone -------------------------------------------------------------------
def _lab_blocks(cycle_s: float = 4.0) -> dict[str, tuple[object, float, np.ndarray]]:
    """Header, rate and ``cycle_s`` of pre-rendered samples of each device (run phase)."""
    from gaitlab.athlete import load_profile
    from gaitlab.drivers.virtual import outlets
    from gaitlab.drivers.virtual.model import build_session
    from gaitlab.io.writer import header_from_xml
    from gaitlab.protocols import load_protocol

    model = build_session(load_profile(None), load_protocol("run"), run_duration_s=60.0)
    out = {}
    for dev in ("emg", "pressure", "dynamometer"):
        spec = outlets.device_spec(model, dev)
        header, _ = header_from_xml(outlets.stream_info(model, dev, "mem").as_xml(), 0.0)
        n0 = int((model.duration_s - 20.0) * spec.rate_hz)
        n = round(cycle_s * spec.rate_hz)
        out[dev] = (header, spec.rate_hz, np.ascontiguousarray(spec.render(model, n0, n0 + n)))
    header, _ = header_from_xml(outlets.stream_info(model, "markers", "mem").as_xml(), 0.0)
    out["markers"] = (header, 0.0, np.empty((0, 1)))
    return out


def run_writer(a: argparse.Namespace) -> dict:
    import h5py

    from gaitlab.io import writer as wmod

    if a.rdcc_mb is not None:  # the chunk cache is set when the file is opened
        orig = h5py.File

        def opener(*args, **kw):  # type: ignore[no-untyped-def]
            kw.setdefault("rdcc_nbytes", int(a.rdcc_mb * 2**20))
            return orig(*args, **kw)

        wmod.h5py.File = opener  # type: ignore[misc]
    if a.no_swmr or a.libver:
        base = wmod.h5py.File

        class NoSwmr(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args, **kw):  # type: ignore[no-untyped-def]
                if a.libver:
                    kw["libver"] = a.libver
                super().__init__(*args, **kw)

            @property
            def swmr_mode(self) -> bool:
                return False

            @swmr_mode.setter
            def swmr_mode(self, value: bool) -> None:
                if not a.no_swmr:
                    base.swmr_mode.fset(self, value)

        wmod.h5py.File = NoSwmr  # type: ignore[misc]
    if a.no_compress:
        wmod.COMPRESSION = {}
    if a.default_cache:  # the writer before the fix: HDF5's default chunk cache per dataset
        wmod.chunk_cache = lambda chunks, dtype: {}
    blocks = _lab_blocks()
    tmp = Path(tempfile.mkdtemp(prefix="memgrowth-", dir=a.tmp_dir))
    path = tmp / "mem.h5"
    w = wmod.SessionWriter(path, None, overwrite=True, start_lsl_time=0.0)
    if a.mdc_max_mb is not None:
        cfg = w.file.id.get_mdc_config()
        cfg.set_initial_size = True
        cfg.initial_size = min(cfg.initial_size, int(a.mdc_max_mb * 2**20))
        cfg.min_size = min(cfg.min_size, int(a.mdc_max_mb * 2**20))
        cfg.max_size = int(a.mdc_max_mb * 2**20)
        w.file.id.set_mdc_config(cfg)
    if a.no_attr_mark:
        wmod.StreamWriter.mark_flushed = lambda self: None  # type: ignore[method-assign]
    global STEP_S
    STEP_S = a.step_s
    blocks = {d: b for d, b in blocks.items() if d in a.devices.split(",")}
    sws = {dev: w.add_stream(h)[1] for dev, (h, _, _) in blocks.items()}
    steps = round(a.lab_min * 60 / STEP_S)
    per_sample = max(1, round(a.sample_lab_min * 60 / STEP_S))
    t_start = time.monotonic()
    rows = []
    print("lab_min,rss_mb,mdc_mb,mdc_entries,heap_used_mb,heap_free_mb,file_mb,wall_s,"
          "file_free_mb", flush=True)
    for k in range(steps + 1):
        t_lab = k * STEP_S
        if k % per_sample == 0:
            _, _, cur, n_ent = w.file.id.get_mdc_size()
            used, free = heap_mb()
            r = [t_lab / 60, rss_mb(), cur / 2**20, n_ent, used, free, w.size_bytes() / 1e6,
                 time.monotonic() - t_start, w.file.id.get_freespace() / 1e6]
            rows.append(r)
            print(",".join(f"{x:.2f}" for x in r), flush=True)
        if k == steps:
            break
        for dev, (_, rate, data) in blocks.items():
            sw = sws[dev]
            if rate <= 0:
                if k % 20 == 0:  # a marker every 10 s
                    sw.append(np.array([t_lab]), np.array([["stride"]], dtype=object))
                continue
            i0, i1 = round(t_lab * rate), round((t_lab + STEP_S) * rate)
            idx = np.arange(i0, i1) % len(data)
            ts, x = np.arange(i0, i1) / rate, data[idx]
            if not a.no_write:
                sw.append(ts, x)
        if k % 10 == 0:
            next(iter(sws.values())).add_offsets(np.array([[t_lab, 1e-4]]))
        if (k + 1) % a.flush_every == 0:
            w.flush()
        if a.speed > 0:
            ahead = (k + 1) * STEP_S / a.speed - (time.monotonic() - t_start)
            if ahead > 0:
                time.sleep(ahead)
    w.close()
    path.unlink()
    tmp.rmdir()
    return _summary(rows, a.warmup_min, time.monotonic() - t_start)


# --- the LSL side alone -----------------------------------------------------------------
def run_lsl(a: argparse.Namespace) -> dict:
    import pylsl

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _faults import DEVICES, source_id, start_sim, stop_proc

    from gaitlab.record.stream import pull_rows_for

    inst = f"mem-{uuid.uuid4().hex[:6]}"
    sim = start_sim(inst, a.minutes * 60 + 60)
    try:
        inlets = []
        for dev in DEVICES:
            found = pylsl.resolve_byprop("source_id", source_id(dev, inst), 1, 60.0)
            if not found:
                raise SystemExit(f"sim stream {dev} not found")
            inlet = pylsl.StreamInlet(found[0], max_buflen=30, recover=False)
            info = inlet.info()
            c, srate = info.channel_count(), info.nominal_srate()
            fmt = info.channel_format()
            rows = pull_rows_for(srate, 4 * c)
            buf = None if fmt == pylsl.cf_string else np.empty((rows, c), np.float32)
            inlets.append((inlet, rows, buf))
        t_start = time.monotonic()
        rows_out = []
        next_off = next_sample = t_start
        print("lab_min,rss_mb,heap_used_mb,heap_free_mb", flush=True)
        while True:
            now = time.monotonic()
            if now >= next_sample:
                used, free = heap_mb()
                r = [(now - t_start) / 60, rss_mb(), float("nan"), 0, used, free, 0.0, now - t_start]
                rows_out.append(r)
                print(f"{r[0]:.2f},{r[1]:.2f},{used:.2f},{free:.2f}", flush=True)
                next_sample += a.sample_lab_min * 60
                if now - t_start >= a.minutes * 60:
                    break
            for inlet, n, buf in inlets:
                while True:
                    if buf is None:
                        _, ts = inlet.pull_chunk(timeout=0.0, max_samples=n)
                    else:
                        _, ts = inlet.pull_chunk(timeout=0.0, max_samples=n, dest_obj=buf,
                                                 as_numpy=True)
                    if len(ts) < n:
                        break
            if now >= next_off:
                for inlet, _, _ in inlets:
                    inlet.time_correction(timeout=2.0)
                next_off = now + 5.0
            time.sleep(0.02)
    finally:
        stop_proc(sim)
    return _summary(rows_out, a.warmup_min, time.monotonic() - t_start)


def _summary(rows: list[list[float]], warmup: float, wall_s: float) -> dict:
    x = np.array(rows)
    m, rss = x[:, 0], x[:, 1]
    half = m >= m[-1] / 2
    return {
        "lab_min": float(m[-1]), "wall_s": wall_s, "rss_first": float(rss[0]),
        "rss_at_warmup": float(rss[np.searchsorted(m, warmup)]) if m[-1] >= warmup else float("nan"),
        "rss_last": float(rss[-1]),
        "slope_mb_per_lab_h": slope_per_h(m, rss, warmup),
        "slope_second_half": float(np.polyfit(m[half] / 60, rss[half], 1)[0]) if half.sum() >= 3
        else float("nan"),
        "mdc_last_mb": float(x[-1, 2]),
        "heap_used_last_mb": float(x[-1, 4]), "heap_free_last_mb": float(x[-1, 5]),
    }


# --- all variants -----------------------------------------------------------------------
VARIANTS: list[tuple[str, list[str], dict[str, str]]] = [
    ("writer as committed (chunk cache: 2 chunks per dataset)", [], {}),
    ("HDF5 default chunk cache (8 MiB per dataset; before the fix)", ["--default-cache"], {}),
    ("default cache, metadata cache max 2 MB", ["--default-cache", "--mdc-max-mb", "2"], {}),
    ("default cache, flush every 5 s (not 0.5 s)", ["--default-cache", "--flush-every", "10"], {}),
    ("default cache, MALLOC_ARENA_MAX=2", ["--default-cache"], {"MALLOC_ARENA_MAX": "2"}),
    ("file-level chunk cache 1 MiB per dataset", ["--default-cache", "--rdcc-mb", "1"], {}),
]


def run_all(a: argparse.Namespace) -> None:
    results = []
    for label, extra, env in VARIANTS:
        cmd = [sys.executable, __file__, "writer", "--lab-min", f"{a.lab_min:g}", "--speed",
               f"{a.speed:g}", "--warmup-min", f"{a.warmup_min:g}", "--json", *extra]
        print(f"== {label}: {' '.join(extra)} {env or ''}", flush=True)
        out = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True,
                             check=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        results.append((label, res))
        print(json.dumps(res), flush=True)
    print("| variant | lab min | wall s | RSS start / warm / end MB | MB per lab hour "
          "(after warm-up) | 2nd half | mdc end MB |")
    print("|---|---|---|---|---|---|---|")
    for label, r in results:
        print(f"| {label} | {r['lab_min']:.0f} | {r['wall_s']:.0f} | {r['rss_first']:.1f} / "
              f"{r['rss_at_warmup']:.1f} / {r['rss_last']:.1f} | {r['slope_mb_per_lab_h']:+.2f} | "
              f"{r['slope_second_half']:+.2f} | {r['mdc_last_mb']:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("writer", "lsl", "all"))
    ap.add_argument("--lab-min", type=float, default=60.0, help="Lab minutes to write.")
    ap.add_argument("--minutes", type=float, default=4.0, help="lsl: real minutes.")
    ap.add_argument("--speed", type=float, default=0.0, help="× real time (0: flat out).")
    ap.add_argument("--warmup-min", type=float, default=5.0)
    ap.add_argument("--sample-lab-min", type=float, default=1.0)
    ap.add_argument("--mdc-max-mb", type=float, default=None)
    ap.add_argument("--rdcc-mb", type=float, default=None)
    ap.add_argument("--flush-every", type=int, default=1)
    ap.add_argument("--no-attr-mark", action="store_true")
    ap.add_argument("--default-cache", action="store_true",
                    help="HDF5's default chunk cache per dataset (the writer before the fix).")
    ap.add_argument("--no-write", action="store_true", help="Make the blocks, append nothing.")
    ap.add_argument("--no-compress", action="store_true")
    ap.add_argument("--step-s", type=float, default=STEP_S, help="Lab seconds per append.")
    ap.add_argument("--devices", default="emg,pressure,dynamometer,markers")
    ap.add_argument("--no-swmr", action="store_true")
    ap.add_argument("--libver", default=None, help="e.g. earliest (needs --no-swmr)")
    ap.add_argument("--tmp-dir", default=None)
    ap.add_argument("--json", action="store_true", help="Last line: the summary as JSON.")
    a = ap.parse_args()
    if a.what == "all":
        run_all(a)
        return
    res = run_writer(a) if a.what == "writer" else run_lsl(a)
    print(json.dumps(res) if a.json else res, flush=True)


if __name__ == "__main__":
    main()
