"""SIGKILL the recorder at random moments of a full simulated session.

One ``gaitlab sim --protocol run`` (all four devices) runs throughout; ``gaitlab record``
(the four streams by --source-id) is started into a new file, killed with SIGKILL at a
random moment (uniform in --min-s..--max-s after it adopted the streams), and immediately
restarted into the next file, --kills times. Each killed file is opened with gaitlab's
reader and with plain h5py (swmr=True); the loss per stream = LSL time of the kill − last
stored (flushed) time stamp; the worst over the regular streams is reported per kill.
Goal: every file opens, worst loss <= 1 s (the recorder flushes every 0.5 s).

    python benchmarks/fault_kill.py [--kills 20] [--min-s 1] [--max-s 6] [--seed 1] [--no-doc]
"""

from __future__ import annotations

import argparse
import random
import signal
import tempfile
import time
import uuid
from pathlib import Path

import pylsl
from _faults import (
    DEVICES,
    SHARED_NOTE,
    gaitlab_opens,
    log_has,
    machine_lines,
    md_table,
    read_session,
    start_recorder,
    start_sim,
    stop_proc,
    wait_for,
    write_section,
)

REGULAR = ("EMG", "Pressure", "Dynamometer")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--min-s", type=float, default=1.0)
    ap.add_argument("--max-s", type=float, default=6.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--no-doc", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    work = a.dir or Path(tempfile.mkdtemp(prefix="gaitlab-kill-"))
    work.mkdir(parents=True, exist_ok=True)
    inst = f"kill-{uuid.uuid4().hex[:6]}"
    sim_log = work / "sim.log"
    sim = start_sim(inst, a.kills * (a.max_s + 8) + 60, log=sim_log)
    rows, worst_all, bad_open = [], 0.0, 0
    try:
        wait_for(lambda: log_has(sim_log, "t0 = "), 120, "the sim")
        for k in range(a.kills):
            out, log = work / f"kill{k:02d}.h5", work / f"kill{k:02d}.log"
            rec = start_recorder(out, inst, log=log)
            wait_for(lambda log=log: all(log_has(log, f"'gaitlab-sim {n}'") for n in REGULAR),
                     60, "the recorder to adopt the streams")
            delay = rnd.uniform(a.min_s, a.max_s)
            time.sleep(delay)
            rec.send_signal(signal.SIGKILL)
            t_kill = pylsl.local_clock()
            rec.wait(10)
            opens = gaitlab_opens(out)
            try:
                st = read_session(out)
                h5 = "ok"
            except Exception as exc:  # the figure is whether it opens
                st, h5 = {}, f"{type(exc).__name__}: {exc}"
            loss = {s.name.split()[-1]: t_kill - s.last_ts for s in st.values() if s.srate > 0}
            worst = max(loss.values()) if loss else float("inf")
            worst_all = max(worst_all, worst)
            bad_open += (opens != "ok") + (h5 != "ok")
            rows.append([k + 1, f"{delay:.2f}", opens, h5,
                         *(f"{loss.get(n, float('nan')):.3f}" for n in REGULAR), f"{worst:.3f}"])
            print(" ".join(str(c) for c in rows[-1]), flush=True)
    finally:
        stop_proc(sim)
    header = ["kill", "after (s)", "gaitlab reader", "h5py swmr", *(f"loss {n} (s)" for n in REGULAR),
              "worst (s)"]
    table = md_table(header, rows)
    verdict = (f"Worst loss over {a.kills} kills: **{worst_all:.3f} s** (goal <= 1 s); files that "
               f"failed to open: {bad_open}.")
    print(table + "\n" + verdict)
    if not a.no_doc:
        write_section("SIGKILL at random moments", "\n".join([
            f"Rerun: `python benchmarks/fault_kill.py --kills {a.kills} --seed {a.seed}`. Quick test: "
            "`tests/record/test_fault_suite.py::test_repeated_sigkill_loses_under_1s`.",
            "",
            f"What ran: one `gaitlab sim --protocol run --instance <unique>` (all of {', '.join(DEVICES)});"
            " `gaitlab record --out killNN.h5 --source-id …` started, killed with SIGKILL "
            f"{a.min_s:g}..{a.max_s:g} s (uniform, seed {a.seed}) after it adopted the streams, "
            "restarted at once into a new file. Loss = LSL time of the kill − last flushed "
            "time stamp of the stream in the killed file.",
            "",
            "Goal: every file opens (gaitlab's reader, h5py swmr=True), at most 1 s lost.",
            "",
            *machine_lines(), "", SHARED_NOTE, "", table, "", verdict]))


if __name__ == "__main__":
    main()
