"""The disk filling mid-session: the full simulated lab recorded onto a small tmpfs.

Mounts a --size-mb (10) tmpfs (needs root; else it says so and stops), runs ``gaitlab sim
--protocol run`` (all devices) and ``gaitlab record --out <tmpfs>/full.h5 --source-id …``
until the disk is full. Reports the exit code, the ``Error:`` line(s) and whether any
traceback was printed, whether the file opens (gaitlab's reader, h5py swmr=True), and per
stream: the last stored time stamp against the LSL time at which the error line arrived,
and stored vs expected samples from the first to the last stored stamp (nothing lost
before the error). Goal: one line, exit != 0, file readable, no hole before the error.

    python benchmarks/fault_disk_full.py [--size-mb 10] [--no-doc]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import pylsl
from _faults import (
    DEVICES,
    ROOT,
    SHARED_NOTE,
    gaitlab_opens,
    log_has,
    machine_lines,
    md_table,
    read_session,
    source_id,
    start_sim,
    stop_proc,
    wait_for,
    write_section,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=10)
    ap.add_argument("--no-doc", action="store_true")
    a = ap.parse_args()
    mnt = Path(tempfile.mkdtemp(prefix="gaitlab-diskfull-"))
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={a.size_mb}m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mnt)
        raise SystemExit(f"cannot mount a tmpfs ({r.stderr.strip()}): run as root")
    inst = f"full-{uuid.uuid4().hex[:6]}"
    sim_log = Path(tempfile.mkdtemp()) / "sim.log"
    sim = start_sim(inst, 600, log=sim_log)
    try:
        wait_for(lambda: log_has(sim_log, "t0 = "), 120, "the sim")
        out = mnt / "full.h5"
        args = [sys.executable, "-m", "gaitlab", "record", "--out", str(out), "--duration", "500"]
        for d in DEVICES:
            args += ["--source-id", source_id(d, inst)]
        rec = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=ROOT)
        err_lines: list[tuple[float, str]] = []

        def read_err() -> None:
            assert rec.stderr is not None
            for line in rec.stderr:
                err_lines.append((pylsl.local_clock(), line.rstrip("\n")))

        th = threading.Thread(target=read_err, daemon=True)
        th.start()
        stdout = rec.stdout.read() if rec.stdout else ""
        rc = rec.wait(600)
        th.join(10)
        errors = [(t, ln) for t, ln in err_lines if ln.startswith("Error:")]
        t_err = errors[0][0] if errors else float("nan")
        traceback = any("Traceback" in ln for _, ln in err_lines)
        opens = gaitlab_opens(out)
        st = read_session(out)
        size = out.stat().st_size / 1e6
        rows = []
        for s in st.values():
            gaps = len(s.gaps)
            rows.append([s.name, s.flushed, s.expected if s.srate > 0 else "n/a",
                         (s.expected - s.flushed) if s.srate > 0 else "n/a", gaps,
                         f"{t_err - s.last_ts:.3f}" if s.srate > 0 else "n/a"])
    finally:
        stop_proc(sim)
        subprocess.run(["umount", str(mnt)], check=False)
        os.rmdir(mnt)
    table = md_table(["stream", "stored (flushed)", "expected first..last", "missing", "gaps",
                      "error line − last stored stamp (s)"], rows)
    verdict = (f"Exit code {rc}; {len(errors)} `Error:` line(s) on stderr; traceback printed: "
               f"{traceback}; stdout {len(stdout.splitlines())} line(s); file {size:.2f} MB on a "
               f"{a.size_mb} MB tmpfs; gaitlab's reader: {opens}; h5py swmr=True: ok.")
    err_text = errors[0][1] if errors else "(none)"
    print(table + "\n" + verdict + "\n" + err_text)
    if not a.no_doc:
        write_section("Disk full", "\n".join([
            f"Rerun (as root): `python benchmarks/fault_disk_full.py --size-mb {a.size_mb}`. Quick "
            "test: `tests/record/test_cli_crash.py::test_full_disk_stops_with_readable_file` (1 MiB "
            "tmpfs, one publisher).",
            "",
            f"What ran: `mount -t tmpfs -o size={a.size_mb}m`, `gaitlab sim --protocol run` (all "
            "devices) and `gaitlab record --out <tmpfs>/full.h5 --source-id …` until the disk was "
            "full. Missing = expected (nominal rate × span of the stored stamps + 1) − stored.",
            "",
            "Goal: one line on stderr, exit != 0, the file stays readable, nothing before the "
            "error is lost.",
            "",
            *machine_lines(), "", SHARED_NOTE, "", table, "", verdict, "", "The line:", "",
            f"    {err_text}"]))


if __name__ == "__main__":
    main()
