"""Content hashes of session files for the registry.

:func:`recording_sha256` hashes what was *recorded* — every group, dataset and attribute of
the file except the ``/analysis`` group — so analysing a file (which rewrites
``/analysis``, e.g. when ``gaitlab compare`` or ``report`` meets a file without it, or
after an analysis upgrade) does not make the registry call it changed, while any change
to the signals, markers, stream metadata or ``/athlete`` does. The hash is over decoded
values (names, dtypes, shapes, data, attributes, in sorted order), not over the file's
bytes, so it does not depend on chunking, compression or where HDF5 put things.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import h5py
import numpy as np

EXCLUDED = ("analysis",)  # top-level groups derived from the recording, not part of it
BLOCK_BYTES = 8 << 20


def _canon(v: Any) -> bytes:
    """Bytes standing for one attribute value or array element, the same whether h5py
    returns it as str or bytes."""
    if isinstance(v, bytes):
        return b"s" + len(v).to_bytes(8, "little") + v
    if isinstance(v, str):
        return _canon(v.encode("utf-8"))
    a = np.asarray(v)
    if a.dtype.kind in "OSU":
        return b"a" + repr(a.shape).encode() + b"".join(_canon(x) for x in a.ravel().tolist())
    return b"n" + a.dtype.str.encode() + repr(a.shape).encode() + np.ascontiguousarray(a).tobytes()


def _attrs(h: Any, obj: h5py.HLObject) -> None:
    for k in sorted(obj.attrs):
        h.update(_canon(k))
        h.update(_canon(obj.attrs[k]))


def _dataset(h: Any, d: h5py.Dataset) -> None:
    h.update(_canon(d.dtype.str) + _canon(repr(d.shape)))
    if d.shape is None or d.size == 0:
        return
    if d.ndim == 0:
        h.update(_canon(d[()]))
        return
    row = max(int(np.prod(d.shape[1:])) * max(d.dtype.itemsize, 1), 1)
    step = max(BLOCK_BYTES // row, 1)
    for i in range(0, d.shape[0], step):
        block = d[i:i + step]
        if block.dtype.kind in "OSU":
            h.update(b"".join(_canon(x) for x in block.ravel().tolist()))
        else:
            h.update(np.ascontiguousarray(block).tobytes())


def recording_sha256(path: str | Path) -> str:
    """SHA-256 of a session file's recording (everything but ``/analysis``). A file that is
    not a session file raises the one-line :class:`gaitlab.errors.SessionFileError`."""
    from gaitlab.io.session import open_session

    h = hashlib.sha256()
    with open_session(path) as s:
        f = s.file
        _attrs(h, f)
        names: list[str] = []
        f.visit(names.append)
        for name in sorted(names):
            if name.split("/", 1)[0] in EXCLUDED:
                continue
            obj = f.get(name)
            if obj is None:  # a dangling soft link
                continue
            h.update(_canon(name))
            if isinstance(obj, h5py.Dataset):
                h.update(b"D")
                _dataset(h, obj)
            else:
                h.update(b"G")
            _attrs(h, obj)
    return h.hexdigest()
