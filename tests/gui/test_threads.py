"""No Qt object is freed off the GUI thread (issue #11, item 3: the SIGSEGV in the registry view).

Python's cyclic garbage collector runs in whichever thread allocates; the windows' wrappers
sit in reference cycles, so a worker that allocates (an import, a comparison) used to finalize
them in the worker. These tests run the real views' background work and check where every
collection ran, where a Qt-owning cycle was finalized and where the results arrived."""

from __future__ import annotations

import gc
import threading

import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtWidgets

from gaitlab.gui.compare_view import Background, CompareView
from gaitlab.gui.registry_view import RegistryView
from gaitlab.registry.importer import demo_folder

FILES = sorted(str(p) for p in demo_folder().glob("*.h5"))


@pytest.fixture
def gc_threads():
    """The names of the threads in which the collector ran during the test."""
    seen: set[str] = set()

    def spy(phase: str, info: dict) -> None:
        if phase == "start":
            seen.add(threading.current_thread().name)

    gc.callbacks.append(spy)
    yield seen
    gc.callbacks.remove(spy)


def _allocate(n: int) -> int:
    """Work that allocates many containers, as an import or a comparison does."""
    junk = [[i] for i in range(n)]
    return len(junk)


class _Holder:
    """A Python object in a reference cycle that owns a QObject, like a closed window's
    Python side; records the thread that finalizes it."""

    def __init__(self, where: list[str]):
        self.obj = QtCore.QObject()
        self.me = self
        self.where = where

    def __del__(self) -> None:
        self.where.append(threading.current_thread().name)


def test_qt_cycles_are_finalized_on_the_gui_thread(qtbot) -> None:
    where: list[str] = []
    rounds = 20
    for _ in range(rounds):
        _Holder(where)  # garbage at once, in a cycle: only the collector frees it
        task = Background(lambda: _allocate(50_000), "gaitlab-gui-test")
        with qtbot.waitSignal(task.done, timeout=30000):
            task.start()
    gc.collect()  # what is left goes here, on the GUI thread
    assert len(where) == rounds
    off = [w for w in where if w != threading.main_thread().name]
    assert not off, f"{len(off)} of {rounds} Qt-owning cycles finalized off the GUI thread: {off[:3]}"


def test_views_work_in_the_background_without_collecting_there(qtbot, tmp_path, monkeypatch,
                                                               gc_threads) -> None:
    """A stress: imports and comparisons in the background while the GUI thread makes and drops
    pyqtgraph plots (cyclic garbage) and spins the event loop; every result arrives on the GUI
    thread, every collection runs there."""
    monkeypatch.setenv("GAITLAB_HOME", str(tmp_path / "home"))
    app = QtWidgets.QApplication.instance()
    arrived: list[bool] = []
    reg = RegistryView(tmp_path / "registry.sqlite")
    qtbot.addWidget(reg)
    reg.changed.connect(lambda: arrived.append(QtCore.QThread.currentThread() == app.thread()))

    def churn() -> None:
        w = pg.PlotWidget()
        w.plot([0.0, 1.0, 2.0], [1.0, 0.0, 1.0])
        w.deleteLater()

    timer = QtCore.QTimer(interval=5, timeout=churn)
    timer.start()
    try:
        with qtbot.waitSignal(reg.changed, timeout=60000):
            reg.import_files(FILES)
        views = []
        for _ in range(3):
            v = CompareView()
            qtbot.addWidget(v)
            v.loaded.connect(lambda: arrived.append(QtCore.QThread.currentThread() == app.thread()))
            v.load_files(FILES)
            views.append(v)
        qtbot.waitUntil(lambda: len(arrived) == 4, timeout=120000)
    finally:
        timer.stop()
    assert arrived == [True] * 4
    assert all(v.data is not None and len(v.data.visits) == len(FILES) for v in views)
    assert reg.athletes.rowCount() == 1
    assert gc_threads <= {threading.main_thread().name}, f"collections ran in {sorted(gc_threads)}"


def test_a_worker_may_not_carry_a_widget(qtbot) -> None:
    label = QtWidgets.QLabel()
    qtbot.addWidget(label)
    with pytest.raises(TypeError, match="QLabel"):
        Background(lambda: label.text(), "gaitlab-gui-test")
    with pytest.raises(TypeError, match="QLabel"):
        Background(label.text, "gaitlab-gui-test")
    Background(lambda: 42, "gaitlab-gui-test")  # plain data is fine
