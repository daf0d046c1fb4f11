"""Shared parts of the fault benchmarks (soak.py, fault_kill.py, fault_reconnect.py): the
simulated lab and the CLI recorder as subprocesses, /proc sampling, reading a session
file back, the machine block and the docs/reliability.md section writer.

Imported as ``from _faults import ...`` (the scripts run as ``python benchmarks/x.py``).
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
RESULTS = ROOT / "benchmarks" / "results"
ATHLETE = "demo-001"  # the default profile's athlete id (part of the sim's source_ids)
DEVICES = ("emg", "pressure", "dynamometer", "markers")
TICK = os.sysconf("SC_CLK_TCK")


def source_id(device: str, instance: str) -> str:
    return f"gaitlab-sim:{ATHLETE}:{device}:{instance}"


def gaitlab(*args: str, log: Path | None = None) -> subprocess.Popen:
    """``python -m gaitlab …`` as a subprocess, its stdout+stderr into ``log`` (or discarded)."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "gaitlab", *args], stdout=out,
                            stderr=subprocess.STDOUT, cwd=ROOT)


def start_sim(instance: str, duration_s: float, devices: tuple[str, ...] = DEVICES,
              log: Path | None = None) -> subprocess.Popen:
    return gaitlab("sim", "--protocol", "run", "--duration", f"{duration_s:g}", "--instance",
                   instance, "--devices", ",".join(devices), log=log)


def start_recorder(out: Path, instance: str, devices: tuple[str, ...] = DEVICES,
                   duration_s: float | None = None, log: Path | None = None) -> subprocess.Popen:
    args = ["record", "--out", str(out), "--overwrite"]
    for d in devices:
        args += ["--source-id", source_id(d, instance)]
    if duration_s is not None:
        args += ["--duration", f"{duration_s:g}"]
    return gaitlab(*args, log=log)


def wait_for(pred, timeout: float, what: str, poll: float = 0.05) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


def log_has(log: Path, text: str) -> bool:
    try:
        return text in log.read_text(errors="replace")
    except OSError:
        return False


def sim_t0(log: Path) -> float | None:
    """The sim's t0 (LSL time of session time 0) from its first status line."""
    try:
        m = re.search(r"t0 = ([0-9.]+) \(LSL\)", log.read_text(errors="replace"))
    except OSError:
        return None
    return float(m.group(1)) if m else None


# --- /proc sampling --------------------------------------------------------------------
def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    """pid and all its live descendants (by scanning /proc for parent ids)."""
    parents: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parents[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(c for c, pp in parents.items() if pp == p)
    return out


def tree_sample(pid: int) -> tuple[float, float]:
    """(RSS MB, CPU s) summed over pid and its descendants (CPU of exited children is
    lost, so compare CPU only within one process tree's life)."""
    rss = cpu = 0.0
    for p in descendants(pid):
        try:
            rss += proc_rss_mb(p)
            cpu += proc_cpu_s(p)
        except (OSError, IndexError, ValueError):
            pass
    return rss, cpu


# --- reading a session back -----------------------------------------------------------
@dataclass
class StoredStream:
    name: str
    source_id: str
    srate: float
    samples: int
    flushed: int
    first_ts: float
    last_ts: float
    gaps: np.ndarray  # (k, 2) [before, after]

    @property
    def expected(self) -> int:
        """Samples a regular stream should hold from its first to its last stamp."""
        if self.srate <= 0 or self.samples == 0:
            return self.samples
        return round((self.last_ts - self.first_ts) * self.srate) + 1


def read_session(path: Path) -> dict[str, StoredStream]:
    """Per stream (by source_id) what the file holds, read with plain h5py swmr=True."""
    import h5py

    out = {}
    with h5py.File(path, "r", swmr=True, locking=False) as f:
        for g in f["streams"].values():
            ts = g["time_stamps"]
            n = int(g.attrs.get("flushed_samples", ts.shape[0]))
            t = ts[:n]
            t = t[np.isfinite(t)]
            sid = str(g.attrs["source_id"])
            out[sid] = StoredStream(str(g.attrs["name"]), sid, float(g.attrs["nominal_srate"]),
                                    int(ts.shape[0]), n,
                                    float(t[0]) if len(t) else np.nan,
                                    float(t[-1]) if len(t) else np.nan, g["gaps"][()])
    return out


def gaitlab_opens(path: Path) -> str:
    """'ok' when gaitlab's reader opens the file and reads every stream, else the error."""
    from gaitlab.io.session import open_session

    try:
        with open_session(path) as s:
            for st in s.streams.values():
                n = st.n_samples
                _ = st.time_stamps
                st.read(max(0, n - 10), n)
        return "ok"
    except Exception as exc:  # the figure is whether it opens
        return f"{type(exc).__name__}: {exc}"


# --- machine block and the doc -----------------------------------------------------------
def machine_lines() -> list[str]:
    mem = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        k, v = line.split(":", 1)
        mem[k] = int(v.split()[0]) / 1024 / 1024
    load = os.getloadavg()
    return [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- `uname -a`: {' '.join(platform.uname())}",
        f"- `nproc`: {os.cpu_count()}; load average at the end {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}",
        f"- `python3 --version`: Python {platform.python_version()}",
        f"- RAM: {mem.get('MemTotal', 0):.1f} GiB total, {mem.get('MemAvailable', 0):.1f} GiB "
        "available",
    ]


SHARED_NOTE = ("The machine is shared with other engineers' builds and tests (2 cores), so CPU "
               "figures are noisy and an upper bound of what the recorder needs alone.")


def write_section(heading: str, body: str, doc: Path = DOC) -> None:
    """Replace (or append) the ``## heading`` section of docs/reliability.md."""
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text() if doc.exists() else (
        "# Reliability\n\nFault and endurance figures of the recorder (`gaitlab record`) against "
        "the simulated lab (`gaitlab sim`). Each section says how to rerun it; the scripts "
        "rewrite their own section.\n")
    block = f"## {heading}\n\n{body.strip()}\n"
    pat = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pat.search(text):
        text = pat.sub(lambda _: block + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + block
    doc.write_text(text)


def md_table(header: list[str], rows: list[list[object]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def stop_proc(p: subprocess.Popen, timeout: float = 10.0) -> None:
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
