"""Process memory policy for the long array passes of the analysis.

glibc serves every allocation above its mmap threshold (at most 32 MiB) with a fresh
``mmap`` and unmaps it on ``free``, so each full-length temporary of a one-hour channel
(58 MB of float64) is page-faulted in again, 4 KiB at a time, and zeroed by the kernel:
on a 60-minute session that was ~600,000 page faults and 3.4 s of system time, a fifth of
the analysis. :func:`reuse_freed_memory` lets glibc take large blocks from its heap and
keep freed ones for the next allocation while the analysis runs, then gives the memory
back (``malloc_trim``) and restores glibc's defaults. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

M_TRIM_THRESHOLD = -1  # mallopt parameters (glibc malloc.h)
M_MMAP_MAX = -4
DEFAULT_TRIM_THRESHOLD = 128 * 1024  # glibc's defaults
DEFAULT_MMAP_MAX = 65536

_lock = threading.Lock()
_depth = 0  # nested or concurrent analyses share one setting


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - musl and others have no mallopt
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Within the block, large arrays come from malloc's heap and freed ones are reused
    instead of being unmapped; on leaving, freed memory goes back to the system."""
    global _depth
    libc = _glibc()
    if libc is None:
        yield
        return
    with _lock:
        if _depth == 0:
            libc.mallopt(M_MMAP_MAX, 0)
            libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
                libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
                libc.malloc_trim(0)
