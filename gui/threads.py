"""Background work for the windows, and the rule that keeps Qt objects on the GUI thread.

Two things can destroy a Qt object on the wrong thread in a PySide6 application:

* **Python's cyclic garbage collector runs in whatever thread happens to allocate.** The
  windows are full of reference cycles (signal connections to lambdas, pyqtgraph items and
  their views), so a worker that allocates a lot (an import, a comparison, the PDF, the live
  monitor's pull thread) regularly runs a collection that finalizes a closed window's
  wrappers, deleting widgets off the GUI thread while the GUI thread paints: a SIGSEGV, at
  random. :func:`collect_on_gui_thread` turns automatic collection off and runs it from a
  timer on the GUI thread instead (and once more at exit, while Qt is still up).
* **A worker that holds the last reference to a Qt wrapper** deletes the object in the
  worker. :class:`Background` therefore hands the worker only the plain function (its
  closure is checked for Qt objects); the task's QObject stays on the GUI thread, held by a
  table on the GUI thread until its result has been delivered there.

Results come back through one long-lived relay QObject on the GUI thread: the worker emits
``(task id, ok, plain result)``, Qt queues it to the GUI thread, and the relay emits the
task's ``done``/``failed`` there.
"""

from __future__ import annotations

import atexit
import gc
import itertools
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6 import QtCore

from gaitlab.errors import GaitlabError

GC_PERIOD_MS = 250  # how often the GUI thread checks the collector's counters
EXIT_WAIT_MS = 30000  # at exit, running tasks (an import's transaction, a PDF) may finish


def on_gui_thread() -> bool:
    """Whether the caller is the QApplication's thread (True when there is no application)."""
    app = QtCore.QCoreApplication.instance()
    return app is None or QtCore.QThread.currentThread() == app.thread()


def _require_gui_thread(what: str) -> QtCore.QCoreApplication:
    app = QtCore.QCoreApplication.instance()
    if app is None:
        raise RuntimeError(f"{what} needs a QApplication")
    if QtCore.QThread.currentThread() != app.thread():
        raise RuntimeError(f"{what} must be called on the GUI thread")
    return app


class _GuiCollector(QtCore.QObject):
    """Automatic garbage collection off; the interpreter's own schedule (the generation
    thresholds, and a full collection only once the long-lived objects have grown by a
    quarter) checked on a GUI timer, so every collection, and every Qt wrapper freed by one,
    runs on this thread."""

    def __init__(self, app: QtCore.QCoreApplication, period_ms: int):
        super().__init__(app)  # owned by the application: deleted with it, on its thread
        self.thresholds = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.long_lived = len(gc.get_objects(generation=2))
        self.timer = QtCore.QTimer(self, interval=period_ms, timeout=self.check)
        self.timer.start()

    def check(self) -> None:
        counts = gc.get_count()
        t0, t1, t2 = self.thresholds
        if counts[0] <= t0:
            return
        if counts[1] < t1:
            gc.collect(0)
            return
        if counts[2] >= t2 and len(gc.get_objects(generation=2)) - self.long_lived > self.long_lived // 4:
            gc.collect(2)
            self.long_lived = len(gc.get_objects(generation=2))
            return
        gc.collect(1)


_collector: _GuiCollector | None = None


def collect_on_gui_thread(period_ms: int = GC_PERIOD_MS) -> None:
    """Run Python's cyclic garbage collection only on the GUI thread from now on (idempotent;
    every window calls it). At interpreter exit one last collection runs before PySide's own
    exit handler destroys the QApplication (atexit is last-in, first-out), so windows kept
    alive by cycles are deleted while Qt is up, on the main thread."""
    global _collector
    app = _require_gui_thread("collect_on_gui_thread")
    if _collector is not None and shiboken6.isValid(_collector):
        return
    _collector = _GuiCollector(app, period_ms)
    _register_exit()


_exit_registered = False


def _register_exit() -> None:
    global _exit_registered
    if not _exit_registered:
        _exit_registered = True
        atexit.register(_at_exit)


def _wait_for_tasks() -> None:
    """Drop the tasks not started yet; let the running ones end (they hold no Qt object)."""
    pool = QtCore.QThreadPool.globalInstance()
    pool.clear()
    pool.waitForDone(EXIT_WAIT_MS)


def _at_exit() -> None:
    """Before PySide's own exit handler destroys the QApplication (atexit runs last-in,
    first-out): no worker is left running Python code, and the windows still held by
    reference cycles are deleted now, on the main thread, while Qt is up."""
    if QtCore.QCoreApplication.instance() is None or not on_gui_thread():
        return
    _wait_for_tasks()
    if _collector is not None:
        gc.collect()


