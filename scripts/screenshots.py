"""Render the desktop app's main views into docs/screenshots/*.png under Xvfb.

    python3 scripts/screenshots.py [--out docs/screenshots] [--keep-display]

Needs the X virtual frame buffer and Qt's xcb cursor library:
``apt-get install -y xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1``
(Debian/Ubuntu; the last three are what PySide6's xcb plugin links against). The script
starts its own Xvfb on a free display (1600x1000x24), runs the real app (xcb platform, not
offscreen) against the virtual athlete over LSL for about a minute, and saves:

* ``strength.png``  — console, Force tab, during the guided hip-abduction test (left side,
  trial 3; both sides are tested, so the summary has strength and LSI);
* ``console_emg.png``  — console, EMG raw + envelope per muscle, stacked per side, while running;
* ``console_gait.png`` — console, pressure heat map with COP and gait line, step widths;
* ``feedback.png`` — the athlete biofeedback window (1280x720);
* ``summary.png`` — console after Stop: the session summary (analysis metrics);
* ``registry.png`` — the athlete registry view with the demo athlete (temporary registry);
* ``compare_table.png``, ``compare_emg.png``, ``compare_gait.png`` — the comparison of the
  demo athlete's three visits: metrics table, EMG ensembles, step width and strength.

``--only views`` renders just the last four (no simulated session, ~10 s).

CI does not run it (it needs Xvfb and takes ~2 min); the pictures are committed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

SIZE = (1600, 1000)


def start_xvfb() -> tuple[subprocess.Popen, str]:
    if shutil.which("Xvfb") is None:
        sys.exit("Xvfb not found: apt-get install -y xvfb")
    for n in range(90, 120):
        if not Path(f"/tmp/.X{n}-lock").exists():
            disp = f":{n}"
            proc = subprocess.Popen(["Xvfb", disp, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24",
                                     "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
            for _ in range(50):
                if Path(f"/tmp/.X11-unix/X{n}").exists():
                    return proc, disp
                time.sleep(0.1)
            proc.kill()
    sys.exit("could not start Xvfb on displays :90-:119")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    ap.add_argument("--only", choices=("all", "console", "views"), default="all",
                    help="console: the session console shots; views: registry and comparison")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.child:
        return shoot(out, args.only)
    # the app runs in a child process so that Xvfb is stopped even if Qt aborts
    xvfb, disp = start_xvfb()
    env = {**os.environ, "DISPLAY": disp, "QT_QPA_PLATFORM": "xcb"}
    try:
        return subprocess.run([sys.executable, __file__, "--child", "--out", str(out), "--only",
                               args.only], env=env, timeout=300).returncode
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def shoot_views(app, out: Path, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    """The registry view and the comparison of the demo athlete's visits."""
    from PySide6 import QtCore

    from gaitlab.gui.compare_view import CompareView
    from gaitlab.gui.registry_view import RegistryView
    from gaitlab.registry import open_registry
    from gaitlab.registry.importer import import_demo

    db = tmp / "registry.sqlite"
    with open_registry(db) as r:
        import_demo(r)
    reg = RegistryView(db)
    reg.resize(1400, 620)
    reg.move(0, 0)
    reg.show()
    reg.visits.selectRow(2)
    reg.show_message("demo-001: 3 visits (baseline, week 4, week 8), enrolled in the ITBS program")
    for _ in range(5):
        app.processEvents()
    reg.grab().save(str(out / "registry.png"))
    print(f"wrote {out / 'registry.png'}", flush=True)
    view = CompareView()
    view.resize(*SIZE)
    view.move(0, 0)
    view.show()
    loop = QtCore.QEventLoop()
    view.loaded.connect(loop.quit)
    view.failed.connect(loop.quit)
    view.load_athlete(db, "demo-001")
    loop.exec()
    for i, name in enumerate(("compare_table.png", "compare_emg.png", "compare_gait.png")):
        view.tabs.setCurrentIndex(i)
        for _ in range(5):
            app.processEvents()
        view.grab().save(str(out / name))
        print(f"wrote {out / name}", flush=True)
    view.close()
    reg.close()
    del view, reg  # before the QApplication: pyqtgraph items can crash the exit otherwise


