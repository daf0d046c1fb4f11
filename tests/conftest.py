"""Shared fixtures: unique LSL source ids and publisher subprocesses (tests/lsl_publisher.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PUBLISHER = Path(__file__).with_name("lsl_publisher.py")


def _own_lsl_session() -> None:
    """Give this test process (one per pytest-xdist worker) an LSL session of its own.

    liblsl only shows a stream to resolvers of the same ``[lab] SessionID``: the streams of a
    test are invisible to tests running at the same time in another worker and to anything else
    on the machine or the network (a soak, a real lab), and theirs to it. The tests that need a
    foreign stream start it themselves. Subprocesses inherit the setting through LSLAPICFG,
    which must be set before liblsl is loaded (gaitlab sets it only when unset)."""
    import atexit
    import shutil
    import tempfile

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder = Path(tempfile.mkdtemp(prefix=f"gaitlab-lsl-{worker}-"))
    cfg = folder / "lsl_api.cfg"
    shipped = (Path(__file__).parents[1] / "gaitlab" / "lsl_api.cfg").read_text(encoding="utf-8")
    cfg.write_text(f"{shipped.rstrip()}\n\n[lab]\nSessionID = gaitlab-tests-{os.getpid()}-{worker}\n",
                   encoding="utf-8")
    os.environ["LSLAPICFG"] = str(cfg)
    atexit.register(shutil.rmtree, folder, True)


_own_lsl_session()


class Publisher:
    """A subprocess publishing LSL streams; ``t0[name]`` is its stamp of sample 0."""

    def __init__(self, specs: list[dict]):
        self.specs = specs
        self.proc = subprocess.Popen([sys.executable, str(PUBLISHER), json.dumps(specs)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError("LSL publisher did not start")
        self.t0: dict[str, float] = json.loads(line)["t0"]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def uid() -> str:
    """A unique tag for source_ids and names, so parallel or earlier runs never collide."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def lsl_publisher() -> Iterator:
    """Factory: ``lsl_publisher([spec, ...])`` starts a publisher; all are killed at teardown."""
    started: list[Publisher] = []

    def start(specs: list[dict]) -> Publisher:
        p = Publisher(specs)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


class ProcTree:
    """Parent processes started by a test, and every process below them (Linux /proc).

    ``start(argv)`` starts a parent; ``descendants(pid)`` lists the live processes under
    it; ``wait_gone(pids, bound)`` polls until none is running (a zombie counts as gone:
    it has exited) and returns the time it took, or None past ``bound``. At teardown every
    parent and every process ever seen below one is SIGKILLed, whatever the test did."""

    def __init__(self) -> None:
        self.parents: list[subprocess.Popen] = []
        self.seen: set[int] = set()

    def start(self, argv: list[str], **kw) -> subprocess.Popen:  # type: ignore[no-untyped-def]
        p = subprocess.Popen(argv, **kw)
        self.parents.append(p)
        return p

    @staticmethod
    def running(pid: int) -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")

    def descendants(self, pid: int) -> list[int]:
        out: list[int] = []
        todo = [pid]
        while todo:
            p = todo.pop()
            try:
                tasks = list(Path(f"/proc/{p}/task").glob("*"))
            except OSError:  # the process ended meanwhile
                continue
            for task in tasks:
                try:
                    kids = [int(k) for k in (task / "children").read_text().split()]
                except OSError:
                    continue
                out += kids
                todo += kids
        live = sorted({k for k in out if self.running(k)})
        self.seen.update(live)
        return live

    def wait_gone(self, pids: list[int], bound: float) -> float | None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < bound:
            if not any(self.running(p) for p in pids):
                return time.monotonic() - t0
            time.sleep(0.01)
        return None

    def kill_all(self) -> None:
        for p in self.parents:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        for pid in self.seen:
            if self.running(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


@pytest.fixture
def proc_tree() -> Iterator[ProcTree]:
    """Real parent processes whose children must die with them; nothing outlives the test."""
    tree = ProcTree()
    try:
        yield tree
    finally:
        tree.kill_all()
