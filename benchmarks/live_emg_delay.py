"""The live EMG tracker against the offline analysis: how soon each cycle is decided, how
often the first result is already the offline one, and what a channel costs.

A virtual-athlete run is rendered offline, written to a session file and analysed
(``analyze_session``); the same samples are then replayed through the live trackers
(``gaitlab.analysis.online.replay``: pressure frames to the live gait tracker, each confirmed
contact to its side's EMG channels, EMG in random 1–100-sample chunks), with the offline
baseline. Decision delay = stream time of the newest sample when the first result came,
minus the IC, over steady-state cycles (IC confirmed by the gait tracker within one step).

    python3 benchmarks/live_emg_delay.py [--seed 12] [--run-s 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from gaitlab.analysis import analyze_session
from gaitlab.analysis.online import LiveEmgChannel, LivePressureGait
from gaitlab.analysis.online.replay import replay
from gaitlab.athlete import DeviceModel, load_profile
from gaitlab.drivers.virtual import model as M
from gaitlab.drivers.virtual import render
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.protocols import load_protocol

T0 = 2000.0
CHANNELS = ("GMED_L", "GMED_R", "TFL_L", "TFL_R", "GMAX_L", "GMAX_R")


def _gait(d: DeviceModel) -> LivePressureGait:
    return LivePressureGait(d.pressure_rows, d.pressure_cols, d.pressure_row_pitch_mm / 1000,
                            d.pressure_col_pitch_mm / 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--run-s", type=float, default=20.0)
    a = ap.parse_args()
    model = M.build_session(load_profile("default"), load_protocol("run"), seed=a.seed,
                            run_duration_s=a.run_s)
    d = model.profile.devices
    n_p = render.n_samples(model.duration_s, d.pressure_rate_hz)
    n_e = render.n_samples(model.duration_s, d.emg_rate_hz)
    frames = render.render_pressure(model, 0, n_p)
    frame_t = T0 + np.arange(n_p) / d.pressure_rate_hz
    emg_all = render.render_emg(model, 0, n_e)
    emg_t = T0 + np.arange(n_e) / d.emg_rate_hz
    with tempfile.TemporaryDirectory() as tmp:
        off = analyze_session(write_offline_session(model, Path(tmp) / "s.h5", t0=T0,
                                                    devices=("emg", "pressure", "markers")))
    notches = next(iter(off.parameters["emg_streams"].values()))["notch_hz"]
    names = model.emg_channels
    emg = {n: emg_all[:, names.index(n)] for n in CHANNELS}

    c0 = time.process_time()  # the gait tracker alone, to take out of the EMG cost
    g_only = _gait(d)
    for i in range(0, n_p, 6):
        g_only.feed(frames[i:i + 6], frame_t[i:i + 6])
    gait_cpu = time.process_time() - c0
    chans = {n: LiveEmgChannel(d.emg_rate_hz, notches=notches,
                               baseline=(off.emg_cycles[n]["baseline_mean"],
                                         off.emg_cycles[n]["baseline_sd"]))
             for n in CHANNELS}
    c0 = time.process_time()
    rep = replay(_gait(d), frames, frame_t, chans, emg, emg_t, max_chunk=100, seed=a.seed)
    emg_cpu = time.process_time() - c0 - gait_cpu

    ics = np.array(sorted(rep.confirmed_at))
    step = float(np.median(np.diff(ics)))
    delays, first_eq, first_1, final_eq, n_edges, revised, n_cycles = [], 0, 0, 0, 0, 0, 0
    for n in CHANNELS:
        ref = off.emg_cycles[n]
        got = rep.results[n]
        first = [c for c in got if not c.revised]
        last = {c.ic: c for c in got}
        revised += sum(c.revised for c in got)
        n_cycles += len(first)
        ic = np.array([c.ic for c in first])
        k = np.array([rep.confirmed_at[c.ic] for c in first]) - ic
        lat = np.array([c.emitted_at for c in first]) - ic
        delays += list(lat[(k <= step) & (ic + step < emg_t[-1])])
        j = np.searchsorted(ref["ic_s"], ic)
        for f, jj in zip(first, j, strict=True):
            fin = last[f.ic]
            for got_v, fin_v, ref_v in ((f.onset_s, fin.onset_s, ref["onset_ms"][jj] / 1000),
                                        (f.offset_s, fin.offset_s, ref["offset_ms"][jj] / 1000)):
                if not np.isfinite(ref_v):
                    continue
                n_edges += 1
                e1 = abs(got_v - ref_v) * d.emg_rate_hz if np.isfinite(got_v) else np.inf
                ef = abs(fin_v - ref_v) * d.emg_rate_hz if np.isfinite(fin_v) else np.inf
                first_eq += e1 < 0.5
                first_1 += e1 < 1.5
                final_eq += ef < 0.5
    delays_a = np.array(delays)
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    print(f"# live EMG, {date.today()}, {cpu}, nproc {os.cpu_count()}, Python {platform.python_version()}")
    print(f"run: seed {a.seed}, {a.run_s:g} s, step {step * 1000:.0f} ms, {len(CHANNELS)} channels, "
          f"{n_cycles} cycles")
    print(f"decision delay of the first result (s after IC, steady state, n={delays_a.size}): "
          f"median {np.median(delays_a):.3f}, p95 {np.percentile(delays_a, 95):.3f}, "
          f"max {delays_a.max():.3f}")
    print(f"first results equal to the offline edge: {first_eq}/{n_edges} to the sample, "
          f"{first_1}/{n_edges} within one sample; revised {revised} of {n_cycles} cycles")
    print(f"final results equal to the offline edge: {final_eq}/{n_edges}")
    print(f"CPU per channel: {emg_cpu / len(CHANNELS) / a.run_s * 100:.1f} % of a core "
          f"(gait tracker {gait_cpu / a.run_s * 100:.1f} %)")


if __name__ == "__main__":
    main()