def shoot(out: Path, only: str = "all") -> int:
    import pylsl
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication(sys.argv)
    if only == "views":
        tmp = Path(tempfile.mkdtemp(prefix="gaitlab-shots-"))
        shoot_views(app, out, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        return 0
    from gaitlab.athlete import load_profile
    from gaitlab.drivers.virtual.sim import start_sim
    from gaitlab.gui.console import SessionConsole
    from gaitlab.live import LabMonitor
    from gaitlab.protocols import load_protocol
    from gaitlab.record.filters import StreamFilter

    tmp = Path(tempfile.mkdtemp(prefix="gaitlab-shots-"))
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat,
                             QtCore.QSettings.Scope.UserScope, str(tmp / "settings"))
    # the demo protocol's make tests, one side after the other, one every 8.2 s: the guided
    # test's 3 s countdown + 5 s window, started every 8.2 s, holds each whole make test
    demo = load_protocol("demo")
    proto = replace(demo, strength=replace(demo.strength, order="per_side", lead_in_s=3.5, rest_s=4.7))
    sim = start_sim(load_profile("default"), proto, seed=3, instance=f"shots-{uuid.uuid4().hex[:8]}",
                    run_duration_s=20.0, lead_s=5.0,
                    devices=("emg", "pressure", "dynamometer"))  # trial markers: the guided test
    ids = tuple(sim.source_ids.values())
    mon = LabMonitor(StreamFilter(source_ids=ids)).start()
    win = SessionConsole(mon, tmp)
    win.resize(*SIZE)
    win.move(0, 0)
    win.show()
    win.visit.setCurrentText("baseline")
    win.phase.setCurrentText("strengthening")
    win.feedback.resize(1280, 720)
    box = win.strength_box

    def save(widget: QtWidgets.QWidget, name: str) -> None:
        app.processEvents()
        widget.grab().save(str(out / name))
        print(f"wrote {out / name}", flush=True)

    def tab(name: str) -> None:
        win.tabs.setCurrentIndex([win.tabs.tabText(i) for i in range(win.tabs.count())].index(name))

    # session time (s) -> action. Make tests rise at 3.5 + 8.2 k s (L, L, L, R, R, R); the
    # strength block ends at 48 s, the 20 s run starts at 51 s.
    starts = [0.2 + 8.2 * k for k in range(6)]
    steps: list[tuple[float, object]] = [
        (-1.5, lambda: (win.start_record(tmp / "shots.h5"), tab("Force"))),
        *[(t, box.start_trial) for t in starts],
        (starts[3] - 0.1, lambda: box.side.setCurrentText("R")),
        (22.0, lambda: save(win, "strength.png")),  # left trial 3 under way, trials 1-2 and CV
        (60.0, lambda: (tab("EMG"), win.feedback.show(), win.feedback.move(100, 100))),
        (63.0, lambda: save(win, "console_emg.png")),
        (63.5, lambda: tab("Gait")),
        (66.0, lambda: (save(win, "console_gait.png"), save(win.feedback, "feedback.png"))),
        (68.0, lambda: (win.feedback.hide(), win.stop_record())),
    ]
    steps.sort(key=lambda s: s[0])  # type: ignore[arg-type, return-value]
    state = {"i": 0, "done_at": None}

    def tick() -> None:
        t = pylsl.local_clock() - sim.t0
        while state["i"] < len(steps) and t >= steps[state["i"]][0]:
            steps[state["i"]][1]()
            state["i"] += 1
        text = win.summary.toPlainText()
        if state["i"] == len(steps) and text and text != "analysing…" and state["done_at"] is None:
            tab("Summary")
            state["done_at"] = time.monotonic()
        if state["done_at"] is not None and time.monotonic() - state["done_at"] > 0.5:
            save(win, "summary.png")
            app.quit()
        if t > 120:
            print("timed out waiting for the session summary", file=sys.stderr)
            app.quit()

    timer = QtCore.QTimer(interval=50, timeout=tick)
    timer.start()
    app.exec()
    timer.stop()  # the comparison views below run event loops of their own
    win.close()
    mon.stop()
    sim.stop()
    if only == "all":
        shoot_views(app, out, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
