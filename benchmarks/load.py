"""Load: ``gaitlab record`` fed N× the full lab's data rate, beside the same figures for one lab.

The publishers are plain pylsl outlets (benchmarks/record_cpu.py's lab: EMG 16 ch @ 2 kHz,
pressure 5,376 ch @ 120 Hz with two moving footprints, dynamometer @ 100 Hz, markers ~2 Hz;
precomputed data, so publishing costs little CPU): --labs labs spread over --procs
processes. ``gaitlab sim`` renders its data live and needs ~half a core per lab here, so 20
sims cannot run on 2 cores. Phase 1 records one lab for --single-minutes, phase 2 all labs
(all 4 × labs streams selected by --source-id) for --minutes. Per phase: stored vs expected
samples per stream (expected = nominal rate × span of the stored stamps + 1, i.e. what the
publisher pushed in that window), gap rows, the recorder's lag at its stop, input MB/s (raw
sample bytes), the recorder's CPU % (/proc utime+stime, all threads) and CPU-s per MB.

    python benchmarks/load.py [--labs 20] [--procs 4] [--minutes 10] [--single-minutes 2] [--no-doc]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import h5py
import numpy as np
import pylsl
from _faults import (
    ROOT,
    SHARED_NOTE,
    gaitlab_opens,
    machine_lines,
    md_table,
    proc_cpu_s,
    stop_proc,
    tree_sample,
    write_section,
)

KINDS = (("emg", 2000.0), ("prs", 120.0), ("dyn", 100.0), ("mk", 0.0))


def publish(labs: list[str], seconds: float) -> None:
    from record_cpu import _outlet, _pressure_frames

    rng = np.random.default_rng(1)
    labels = [f"{m}_{s}" for m in ("GMED", "GMAX", "TFL", "VL", "BF", "ST", "GAS", "TA") for s in "LR"]
    outs = []
    for tag in labs:
        outs.append({"emg": _outlet("bench-EMG", "EMG", 16, 2000.0, "float32", f"emg-{tag}", labels),
                     "prs": _outlet("bench-Pressure", "Pressure", 128 * 42, 120.0, "float32",
                                    f"prs-{tag}", geometry=True),
                     "dyn": _outlet("bench-Dyn", "Force", 1, 100.0, "float32", f"dyn-{tag}", ["force"]),
                     "mk": _outlet("bench-Markers", "Markers", 1, 0.0, "string", f"mk-{tag}")})
    frames = _pressure_frames(240, rng)
    emg = (rng.standard_normal((20000, 16)) * 10).astype(np.float32)
    dyn = (150 * np.abs(np.sin(np.arange(1000) / 100 * np.pi / 5))).astype(np.float32)[:, None]
    data = {"emg": emg, "prs": frames, "dyn": dyn}
    time.sleep(2.0)  # let the recorder resolve the outlets first
    t0 = pylsl.local_clock()
    print(json.dumps({"t0": t0}), flush=True)
    sent = {k: 0 for k, _ in KINDS}
    max_lag = 0.0
    while (now := pylsl.local_clock()) - t0 < seconds:
        el = now - t0
        for key, srate in KINDS[:3]:
            due = int(el * srate)
            if due > sent[key]:
                idx = np.arange(sent[key], due)
                x = np.ascontiguousarray(data[key][idx % len(data[key])])
                stamps = list(t0 + idx / srate)
                for o in outs:
                    o[key].push_chunk(x, stamps)
                sent[key] = due
        if int(el * 2) > sent["mk"]:
            sent["mk"] = int(el * 2)
            for o in outs:
                o["mk"].push_sample([f"IC {'LR'[sent['mk'] % 2]}"])
        max_lag = max(max_lag, pylsl.local_clock() - now)
        time.sleep(max(0.0, 0.01 - (pylsl.local_clock() - now)))
    print(json.dumps({"sent": sent, "max_loop_s": max_lag}), flush=True)


def phase(labs: int, procs: int, minutes: float, work: Path) -> dict:
    tags = [f"{uuid.uuid4().hex[:6]}-{i}" for i in range(labs)]
    pubs = []
    dur = minutes * 60.0
    for p in range(procs):
        mine = tags[p::procs]
        if mine:
            pubs.append(subprocess.Popen([sys.executable, __file__, "--publish", ",".join(mine),
                                          "--seconds", str(dur + 60)], stdout=subprocess.PIPE,
                                         text=True, cwd=ROOT))
    out = work / f"load-{labs}labs.h5"
    args = [sys.executable, "-m", "gaitlab", "record", "--out", str(out), "--overwrite",
            "--duration", f"{dur:g}"]
    for t in tags:
        for k, _ in KINDS:
            args += ["--source-id", f"{k}-{t}"]
    rec = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           cwd=ROOT)
    for p in pubs:
        assert p.stdout is not None
        json.loads(p.stdout.readline())
    cpu0, w0 = proc_cpu_s(rec.pid), time.monotonic()
    pub_cpu0 = sum(tree_sample(p.pid)[1] for p in pubs)
    cpu1 = cpu0
    pub_cpu1 = pub_cpu0
    w1 = w0
    while rec.poll() is None:
        try:
            cpu1, w1 = proc_cpu_s(rec.pid), time.monotonic()
            pub_cpu1 = sum(tree_sample(p.pid)[1] for p in pubs)
        except (OSError, IndexError, ValueError):
            break
        time.sleep(1.0)
    stdout, _ = rec.communicate(timeout=120)
    for p in pubs:
        stop_proc(p)
    rows, raw, drops, gaps_n, lags = [], 0, 0, 0, []
    with h5py.File(out, "r") as f:
        stop = float(f.attrs["stop_lsl_time"])
        for g in f["streams"].values():
            ts = g["time_stamps"][()]
            sr = float(g.attrs["nominal_srate"])
            c = int(g.attrs["channel_count"])
            if sr > 0 and ts.size:
                exp = round((ts[-1] - ts[0]) * sr) + 1
                drops += exp - ts.size
                raw += ts.size * (c * 4 + 8)
                lags.append(stop - ts[-1])
            gaps_n += len(g["gaps"])
            rows.append((str(g.attrs["source_id"]), ts.size))
    wall = w1 - w0
    mb_s = raw / 1e6 / wall if wall > 0 else float("nan")
    cpu = cpu1 - cpu0
    return {"labs": labs, "streams": len(rows), "minutes": wall / 60, "input_mb_s": mb_s,
            "cpu_pct": 100 * cpu / wall, "cpu_s_per_mb": cpu / (raw / 1e6), "dropped": drops,
            "gaps": gaps_n, "max_lag_s": max(lags), "pub_cpu_pct": 100 * (pub_cpu1 - pub_cpu0) / wall,
            "file_mb": out.stat().st_size / 1e6, "opens": gaitlab_opens(out),
            "summary": stdout.splitlines()[:1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labs", type=int, default=20)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--single-minutes", type=float, default=2.0)
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--publish", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.publish:
        publish(a.publish.split(","), a.seconds)
        return
    work = Path(tempfile.mkdtemp(prefix="gaitlab-load-"))
    res = [phase(1, 1, a.single_minutes, work), phase(a.labs, a.procs, a.minutes, work)]
    table = md_table(["labs", "streams", "recorded (min)", "input (MB/s)", "recorder CPU (% of a core)",
                      "CPU-s per MB", "dropped", "gap rows", "lag at stop (s)",
                      "publishers' CPU (%)", "file (MB)", "file opens"],
                     [[r["labs"], r["streams"], f"{r['minutes']:.1f}", f"{r['input_mb_s']:.1f}",
                       f"{r['cpu_pct']:.0f}", f"{r['cpu_s_per_mb']:.4f}", r["dropped"], r["gaps"],
                       f"{r['max_lag_s']:.2f}", f"{r['pub_cpu_pct']:.0f}", f"{r['file_mb']:.0f}",
                       r["opens"]] for r in res])
    print(table)
    for r in res:
        print(r["summary"])
    if not a.no_doc:
        write_section(f"Load: {a.labs} labs", "\n".join([
            f"Rerun: `python benchmarks/load.py --labs {a.labs} --procs {a.procs} --minutes "
            f"{a.minutes:g} --single-minutes {a.single_minutes:g}`.",
            "",
            f"What ran: {a.procs} publisher processes with {a.labs} copies of the full lab "
            "(benchmarks/record_cpu.py's streams: EMG 16 ch @ 2 kHz, pressure 5,376 ch @ 120 Hz, "
            "dynamometer @ 100 Hz, markers ~2 Hz; precomputed data) recorded by one `gaitlab "
            "record --source-id … (×4 per lab) --duration …`; first one lab alone, then all. "
            "`gaitlab sim` itself needs about half a core per lab on this machine (it renders the "
            "data live: see the soak's sim CPU), so 20 sims cannot publish on 2 cores; the plain "
            "publishers can. Input = raw sample bytes (values + 8-byte stamps) stored / wall "
            "time; dropped = expected (nominal rate × span of stored stamps + 1) − stored, summed "
            "over streams; lag at stop = stop_lsl_time − last stored stamp (worst stream).",
            "",
            "Goal: 0 dropped samples at 20× the lab's rate; CPU per MB/s beside the one-lab figure.",
            "",
            *machine_lines(), "", SHARED_NOTE + " The 2 h soak ran at the same time.", "", table]))


if __name__ == "__main__":
    main()
