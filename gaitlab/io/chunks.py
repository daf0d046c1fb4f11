"""Reading gzip + shuffle compressed datasets with the decoding spread over threads.

h5py decodes chunks one at a time and holds the GIL while doing it. For the datasets the
writer makes (chunked along the first axis only, byte shuffle then deflate), each chunk
can be fetched raw with ``read_direct_chunk`` and decoded with :mod:`zlib` (which releases
the GIL; with ``isal``, Intel's ISA-L inflate, ~2× zlib's speed on these chunks) and a
numpy un-shuffle, so a thread pool decodes several chunks at once. Any
other layout, a chunk stored with a filter skipped, or a chunk that was never written
falls back to h5py's own read of those rows: the values are always h5py's.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import h5py
import numpy as np

try:  # ISA-L's inflate: the same bytes as zlib's, about twice as fast
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - a platform without an isal wheel
    import zlib as _zlib  # type: ignore[no-redef]

MIN_CHUNKS = 8  # fewer chunks than this are read by h5py directly
BATCH = 8  # chunks decoded per pool task


def unshuffle(raw: np.ndarray, itemsize: int) -> np.ndarray:
    """Undo HDF5's byte shuffle: ``raw`` (uint8) holds byte j of every element together,
    plane after plane. Returns the elements as unsigned integers of ``itemsize`` bytes
    (view them as the dataset's dtype). Little-endian planes are combined with shifts
    and ORs (SIMD-friendly; ~4× a byte transpose); other sizes are transposed."""
    pl = raw.reshape(itemsize, -1)
    if itemsize == 1:
        return pl[0].copy()
    if itemsize in (2, 4) and np.little_endian:
        lo = pl[1].astype(np.uint16)
        lo <<= 8
        lo |= pl[0]
        if itemsize == 2:
            return lo
        hi = pl[3].astype(np.uint16)
        hi <<= 8
        hi |= pl[2]
        out = hi.astype(np.uint32)
        out <<= 16
        out |= lo
        return out
    return pl.T.copy().view(f"u{itemsize}").reshape(-1)


def _threads() -> int:
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, n)


def _decodable(ds: h5py.Dataset) -> bool:
    """Chunked along axis 0 only, byte shuffle + deflate and nothing else, fixed-size dtype."""
    if ds.chunks is None or ds.chunks[1:] != ds.shape[1:] or ds.dtype.kind not in "iuf":
        return False
    if ds.compression != "gzip" or not ds.shuffle or ds.fletcher32 or ds.scaleoffset:
        return False
    plist = ds.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    return filters == [h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE]


Sink = Callable[[int, int, np.ndarray], None]


def read_rows(ds: h5py.Dataset, start: int, stop: int, threads: int | None = None,
              sink: Sink | None = None) -> np.ndarray | None:
    """``ds[start:stop]``, decoded in a thread pool when the layout allows (same values).

    With ``sink``, nothing is returned: ``sink(a, b, x)`` is called (in the pool's threads,
    in any order) with the rows [a, b) (relative to ``start``) of each decoded chunk, so a
    caller can convert them while they are hot in the cache."""
    rows = ds.chunks[0] if ds.chunks else 1
    k0, k1 = start // rows, -(-stop // rows)
    threads = threads or _threads()
    if stop <= start or threads < 2 or k1 - k0 < MIN_CHUNKS or not _decodable(ds):
        x = ds[start:stop]
        if sink is None:
            return x
        sink(0, stop - start, x)
        return None
    out = np.empty((stop - start, *ds.shape[1:]), ds.dtype) if sink is None else None

    def put(a: int, b: int, x: np.ndarray) -> None:
        if out is None:
            assert sink is not None
            sink(a, b, x)
        else:
            out[a:b] = x
    itemsize = ds.dtype.itemsize
    n_ds = ds.shape[0]
    tail = (0,) * (ds.ndim - 1)
    row_shape = ds.shape[1:]

    def fetch(k: int) -> tuple[int, int, bytes | None]:
        try:
            mask, buf = ds.id.read_direct_chunk((k * rows, *tail))
        except (KeyError, OSError, RuntimeError, ValueError):
            return k, -1, None  # never written: h5py gives the fill value
        return k, mask, buf

    def decode(items: list[tuple[int, int, bytes | None]]) -> None:
        for k, mask, buf in items:
            a, b = max(k * rows, start), min((k + 1) * rows, stop)
            if mask != 0 or buf is None:
                put(a - start, b - start, ds[a:b])
                continue
            raw = np.frombuffer(_zlib.decompress(buf), np.uint8)
            x = unshuffle(raw, itemsize).view(ds.dtype).reshape(-1, *row_shape)
            r0 = k * rows
            put(a - start, b - start, x[a - r0:b - r0])

    ks = range(k0, min(k1, -(-n_ds // rows)))
    with ThreadPoolExecutor(threads) as pool:
        # raw chunk reads go through h5py's lock, here; decoding runs in the pool while the
        # next chunks are fetched, BATCH chunks a task (a task per chunk costs more in
        # hand-over than small chunks take to decode), a bounded number in flight
        pending: deque[Future[None]] = deque()
        for i in range(0, len(ks), BATCH):
            pending.append(pool.submit(decode, [fetch(k) for k in ks[i:i + BATCH]]))
            if len(pending) > 2 * threads:
                pending.popleft().result()
        for fut in pending:
            fut.result()
    return out
