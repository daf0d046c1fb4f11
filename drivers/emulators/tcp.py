"""TCP plumbing shared by the device emulators: listening on 127.0.0.1 and accepting
clients that replace the previous connection."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Self


def listen_local(backlog: int) -> socket.socket:
    """A listening socket on 127.0.0.1 (ephemeral port) with a 0.1 s accept timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    s.settimeout(0.1)
    return s


def hard_close(conn: socket.socket) -> None:
    """Shut a connection down both ways and close it (the peer sees the link drop)."""
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def accept_loop(server: socket.socket, stop: threading.Event, lock: threading.Lock,
                swap: Callable[[socket.socket], socket.socket | None],
                serve: Callable[[socket.socket], None] | None = None) -> None:
    """Accept clients until ``stop`` is set.

    Each new connection gets TCP_NODELAY and is installed by ``swap`` (called under
    ``lock``; returns the connection it replaced, which is closed); ``serve``, if given,
    then runs on it in a daemon thread.
    """
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except (TimeoutError, OSError):
            continue
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with lock:
            old = swap(conn)
        if old is not None:
            old.close()
        if serve is not None:
            threading.Thread(target=serve, args=(conn,), daemon=True).start()


class TcpEmulator:
    """Start/close lifecycle shared by the TCP device emulators.

    A subclass calls :meth:`_setup` with its listening sockets and worker functions, and
    implements :meth:`drop` (close the client connections); :meth:`close` stops the workers,
    drops the clients, closes the listening sockets and joins the threads.
    """

    def _setup(self, servers: list[socket.socket],
               workers: list[tuple[Callable[..., None], tuple[object, ...]]]) -> None:
        self._listening = servers
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in workers]

    def start(self) -> Self:
        for t in self._threads:
            t.start()
        return self

    def drop(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self.drop()
        for s in self._listening:
            s.close()
        for t in self._threads:
            t.join(timeout=2)
