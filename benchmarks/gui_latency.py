"""Desktop app: sensor timestamp → redraw latency for the EMG and force traces, and frame rate.

    QT_QPA_PLATFORM=offscreen python3 benchmarks/gui_latency.py [SECONDS] [EMG|Force|Gait]

The virtual athlete streams the whole lab (EMG 6 ch at 2 kHz, pressure 128×42 = 5,376 sensors
at 120 Hz, dynamometer 100 Hz, markers) over LSL on loopback, in its own processes on the same
machine. The session console (1400×900) redraws on its 30 ms timer. At every redraw, for each
trace, latency = local_clock() − (stamp of the newest sample drawn + clock offset), taken just
after the curve's setData; painting follows in the same event-loop pass. Reports median / p99
per trace, frames per second, and the samples the monitor lost (gaps, dropped).
"""

from __future__ import annotations

import os
import sys
import time
import uuid

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    import numpy as np
    import pylsl
    from PySide6 import QtCore, QtWidgets

    from gaitlab.athlete import load_profile
    from gaitlab.drivers.virtual.sim import start_sim
    from gaitlab.gui.console import SessionConsole
    from gaitlab.live import LabMonitor
    from gaitlab.protocols import load_protocol
    from gaitlab.record.filters import StreamFilter

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    app = QtWidgets.QApplication(sys.argv)
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             f"/tmp/gaitlab-bench-{uuid.uuid4().hex[:6]}")
    sim = start_sim(load_profile("default"), load_protocol("run"), seed=1,
                    instance=f"bench-{uuid.uuid4().hex[:8]}", run_duration_s=seconds + 15)
    ids = tuple(sim.source_ids.values())
    mon = LabMonitor(StreamFilter(source_ids=ids)).start()
    win = SessionConsole(mon, "/tmp")
    win.resize(1400, 900)
    win.show()
    per_key: dict[str, list[float]] = {}
    orig = win._note_latency

    def note(key: str) -> None:
        t = mon.latest_time(key)
        if np.isfinite(t):
            per_key.setdefault(key, []).append(pylsl.local_clock() - t)
        orig(key)

    win._note_latency = note  # type: ignore[method-assign]
    frames: list[float] = []
    state = {"t0": None}

    def tick() -> None:
        now = time.monotonic()
        if state["t0"] is None and pylsl.local_clock() > sim.t0 + 5.0:  # running, views warm
            state["t0"] = now
            per_key.clear()
        if state["t0"] is not None:
            frames.append(now)
            if now - state["t0"] > seconds:
                app.quit()

    win.timer.timeout.connect(tick)
    tab = sys.argv[2] if len(sys.argv) > 2 else "EMG"
    win.tabs.setCurrentIndex([win.tabs.tabText(i) for i in range(win.tabs.count())].index(tab))
    app.exec()
    health = {h.key: h for h in mon.health()}
    win.close()
    mon.stop()
    sim.stop()
    span = frames[-1] - frames[0]
    print(f"{len(frames) - 1} frames in {span:.1f} s: {(len(frames) - 1) / span:.1f} fps "
          f"(timer 30 ms, {tab} tab visible)")
    for key, lat in per_key.items():
        h = health[key]
        a = 1000 * np.asarray(lat)
        print(f"{h.role:12s} latency median {np.median(a):5.1f} ms, p99 {np.percentile(a, 99):5.1f} ms "
              f"(n={a.size}); gaps {h.gaps}, dropped {h.dropped}")
    for h in health.values():
        if h.key not in per_key:
            print(f"{h.role:12s} gaps {h.gaps}, dropped {h.dropped}, {h.measured_srate:.0f}/"
                  f"{h.nominal_srate:g} Hz")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
