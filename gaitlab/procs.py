"""Processes gaitlab starts: every child dies with its parent, SIGKILL included.

Two guards, both armed by the child itself (:func:`guard_child`, first thing it does):

1. Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)``. The kernel signals the child when the
   *thread* that created it exits, so it is armed only when the parent started the child
   from its main thread (:func:`parent_token` records that); the race (the parent died
   before the prctl) is closed by checking ``os.getppid()`` right after it.
2. Everywhere: a daemon thread waits on the multiprocessing parent sentinel (a pipe whose
   other end only the parent holds: it reads EOF the moment the parent is gone, however it
   died). It runs ``on_parent_death`` (e.g. "stop streaming") and, if the process is still
   alive ``grace_s`` later, ends it with ``os._exit``.

Programs that are not Python (the metronome's audio player) get guard 1 through
:func:`popen_kwargs` (a ``preexec_fn``), and their stdin pipe as the portable guard: they
read EOF when the parent dies.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PR_SET_PDEATHSIG = 1
GRACE_S = 0.5  # after the parent died: time for a clean stop before os._exit
ORPHAN_EXIT_CODE = 75  # a child that ended because its parent was gone


@dataclass(frozen=True)
class ParentToken:
    """What a child needs to know about the process that started it (made in the parent).

    ``pid``: the parent; ``main_thread``: it started the child from its main thread (so a
    parent-death signal is tied to the process's life, not a worker thread's); ``direct``:
    the parent is the child's direct parent (False for a multiprocessing fork server,
    which forks the child on the parent's behalf from its own main thread)."""

    pid: int
    main_thread: bool
    direct: bool = True


def parent_token(direct: bool = True) -> ParentToken:
    """Call in the parent, in the thread that starts the child."""
    return ParentToken(os.getpid(), threading.current_thread() is threading.main_thread(), direct)


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return fn


def set_pdeathsig(sig: int = signal.SIGTERM) -> bool:
    """Linux: have the kernel send ``sig`` to this process when its parent thread exits."""
    fn = _prctl()
    return fn is not None and fn(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def orphaned(token: ParentToken | None) -> bool:
    """Whether the parent that started this process is gone (its direct child only)."""
    return token is not None and token.direct and os.getppid() != token.pid


def exit_if_orphaned(token: ParentToken | None) -> None:
    """For a SIGTERM handler: the parent-death signal needs no clean stop, end at once."""
    if orphaned(token):
        os._exit(ORPHAN_EXIT_CODE)


def guard_child(token: ParentToken | None = None, on_parent_death: Callable[[], None] | None = None,
                grace_s: float = GRACE_S, sig: int = signal.SIGTERM) -> None:
    """Make this (child) process end when its parent dies. Call first in the child.

    Without ``on_parent_death`` the process ends at once (``os._exit``); with it, the
    callback runs in the watcher thread and the process is ended ``grace_s`` later if it
    is still there. ``sig`` is the parent-death signal (Linux); its handler, if any, should
    stop the process the same way."""
    if token is not None and token.main_thread and set_pdeathsig(sig):
        if orphaned(token):  # the parent died before the prctl
            os._exit(ORPHAN_EXIT_CODE)
    parent = mp.parent_process()
    if parent is None or parent.sentinel is None:
        return
    sentinel = parent.sentinel
    if multiprocessing.connection.wait([sentinel], 0):  # already gone: nothing to stop yet
        os._exit(ORPHAN_EXIT_CODE)

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        _orphaned(on_parent_death, grace_s)

    threading.Thread(target=watch, name="gaitlab-parent-watch", daemon=True).start()


def _orphaned(on_parent_death: Callable[[], None] | None, grace_s: float) -> None:
    if on_parent_death is not None:
        try:
            on_parent_death()
        except Exception:  # the exit below is what counts
            pass
        threading.Event().wait(grace_s)
    os._exit(ORPHAN_EXIT_CODE)


def popen_kwargs() -> dict[str, Any]:
    """Keyword arguments for ``subprocess.Popen`` that give the program a parent-death
    signal (Linux, when called from the main thread; else none: rely on its stdin pipe).

    The ``preexec_fn`` runs in the child between fork and exec and only calls prctl,
    getppid and _exit (prepared here, in the parent), so it takes no lock another thread
    might hold at the fork."""
    fn = _prctl()
    if fn is None or threading.current_thread() is not threading.main_thread():
        return {}
    pid, getppid, exit_ = os.getpid(), os.getppid, os._exit
    term = int(signal.SIGTERM)

    def preexec() -> None:
        fn(PR_SET_PDEATHSIG, term, 0, 0, 0)
        if getppid() != pid:
            exit_(ORPHAN_EXIT_CODE)

    return {"preexec_fn": preexec}
