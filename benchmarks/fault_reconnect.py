"""Stream losses and returns: the EMG device killed and restarted --losses times in one recording.

Two sims with one instance id: ``gaitlab sim --devices emg`` (the device that is killed) and
``gaitlab sim --devices pressure,dynamometer,markers`` (left running). One ``gaitlab record``
records all four by --source-id. --losses times: after a random 3..6 s of data the EMG
device process is killed with SIGKILL, after a random 0.3..2 s a new ``gaitlab sim --devices
emg`` with the same instance (same source_id) is started. Its first sample is stamped with
its t0, so the actual outage is t0(new) − LSL time of the kill. Each stored gap
[before, after] is matched to its kill and its length compared with the outage.
Goal: one gap per loss, each stored with its measured length; the recorder reconnects each
time; the other streams have no gap.

    python benchmarks/fault_reconnect.py [--losses 10] [--seed 2] [--no-doc]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl
from _faults import (
    SHARED_NOTE,
    descendants,
    gaitlab_opens,
    log_has,
    machine_lines,
    md_table,
    read_session,
    sim_t0,
    source_id,
    start_recorder,
    start_sim,
    stop_proc,
    wait_for,
    write_section,
)

OTHERS = ("pressure", "dynamometer", "markers")


def device_pid(sim: subprocess.Popen) -> int:
    """The spawned device process of a one-device sim (not multiprocessing's helpers)."""
    for p in descendants(sim.pid)[1:]:
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmd:
            return p
    raise SystemExit("no device process found under the sim")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--losses", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--no-doc", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    work = a.dir or Path(tempfile.mkdtemp(prefix="gaitlab-reconnect-"))
    work.mkdir(parents=True, exist_ok=True)
    inst = f"rc-{uuid.uuid4().hex[:6]}"
    long_s = a.losses * 12 + 60
    out, rlog = work / "reconnect.h5", work / "record.log"
    rec = start_recorder(out, inst, log=rlog)
    others = start_sim(inst, long_s, OTHERS, log=work / "others.log")
    emg_log = work / "emg0.log"
    emg = start_sim(inst, long_s, ("emg",), log=emg_log)
    kills: list[tuple[float, float, float]] = []  # (t_kill, waited, t0 new)
    try:
        wait_for(lambda: sim_t0(emg_log) is not None, 120, "the EMG sim")
        wait_for(lambda: log_has(rlog, "'gaitlab-sim EMG'"), 60, "the recorder to adopt EMG")
        for k in range(a.losses):
            time.sleep(rnd.uniform(3.0, 6.0))
            pid = device_pid(emg)
            os.kill(pid, signal.SIGKILL)
            t_kill = pylsl.local_clock()
            emg.wait(30)  # the sim parent sees its device die and exits
            waited = rnd.uniform(0.3, 2.0)
            time.sleep(waited)
            emg_log = work / f"emg{k + 1}.log"
            emg = start_sim(inst, long_s, ("emg",), log=emg_log)
            wait_for(lambda log=emg_log: sim_t0(log) is not None, 120, "the restarted EMG sim")
            kills.append((t_kill, waited, sim_t0(emg_log)))
            print(f"loss {k + 1}: killed at {t_kill:.3f}, restarted after {waited:.2f} s, "
                  f"new t0 {kills[-1][2]:.3f}", flush=True)
        time.sleep(4.0)
    finally:
        rec.send_signal(signal.SIGTERM)
        try:
            rec.wait(30)
        finally:
            stop_proc(rec)
            stop_proc(emg)
            stop_proc(others)
    st = read_session(out)
    e = st[source_id("emg", inst)]
    gaps = e.gaps
    rows = []
    for k, (t_kill, waited, t0n) in enumerate(kills):
        hit = [g for g in gaps if g[0] < t_kill < g[1]]
        if hit:
            b, af = hit[0]
            rows.append([k + 1, f"{waited:.2f}", f"{t0n - t_kill:.3f}", f"{af - b:.3f}",
                         f"{(af - b) - (t0n - t_kill):+.3f}",
                         f"{t_kill - b:.3f}", f"{af - t0n:+.3f}"])
        else:
            rows.append([k + 1, f"{waited:.2f}", f"{t0n - t_kill:.3f}", "MISSING", "", "", ""])
    log_text = rlog.read_text(errors="replace")
    back = log_text.count("stream 'gaitlab-sim EMG' is back")
    lost = log_text.count("stream 'gaitlab-sim EMG' lost")
    other_gaps = {st[source_id(d, inst)].name: len(st[source_id(d, inst)].gaps) for d in OTHERS
                  if source_id(d, inst) in st}
    diffs = np.array([float(r[4]) for r in rows if r[3] != "MISSING"])
    table = md_table(["loss", "restart after (s)", "actual outage (s): new t0 − kill", "stored gap (s)",
                      "stored − actual (s)", "kill − gap start (s)", "gap end − new t0 (s)"], rows)
    verdict = (f"{len(gaps)} gap row(s) stored for {len(kills)} losses; recorder log: "
               f"{lost} 'lost', {back} 'is back' (reconnects); gaps in the other streams: "
               f"{other_gaps}; stored − actual: median {np.median(diffs):+.3f} s, max "
               f"{np.max(np.abs(diffs)):.3f} s; gaitlab's reader: {gaitlab_opens(out)}.")
    summary = [ln for ln in log_text.splitlines() if "reconnect(s)" in ln]
    print(table + "\n" + verdict + "\n" + "\n".join(summary))
    if not a.no_doc:
        write_section("Stream losses and returns", "\n".join([
            f"Rerun: `python benchmarks/fault_reconnect.py --losses {a.losses} --seed {a.seed}`. "
            "Quick test: `tests/record/test_fault_suite.py::"
            "test_two_losses_each_gap_stored_with_its_length`.",
            "",
            "What ran: `gaitlab record --source-id …` (all four sim streams) against `gaitlab sim "
            "--devices pressure,dynamometer,markers --instance X` (left running) and `gaitlab sim "
            f"--devices emg --instance X`, whose device process was killed with SIGKILL {a.losses} "
            "times (after 3..6 s of data) and restarted with the same instance (same source_id) "
            "0.3..2 s later. The restarted sim's first sample is stamped with its t0, so the "
            "actual outage = t0(new) − kill; it includes the sim's start-up (~1.5 s lead). "
            "The stored gap is [last sample before, first sample after] from the file's gap table.",
            "",
            "Goal: each loss stored as one gap with its measured length; the recorder reconnects "
            "each time.",
            "",
            *machine_lines(), "", SHARED_NOTE, "", table, "", verdict, "", "Recorder summary:",
            "", "```", *summary, "```"]))


if __name__ == "__main__":
    main()
