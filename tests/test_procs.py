"""gaitlab.procs: children gaitlab starts die with their parent, SIGKILL included.

Each test starts a real parent process, which starts children the way gaitlab does; the
parent is SIGKILLed and every process below it must be gone within the issue's 2 s."""

from __future__ import annotations

import select
import signal
import subprocess
import sys

import pytest

from gaitlab.procs import parent_token, popen_kwargs

BOUND_S = 2.5  # the issue demands 2 s; a margin for a loaded machine

POOL_PARENT = """
import os, sys, threading, time
from gaitlab.analysis.pipeline import worker_pool
method, where = sys.argv[1], sys.argv[2]
box = {}
def go():
    ex = worker_pool(method)
    box['pid'] = ex.submit(os.getpid).result()
    box['busy'] = ex.submit(time.sleep, 60)  # a long piece: the worker is busy, not idle
    box['ex'] = ex
if where == 'thread':
    t = threading.Thread(target=go); t.start(); t.join()
else:
    go()
print(box['pid'], flush=True)
time.sleep(120)
"""

METRONOME_PARENT = """
import time
from gaitlab.gui.metronome import Metronome
m = Metronome(command=['sleep', '60'])  # a player that never reads its stdin
assert m.start(120.0)
print(m.proc.pid, flush=True)
time.sleep(120)
"""


def read_line(proc: subprocess.Popen, timeout: float = 60.0) -> str:
    """The parent's first stdout line (its children are up), or fail after ``timeout``."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "the parent did not start its children in time"
    line = proc.stdout.readline()
    assert line.strip(), f"the parent ended early (exit code {proc.wait(10)})"
    return line


def kill_parent_and_time(proc_tree, proc: subprocess.Popen) -> float:  # type: ignore[no-untyped-def]
    kids = proc_tree.descendants(proc.pid)
    assert kids
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    took = proc_tree.wait_gone(kids, BOUND_S)
    left = [k for k in kids if proc_tree.running(k)]
    assert took is not None, f"children {left} outlived their SIGKILLed parent"
    print(f"last child gone {took * 1e3:.0f} ms after the parent's SIGKILL ({len(kids)} processes)")
    return took


@pytest.mark.parametrize(("method", "where"), [("forkserver", "main"), ("spawn", "main"),
                                               ("spawn", "thread")])
def test_busy_analysis_worker_dies_with_its_parent(proc_tree, method: str, where: str) -> None:
    """The pressure worker pool (started from the main thread by the CLI, from a worker
    thread by the console): a worker mid-task ends when the parent is SIGKILLed."""
    parent = proc_tree.start([sys.executable, "-c", POOL_PARENT, method, where],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    worker = int(read_line(parent))
    assert worker in proc_tree.descendants(parent.pid)
    kill_parent_and_time(proc_tree, parent)


def test_metronome_player_dies_with_the_app(proc_tree) -> None:
    parent = proc_tree.start([sys.executable, "-c", METRONOME_PARENT], stdout=subprocess.PIPE, text=True)
    player = int(read_line(parent))
    assert player in proc_tree.descendants(parent.pid)
    kill_parent_and_time(proc_tree, parent)


def test_pdeathsig_is_armed_only_for_a_main_thread_start() -> None:
    """A parent-death signal fires when the creating *thread* ends: a child started from
    another thread must not get one (it relies on the parent's pipe instead)."""
    import threading

    assert parent_token().main_thread
    box: dict[str, object] = {}
    t = threading.Thread(target=lambda: box.update(tok=parent_token(), kw=popen_kwargs()))
    t.start()
    t.join()
    assert not box["tok"].main_thread and box["kw"] == {}  # type: ignore[attr-defined]
    if sys.platform.startswith("linux"):
        assert "preexec_fn" in popen_kwargs()
        r = subprocess.run([sys.executable, "-c", PDEATHSIG_CHILD], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0 and r.stdout.split() == ["0", str(int(signal.SIGTERM))], r.stderr


PDEATHSIG_CHILD = """
import ctypes, signal
from gaitlab.procs import set_pdeathsig
libc = ctypes.CDLL(None)
def get():
    v = ctypes.c_int(-1)
    libc.prctl(2, ctypes.byref(v), 0, 0, 0)  # PR_GET_PDEATHSIG
    return v.value
before = get()
assert set_pdeathsig(signal.SIGTERM)
print(before, get())
"""