def release_gc() -> None:
    """Collect now (on the GUI thread) and give collection back to the interpreter: for a
    process that goes on without windows (the test suite after the GUI tests)."""
    global _collector
    _require_gui_thread("release_gc")
    col, _collector = _collector, None
    if col is None or not shiboken6.isValid(col):
        return
    col.timer.stop()
    _wait_for_tasks()
    gc.collect()
    if col.was_enabled:
        gc.enable()
    col.deleteLater()


def qt_objects_in(fn: Callable[..., Any]) -> list[str]:
    """The Qt objects a worker function would carry into its thread: its bound ``self``, its
    closure cells and default arguments (one level deep into lists, tuples and dicts)."""
    seen: list[object] = []
    target = fn
    bound = getattr(fn, "__self__", None)
    if bound is not None:
        seen.append(bound)
        target = getattr(fn, "__func__", fn)
    for cell in getattr(target, "__closure__", None) or ():
        try:
            seen.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    seen.extend(getattr(target, "__defaults__", None) or ())
    seen.extend((getattr(target, "__kwdefaults__", None) or {}).values())
    found = []
    for x in seen:
        items = list(x.values()) if isinstance(x, dict) else list(x) if isinstance(x, list | tuple) else [x]
        found += [type(i).__name__ for i in [x, *items] if isinstance(i, shiboken6.Object)]
    return found


class _Relay(QtCore.QObject):
    """The one QObject workers talk to. It lives on the GUI thread for the application's
    life (a child of the application), so a worker never holds the last reference to it."""

    finished = QtCore.Signal(int, bool, object)  # task id, ok, result or one-line error

    def __init__(self, app: QtCore.QCoreApplication):
        super().__init__(app)
        self.pending: dict[int, Background] = {}
        self.finished.connect(self._deliver)  # emitted by workers: queued to this thread

    @QtCore.Slot(int, bool, object)
    def _deliver(self, task_id: int, ok: bool, payload: object) -> None:
        task = self.pending.pop(task_id, None)
        if task is None:
            return
        task._finish(ok, payload)


_relay: _Relay | None = None
_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _the_relay() -> _Relay:
    global _relay
    app = _require_gui_thread("a background task")
    if _relay is None or not shiboken6.isValid(_relay):
        _relay = _Relay(app)
        _register_exit()
    return _relay


def one_line(exc: BaseException) -> str:
    """An exception as the one line a clinician sees (bad input is a GaitlabError already)."""
    if isinstance(exc, GaitlabError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = (str(exc).splitlines() or [""])[0]
    return f"unexpected {type(exc).__name__}: {text}"


def _work(task_id: int, fn: Callable[[], Any], relay: _Relay) -> None:
    """The worker body (a QThreadPool thread): plain function in, plain result out."""
    try:
        result, ok = fn(), True
    except Exception as exc:  # the UI boundary: one line, never a traceback
        result, ok = one_line(exc), False
    relay.finished.emit(task_id, ok, result)


class Background(QtCore.QObject):
    """Run ``fn`` (a function of plain data only: paths, ids, numbers) on the thread pool;
    ``done(result)`` or ``failed(one line)`` are emitted on the GUI thread. Create and start it
    on the GUI thread; ``fn`` may not carry a Qt object (checked: TypeError)."""

    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, fn: Callable[[], Any], name: str = "gaitlab-gui-task"):
        relay = _the_relay()
        super().__init__()
        collect_on_gui_thread()
        carried = qt_objects_in(fn)
        if carried:
            raise TypeError(f"background task {name} would carry Qt objects into its thread: "
                            + ", ".join(carried))
        self.fn: Callable[[], Any] | None = fn
        self.name = name
        self.task_id = next(_ids)
        self._relay = relay
        self._running = False

    def start(self) -> Background:
        fn, self.fn = self.fn, None
        if fn is None:
            raise RuntimeError(f"background task {self.name} was started already")
        self._relay.pending[self.task_id] = self  # kept alive (on this thread) until delivered
        self._running = True
        task_id, relay = self.task_id, self._relay
        QtCore.QThreadPool.globalInstance().start(lambda: _work(task_id, fn, relay))
        return self

    def running(self) -> bool:
        return self._running

    def _finish(self, ok: bool, payload: object) -> None:
        self._running = False
        if ok:
            self.done.emit(payload)
        else:
            self.failed.emit(str(payload))
