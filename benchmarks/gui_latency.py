"""Desktop app at full lab load: sensor timestamp → screen latency taken at paint, and frame rate.

    python3 benchmarks/gui_latency.py [--seconds 15] [--tabs EMG,Force,Gait] [--emg-muscles 16]

The virtual athlete streams the whole lab over LSL on loopback from its own processes on the
same machine: EMG at 2 kHz (default athlete + VL, BF, GAS, TA, RF on both sides = 16 channels),
pressure treadmill 128×42 = 5,376 sensors at 120 Hz, dynamometer 100 Hz, markers. The session
console (1400×900) polls on its 15 ms timer and redraws a view when new samples have arrived;
each tab is shown in turn for ``--seconds``.

Latency is taken when the plot widget has *painted* a frame with new data (its ``paintEvent``
returned): local_clock() − (stamp of the newest sample drawn + clock offset), once per frame
(:mod:`gaitlab.gui.latency`), for the EMG traces, the force trace and the Gait tab (pressure
heat map, COP, gait line: stamp of the newest pressure frame). Frames/s counts those painted
frames. Samples lost = the monitor's gaps and dropped samples per stream over the whole run.

The Qt platform is ``xcb`` when DISPLAY is set (e.g. under ``xvfb-run``), otherwise
``offscreen``; QT_QPA_PLATFORM overrides. ``--profile FILE`` writes a pyinstrument text profile
of the GUI thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")

EXTRA = ("VL", "BF", "GAS", "TA", "RF")  # as benchmarks/analysis_speed.py


def lab_profile(n_muscles: int):
    """Default athlete plus extra muscles on both sides until ``n_muscles`` EMG channels."""
    from gaitlab.athlete import MuscleTiming, load_profile

    prof = load_profile("default")
    muscles = dict(prof.emg.muscles)
    timing = MuscleTiming(onset_ms=-120.0, offset_ms=100.0, peak_pct_mvc=50.0)
    for m in EXTRA:
        for s in ("L", "R"):
            if len(muscles) < n_muscles:
                muscles[f"{m}_{s}"] = timing
    return replace(prof, emg=replace(prof.emg, muscles=muscles))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=15.0, help="per tab")
    ap.add_argument("--tabs", default="EMG,Force,Gait")
    ap.add_argument("--emg-muscles", type=int, default=16)
    ap.add_argument("--profile", default="", help="write a pyinstrument profile here")
    args = ap.parse_args()

    import numpy as np
    import pylsl
    from PySide6 import QtCore, QtWidgets

    from gaitlab.drivers.virtual.sim import start_sim
    from gaitlab.gui.console import SessionConsole
    from gaitlab.live import LabMonitor
    from gaitlab.protocols import load_protocol
    from gaitlab.record.filters import StreamFilter

    tabs = args.tabs.split(",")
    load0 = f"{os.getloadavg()[0]:.1f}"
    app = QtWidgets.QApplication(sys.argv)
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             f"/tmp/gaitlab-bench-{uuid.uuid4().hex[:6]}")
    prof = lab_profile(args.emg_muscles)
    warm_s = 6.0
    sim = start_sim(prof, load_protocol("run"), seed=1, instance=f"bench-{uuid.uuid4().hex[:8]}",
                    run_duration_s=warm_s + args.seconds * len(tabs) + 10)
    mon = LabMonitor(StreamFilter(source_ids=tuple(sim.source_ids.values()))).start()
    win = SessionConsole(mon, "/tmp")
    win.resize(1400, 900)
    win.show()
    names = [win.tabs.tabText(i) for i in range(win.tabs.count())]
    results: list[tuple[str, int, float, dict]] = []
    state = {"i": -1, "t0": 0.0, "ticks": 0, "p0": {}}
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)

    def phase_end() -> None:
        clocks = win.paint_clocks
        span = time.monotonic() - state["t0"]
        lat = {k: np.asarray(c.latencies) for k, c in clocks.items()}
        painted = {k: c.painted - state["p0"][k] for k, c in clocks.items()}
        cpu = {"gui": time.thread_time() - state["cpu0"][0], "proc": time.process_time() - state["cpu0"][1]}
        results.append((tabs[state["i"]], state["ticks"], span, {"lat": lat, "painted": painted,
                                                                 "cpu": cpu}))

    def tick() -> None:
        if pylsl.local_clock() < sim.t0 + warm_s:  # running, views warm
            return
        now = time.monotonic()
        if state["i"] >= 0:
            state["ticks"] += 1
        if state["i"] < 0 or now - state["t0"] >= args.seconds:
            if state["i"] >= 0:
                phase_end()
            state["i"] += 1
            if state["i"] == len(tabs):
                app.quit()
                return
            if state["i"] == 0 and profiler is not None:
                profiler.start()
            win.tabs.setCurrentIndex(names.index(tabs[state["i"]]))
            for c in win.paint_clocks.values():
                c.latencies.clear()
            state.update(t0=now, ticks=0, p0={k: c.painted for k, c in win.paint_clocks.items()},
                         cpu0=(time.thread_time(), time.process_time()))

    win.timer.timeout.connect(tick)
    app.exec()
    if profiler is not None:
        profiler.stop()
        with open(args.profile, "w") as f:
            f.write(profiler.output_text(unicode=True, color=False,
                                         show_all=bool(os.environ.get("PROFILE_ALL"))))
    health = mon.health()
    arrival = {h.key: 1000 * mon.arrival_latency(h.key) for h in health}
    win.close()
    mon.stop()
    sim.stop()
    print(f"load average before/after {load0} / {os.getloadavg()[0]:.1f}")
    print(f"platform {QtWidgets.QApplication.platformName()}, {args.emg_muscles} EMG channels, "
          f"window 1400×900, redraw timer {win.timer.interval()} ms, {args.seconds:g} s per tab")
    for tab, ticks, span, r in results:
        cpu = r["cpu"]
        line = (f"{tab:6s} tab: timer {ticks / span:5.1f} Hz, GUI thread CPU "
                f"{100 * cpu['gui'] / span:.0f} % ({1000 * cpu['gui'] / max(ticks, 1):.1f} ms/tick), "
                f"process CPU {100 * cpu['proc'] / span:.0f} %")
        for k, lat in r["lat"].items():
            if lat.size:
                a = 1000 * lat
                line += (f" | {k}: {r['painted'][k] / span:5.1f} painted fps, latency median "
                         f"{np.median(a):5.1f} ms, p99 {np.percentile(a, 99):5.1f} ms (n={a.size})")
        print(line)
    for h in health:
        print(f"{h.role:12s} {h.channels:5d} ch  {h.measured_srate:7.1f}/{h.nominal_srate:g} Hz  "
              f"samples {h.samples}, gaps {h.gaps}, dropped {h.dropped}", end="")
        a = arrival[h.key]
        print(f"; stamp→pulled median {np.median(a):.1f} ms, p99 {np.percentile(a, 99):.1f} ms"
              if a.size and h.nominal_srate else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
