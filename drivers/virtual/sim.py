"""Run the virtual lab: one process per device, all rendering the same session model.

The parent builds the model, starts one spawned process per device, waits until
every outlet exists, then sets the shared start time ``t0 = local_clock() + lead_s``
so recorders can resolve the streams before the first sample.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import TextIO

import pylsl

from gaitlab.athlete import Profile
from gaitlab.drivers.virtual.model import SessionModel, build_session
from gaitlab.drivers.virtual.outlets import DEVICES, source_id, stream_device
from gaitlab.drivers.virtual.truth import write_truth
from gaitlab.errors import GaitlabError
from gaitlab.procs import ParentToken, exit_if_orphaned, guard_child, parent_token
from gaitlab.protocols import Protocol

READY_TIMEOUT_S = 60.0


def _child_main(device: str, profile: Profile, protocol: Protocol, seed: int,
                run_duration_s: float | None, max_duration_s: float | None, instance: str,
                t0: Synchronized, ready: Event, stop: Event, linger_s: float,
                parent: ParentToken | None = None) -> None:
    """Entry point of a device process (module level so the spawn context can import it).
    It stops when the parent dies, however it dies (SIGTERM from the kernel, or the
    parent's pipe closing: gaitlab.procs)."""
    def on_sigterm(*_: object) -> None:  # the parent's stop(), or the parent's death
        stop.set()
        exit_if_orphaned(parent)  # the parent is gone: no one waits for a clean stop

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, on_sigterm)
    guard_child(parent)  # parent gone: exit at once (no one waits for a clean stop)
    try:
        model = build_session(profile, protocol, seed, run_duration_s, max_duration_s)
        stream_device(model, device, instance, lambda: t0.value, stop.is_set, ready.set,
                      linger_s)
    except Exception as exc:  # one line, no traceback: the parent reports the exit code
        print(f"gaitlab sim: {device} device failed: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        sys.exit(1)


@dataclass
class SimHandle:
    """A running simulation. ``t0`` is the LSL time of session time 0."""

    model: SessionModel
    t0: float
    instance: str
    devices: tuple[str, ...]
    processes: dict[str, mp.process.BaseProcess]
    source_ids: dict[str, str]
    _stop: Event = field(repr=False)

    @property
    def t_end(self) -> float:
        """LSL time at which the last sample is due."""
        return self.t0 + self.model.duration_s

    def failed(self) -> list[str]:
        """Devices whose process ended with a non-zero exit code."""
        return [d for d, p in self.processes.items() if p.exitcode not in (None, 0)]

    def wait(self, timeout: float | None = None, status: TextIO | None = None) -> int:
        """Wait for the session to end; returns 0, or 1 if a device process died.

        With ``status`` (e.g. sys.stdout) prints one progress line per second.
        Returns 0 early only when all processes ended; on timeout returns -1.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        last = 0.0
        while True:
            bad = self.failed()
            if bad:
                codes = ", ".join(f"{d} (exit code {self.processes[d].exitcode})" for d in bad)
                print(f"gaitlab sim: device process died: {codes}; stopping the others",
                      file=sys.stderr)
                self.stop()
                return 1
            if all(p.exitcode is not None for p in self.processes.values()):
                return 0
            if deadline is not None and time.monotonic() > deadline:
                return -1
            if status is not None and time.monotonic() - last >= 1.0:
                last = time.monotonic()
                print(self.status_line(), file=status, flush=True)
            time.sleep(0.05)

    def status_line(self) -> str:
        now = pylsl.local_clock() - self.t0
        t = min(max(now, 0.0), self.model.duration_s)
        block = "starting" if now < 0 else "-"
        for tm, text in self.model.markers:
            if now >= 0 and tm <= t and text.startswith("block_"):
                block = text.replace("block_start ", "").replace("block_end ", "after ")
        steps = int((self.model.contacts.t_ic <= t).sum())
        return (f"sim {t:6.1f}/{self.model.duration_s:.1f} s  {block:<16} steps {steps:4d}  "
                f"devices {','.join(self.devices)}")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop all device processes (cleanly if they answer, else terminate them)."""
        self._stop.set()
        end = time.monotonic() + timeout
        for p in self.processes.values():
            p.join(max(0.1, end - time.monotonic()))
        for p in self.processes.values():
            if p.is_alive():
                p.terminate()
                p.join(2.0)


def parse_devices(devices: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if devices is None:
        return DEVICES
    items = devices.split(",") if isinstance(devices, str) else list(devices)
    items = [d.strip().lower() for d in items if d.strip()]
    bad = [d for d in items if d not in DEVICES]
    if bad or not items:
        raise GaitlabError(f"unknown device(s) {', '.join(bad) or '(none)'}; "
                           f"choose from {','.join(DEVICES)}")
    return tuple(dict.fromkeys(items))


def start_sim(profile: Profile, protocol: Protocol, seed: int = 0, instance: str = "0",
              devices: str | list[str] | tuple[str, ...] | None = None,
              run_duration_s: float | None = None, truth_path: str | Path | None = None,
              max_duration_s: float | None = None, lead_s: float = 1.5,
              linger_s: float = 1.0) -> SimHandle:
    """Start the device processes; returns once all outlets exist and t0 is set."""
    devs = parse_devices(devices)
    model = build_session(profile, protocol, seed, run_duration_s, max_duration_s)
    ctx = mp.get_context("spawn")
    t0 = ctx.Value("d", 0.0)
    stop = ctx.Event()
    procs: dict[str, mp.process.BaseProcess] = {}
    readies = {}
    for d in devs:
        readies[d] = ctx.Event()
        procs[d] = ctx.Process(
            target=_child_main, name=f"gaitlab-sim-{d}", daemon=True,
            args=(d, profile, protocol, seed, run_duration_s, max_duration_s, instance, t0,
                  readies[d], stop, linger_s, parent_token()),
        )
        procs[d].start()
    ids = {d: source_id(profile.athlete.id, d, instance) for d in devs}
    handle = SimHandle(model, 0.0, instance, devs, procs, ids, stop)
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while not all(r.is_set() for r in readies.values()):
            if handle.failed():
                raise GaitlabError(f"sim device(s) {', '.join(handle.failed())} failed to start")
            if time.monotonic() > deadline:
                raise GaitlabError("sim devices did not open their LSL outlets in time")
            time.sleep(0.02)
        handle.t0 = pylsl.local_clock() + lead_s
        t0.value = handle.t0
        if truth_path is not None:
            try:
                write_truth(model, truth_path, handle.t0)
            except OSError as exc:
                raise GaitlabError(f"cannot write truth file {truth_path}: {exc.strerror}") from None
    except BaseException:
        handle.stop()
        raise
    return handle
