"""Soak: the full simulated lab recorded by ``gaitlab record`` for many minutes.

Starts ``gaitlab record`` (all four sim streams by --source-id) and ``gaitlab sim --protocol
run`` (one outlet process per device) as subprocesses, samples RSS and CPU of the recorder
and of the sim's process tree from /proc every --interval-s (60), and writes the samples to
a CSV. At the end: RSS slope (MB/h, least-squares line over minutes 5..end), CPU %, samples
stored vs expected per stream (nominal rate × stored span; the gap table), file size; the
summary goes to stdout and to the "Soak" section of docs/reliability.md.

    python benchmarks/soak.py [--minutes 120] [--interval-s 60] [--out-dir DIR] [--doc PATH]
    python benchmarks/soak.py --minutes 480            # the 8 h version
    python benchmarks/soak.py --summarize DIR/soak.csv # rewrite the doc section from a CSV
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
import uuid
from pathlib import Path

import numpy as np
from _faults import (
    DOC,
    RESULTS,
    SHARED_NOTE,
    gaitlab_opens,
    log_has,
    machine_lines,
    md_table,
    proc_cpu_s,
    proc_rss_mb,
    read_session,
    sim_t0,
    start_recorder,
    start_sim,
    stop_proc,
    tree_sample,
    wait_for,
    write_section,
)

FIELDS = ["minute", "elapsed_s", "rec_rss_mb", "rec_cpu_s", "rec_cpu_pct", "sim_rss_mb",
          "sim_cpu_s", "sim_cpu_pct", "file_mb", "load1"]
WARMUP_MIN = 5.0


def run(minutes: float, interval_s: float, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    inst = f"soak-{uuid.uuid4().hex[:6]}"
    h5 = out_dir / f"soak-{tag}.h5"
    csv_path = out_dir / f"soak-{tag}.csv"
    rec_log, sim_log = out_dir / f"soak-{tag}-record.log", out_dir / f"soak-{tag}-sim.log"
    dur = minutes * 60.0
    rec = start_recorder(h5, inst, duration_s=dur, log=rec_log)
    wait_for(lambda: log_has(rec_log, "recording "), 60, "the recorder to start")
    sim = start_sim(inst, dur + 90.0, log=sim_log)  # outlives the recording
    wait_for(lambda: sim_t0(sim_log) is not None, 120, "the sim's t0")
    t0 = sim_t0(sim_log)
    print(f"soak: recorder pid {rec.pid}, sim pid {sim.pid}, instance {inst}, file {h5}, "
          f"csv {csv_path}, {minutes:g} min", flush=True)
    start = time.monotonic()
    with open(csv_path, "w", newline="") as fcsv:
        w = csv.writer(fcsv)
        w.writerow(FIELDS)
        prev = None
        k = 0
        while rec.poll() is None:
            el = time.monotonic() - start
            try:
                r_rss, r_cpu = proc_rss_mb(rec.pid), proc_cpu_s(rec.pid)
            except (OSError, IndexError, ValueError):
                break  # the recorder just ended
            s_rss, s_cpu = tree_sample(sim.pid)
            if prev is not None:
                dt = el - prev[0]
                rp, sp = 100 * (r_cpu - prev[1]) / dt, 100 * (s_cpu - prev[2]) / dt
            else:
                rp = sp = float("nan")
            size = h5.stat().st_size / 1e6 if h5.exists() else 0.0
            w.writerow([f"{el / 60:.2f}", f"{el:.1f}", f"{r_rss:.2f}", f"{r_cpu:.2f}", f"{rp:.1f}",
                        f"{s_rss:.1f}", f"{s_cpu:.2f}", f"{sp:.1f}", f"{size:.2f}",
                        f"{os.getloadavg()[0]:.2f}"])
            fcsv.flush()
            prev = (el, r_cpu, s_cpu)
            k += 1
            while rec.poll() is None and time.monotonic() - start < k * interval_s:
                time.sleep(0.5)
    rc = rec.wait()
    t_rec_end = time.monotonic()
    sim_alive = sim.poll() is None
    stop_proc(sim)
    streams = read_session(h5)
    info = {
        "minutes": minutes, "instance": inst, "file": str(h5), "file_mb": h5.stat().st_size / 1e6,
        "recorder_exit": rc, "sim_alive_at_end": sim_alive, "sim_t0": t0,
        "recorded_s": t_rec_end - start, "opens_gaitlab": gaitlab_opens(h5),
        "record_log_tail": rec_log.read_text(errors="replace").splitlines()[-6:],
        "machine": machine_lines(),
        "streams": [{"name": s.name, "source_id": s.source_id, "srate": s.srate,
                     "samples": s.samples, "flushed": s.flushed, "expected": s.expected,
                     "first_ts": s.first_ts, "last_ts": s.last_ts,
                     "first_after_t0_s": s.first_ts - t0 if t0 else None,
                     "gaps": s.gaps.tolist()} for s in streams.values()],
    }
    csv_path.with_suffix(".json").write_text(json.dumps(info, indent=1))
    return csv_path, csv_path.with_suffix(".json")


def _machine(info: dict | None, csv_path: Path) -> list[str]:
    """The machine block written at the end of the run (runs before it had one: now's, with
    the run's start from the file name)."""
    if info and "machine" in info:
        return info["machine"]
    lines = machine_lines()
    started = csv_path.stem.removeprefix("soak-")
    return [f"- run started {started} (UTC, from the file name); {lines[0][2:]} (summarized)",
            *lines[1:]]


def summarize(csv_path: Path, doc: Path) -> str:
    rows = list(csv.DictReader(open(csv_path)))
    m = np.array([float(r["minute"]) for r in rows])
    rss = np.array([float(r["rec_rss_mb"]) for r in rows])
    srss = np.array([float(r["sim_rss_mb"]) for r in rows])
    rcpu = np.array([float(r["rec_cpu_s"]) for r in rows])
    el = np.array([float(r["elapsed_s"]) for r in rows])
    fit = m >= WARMUP_MIN if (m >= WARMUP_MIN).sum() >= 3 else np.ones_like(m, bool)
    slope = float(np.polyfit(m[fit] / 60, rss[fit], 1)[0]) if fit.sum() >= 2 else float("nan")
    sslope = float(np.polyfit(m[fit] / 60, srss[fit], 1)[0]) if fit.sum() >= 2 else float("nan")
    half = m >= m[-1] / 2
    slope2 = float(np.polyfit(m[half] / 60, rss[half], 1)[0]) if half.sum() >= 2 else float("nan")
    span = el[-1] - el[0] if len(el) > 1 else float("nan")
    cpu_pct = 100 * (rcpu[-1] - rcpu[0]) / span if len(el) > 1 else float("nan")
    pcts = np.array([float(r["rec_cpu_pct"]) for r in rows[1:]] or [np.nan])
    sim_pct = np.array([float(r["sim_cpu_pct"]) for r in rows[1:]] or [np.nan])
    jpath = csv_path.with_suffix(".json")
    info = json.loads(jpath.read_text()) if jpath.exists() else None
    minutes = info["minutes"] if info else round(m[-1])
    lines = [
        f"Rerun: `python benchmarks/soak.py --minutes {minutes:g}` (8 h: `--minutes 480`); "
        f"rewrite this section from the CSV: `python benchmarks/soak.py --summarize {csv_path.name}`"
        " (path as written by the run).",
        "",
        f"What ran: `gaitlab record --out F --source-id <emg|pressure|dynamometer|markers>` "
        f"(`--duration {minutes * 60:g}`) against `gaitlab sim --protocol run --duration "
        f"{minutes * 60 + 90:g} --instance <unique>` (one outlet process per device: EMG 16 ch @ "
        "2 kHz, pressure 5,376 ch @ 120 Hz, dynamometer @ 100 Hz, markers). RSS and CPU of "
        "the recorder process and of the sim's process tree sampled from /proc every "
        f"{(el[1] - el[0]) if len(el) > 1 else 0:.0f} s; per-minute samples in `{csv_path.name}`.",
        "",
        "Goal: RSS flat after warm-up (slope under 1 MB/h), 0 dropped samples, 0 gaps, the file "
        "opens. The second-half slope shows whether a growth is a warm-up that levels off.",
        "",
        *_machine(info, csv_path),
        "",
        SHARED_NOTE,
        "",
        md_table(["figure", "value"], [
            ["samples (rows in CSV)", len(rows)],
            ["recorded", f"{span / 60:.1f} min"],
            ["recorder RSS first / last / max", f"{rss[0]:.1f} / {rss[-1]:.1f} / {rss.max():.1f} MB"],
            [f"recorder RSS slope (fit over minutes {WARMUP_MIN:g}..end)", f"{slope:+.2f} MB/h"],
            [f"recorder RSS slope, second half (minutes {m[-1] / 2:.0f}..end)", f"{slope2:+.2f} MB/h"],
            ["recorder CPU (whole run, % of one core)", f"{cpu_pct:.1f} %"],
            ["recorder CPU per interval median / max", f"{np.nanmedian(pcts):.1f} / "
             f"{np.nanmax(pcts):.1f} %"],
            ["sim tree RSS last, slope", f"{srss[-1]:.0f} MB, {sslope:+.2f} MB/h"],
            ["sim tree CPU median (4 device processes)", f"{np.nanmedian(sim_pct):.1f} %"],
            ["file size", f"{float(rows[-1]['file_mb']):.1f} MB (last sample)" if not info else
             f"{info['file_mb']:.1f} MB"],
        ]),
    ]
    if info:
        srows = []
        for s in info["streams"]:
            gaps = np.asarray(s["gaps"]).reshape(-1, 2)
            gap_s = float((gaps[:, 1] - gaps[:, 0]).sum()) if len(gaps) else 0.0
            drop = s["expected"] - s["samples"] if s["srate"] > 0 else "n/a (irregular)"
            srows.append([s["name"], f"{s['srate']:g}", s["samples"],
                          s["expected"] if s["srate"] > 0 else "n/a", drop, len(gaps),
                          f"{gap_s:.3f}", f"{(s['last_ts'] - s['first_ts']) / 60:.2f}",
                          f"{s['first_after_t0_s']:.3f}" if s["first_after_t0_s"] is not None
                          else "?"])
        lines += ["", md_table(["stream", "Hz", "stored", "expected", "dropped", "gaps",
                                "gap s", "span min", "first stamp − sim t0 (s)"], srows),
                  "",
                  f"Expected = nominal rate × (last − first stored stamp) + 1. Recorder exit code "
                  f"{info['recorder_exit']}; sim still running at the end: "
                  f"{info['sim_alive_at_end']}; gaitlab's reader: {info['opens_gaitlab']}.",
                  "", "Recorder's last lines:", "", "```", *info["record_log_tail"], "```"]
    text = "\n".join(lines)
    write_section("Soak", text, doc)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=120.0)
    ap.add_argument("--interval-s", type=float, default=60.0)
    ap.add_argument("--out-dir", type=Path, default=RESULTS)
    ap.add_argument("--doc", type=Path, default=DOC)
    ap.add_argument("--summarize", type=Path, default=None, metavar="CSV",
                    help="Only rewrite the doc section from this CSV (and its .json).")
    a = ap.parse_args()
    csv_path = a.summarize
    if csv_path is None:
        csv_path, _ = run(a.minutes, a.interval_s, a.out_dir.resolve())
    print(summarize(csv_path.resolve(), a.doc))


if __name__ == "__main__":
    main()
