"""A pseudo-terminal standing in for a USB serial device (POSIX only).

The device end is the pty master, served by a thread; the driver opens the slave
through a stable symlink (like /dev/serial/by-id/...), so "unplug" and "replug"
(a new pty behind the same path) exercise the driver's reconnect exactly like a cable.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from collections.abc import Callable
from pathlib import Path


class PtyDevice:
    """Serve a pty: ``on_bytes(data)`` is called with what the host wrote;
    :meth:`write` sends bytes to the host."""

    def __init__(self, link_path: str | Path, on_bytes: Callable[[bytes], None]) -> None:
        self.link_path = Path(link_path)
        self.on_bytes = on_bytes
        self._master = -1
        self._slave = -1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()

    def plug(self) -> None:
        """Create a fresh pty and point the link path at it."""
        master, slave = os.openpty()
        tty.setraw(slave)
        tmp = self.link_path.with_name(self.link_path.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        os.replace(tmp, self.link_path)
        with self._lock:
            self._master, self._slave = master, slave
        self.connected.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, daemon=True)
            self._thread.start()

    def unplug(self) -> None:
        """Close the pty: the host's next read/write fails, as with a pulled cable."""
        with self._lock:
            master, slave = self._master, self._slave
            self._master = self._slave = -1
        self.connected.clear()
        for fd in (master, slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def write(self, data: bytes) -> None:
        with self._lock:
            fd = self._master
        if fd < 0:
            return
        with contextlib.suppress(OSError):
            os.write(fd, data)

    def close(self) -> None:
        self._stop.set()
        self.unplug()
        if self._thread is not None:
            self._thread.join(timeout=2)
        with contextlib.suppress(FileNotFoundError):
            self.link_path.unlink()

    def _serve(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                fd = self._master
            if fd < 0:
                self._stop.wait(0.01)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
                data = os.read(fd, 4096) if ready else b""
            except (OSError, ValueError):
                self._stop.wait(0.01)
                continue
            if data:
                self.on_bytes(data)
