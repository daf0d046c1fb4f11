"""Recovering what a truncated or damaged session file still holds (``gaitlab repair``).

The file is opened in SWMR read mode (HDF5 then skips its end-of-file check) with one
metadata read attempt, so every object whose header or index lies past the cut fails at
once instead of being retried. Each stream group that still opens is copied: its
attributes one by one, and each dataset's prefix of whole chunks that lie before the cut
(HDF5 reads past the end of a file as zeros, so a chunk's byte range is checked against
the file's size before it is read). Dense streams keep the samples that both ``data`` and
``time_stamps`` hold; the ``flushed_samples`` mark is lowered to match. The copy is a clean,
closed session file (``complete`` = 0, ``recovered_utc`` and ``recovered_from`` set).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np

from gaitlab.errors import SessionFileError
from gaitlab.io.guard import open_h5

SCHEMA = "gaitlab.session/2"
_ROWS = ("time_stamps", "data", "frame_points")  # one row per sample
_LAYOUT_KW = ("chunks", "compression", "compression_opts", "shuffle", "fillvalue")


@dataclass
class StreamRecovered:
    key: str
    samples: int
    seconds: float


@dataclass
class Salvage:
    path: Path
    streams: list[StreamRecovered] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # stream groups that could not be read

    def summary(self) -> str:
        parts = [f"{s.key} {s.samples} samples ({s.seconds:.1f} s)" for s in self.streams]
        lost = f"; lost: {', '.join(self.lost)}" if self.lost else ""
        return (f"recovered {len(self.streams)} stream(s) into {self.path}: "
                f"{', '.join(parts)}{lost}")


def _prefix(ds: h5py.Dataset, size: int) -> np.ndarray | None:
    """The rows of ``ds`` in whole chunks that lie inside the first ``size`` bytes, read
    until the first chunk that is missing, past the cut or unreadable."""
    n = int(ds.shape[0])
    if ds.chunks is None:
        try:
            off = ds.id.get_offset()
            if off is not None and off + ds.id.get_storage_size() > size:
                return None
            return ds[()]
        except (OSError, RuntimeError, KeyError, ValueError):
            return None
    rows = ds.chunks[0]
    tail = (0,) * (ds.ndim - 1)
    parts: list[np.ndarray] = []
    for k in range(-(-n // rows)):
        a, b = k * rows, min(n, (k + 1) * rows)
        try:
            info = ds.id.get_chunk_info_by_coord((a, *tail))
            if info.byte_offset is not None and info.byte_offset + info.size > size:
                break
            parts.append(ds[a:b])  # a chunk never written reads as the fill value
        except (OSError, RuntimeError, KeyError, ValueError):
            break
    if not parts:
        return ds[0:0] if n == 0 else None
    return np.concatenate(parts)


def _copy_attrs(src: h5py.HLObject, dst: h5py.HLObject) -> None:
    try:
        names = list(src.attrs)
    except (OSError, RuntimeError, KeyError):
        return
    for k in names:
        try:
            dst.attrs[k] = src.attrs[k]
        except (OSError, RuntimeError, KeyError, TypeError, ValueError):
            continue


def _put(g: h5py.Group, name: str, like: h5py.Dataset, x: np.ndarray) -> None:
    kw = {k: getattr(like, k) for k in _LAYOUT_KW if getattr(like, k) is not None}
    if like.chunks is not None:
        kw["maxshape"] = like.maxshape
    g.create_dataset(name, data=x, dtype=like.dtype, **kw)


def _stream(src: h5py.Group, dst: h5py.Group, size: int) -> tuple[int, float] | None:
    """Copy one stream group's readable part; (samples, seconds) or None if unreadable."""
    data: dict[str, tuple[h5py.Dataset, np.ndarray]] = {}
    try:
        names = list(src)
    except (OSError, RuntimeError, KeyError):
        return None
    for name in names:
        try:
            ds = src[name]
            if not isinstance(ds, h5py.Dataset):
                continue
            x = _prefix(ds, size)
        except (OSError, RuntimeError, KeyError, ValueError):
            continue
        if x is not None:
            data[name] = (ds, x)
    if "time_stamps" not in data:
        return None
    n = min(len(data[k][1]) for k in _ROWS if k in data)
    mark = None
    try:
        mark = src.attrs.get("flushed_samples")
    except (OSError, RuntimeError, KeyError):
        pass
    n = n if mark is None else min(n, int(mark))
    if "data" not in data and not {"frame_points", "point_sensor", "point_value"} <= set(data):
        return None  # the samples themselves are past the cut
    _copy_attrs(src, dst)
    for name, (ds, x) in data.items():
        _put(dst, name, ds, x[:n] if name in _ROWS else x)
    dst.attrs["flushed_samples"] = n
    ts = data["time_stamps"][1][:n]
    ts = ts[np.isfinite(ts)]
    return n, float(ts[-1] - ts[0]) if ts.size > 1 else 0.0


def salvage_session(src: Path, dst: Path) -> Salvage:
    """Write into ``dst`` what ``src`` (truncated or damaged) still holds; raise a one-line
    :class:`SessionFileError` when no stream can be recovered (``dst`` is then not made)."""
    size = src.stat().st_size
    try:
        fin = open_h5(src, "r", attempts=1)
    except OSError:
        raise SessionFileError(f"{src}: nothing can be recovered (the file's root is past the cut "
                               "or damaged)") from None
    out = Salvage(dst)
    tmp = dst.with_name(dst.name + ".tmp")
    try:
        with fin, h5py.File(tmp, "w", libver="latest") as fout:
            _copy_attrs(fin, fout)
            schema = fout.attrs.get("schema")
            try:
                groups = fin["streams"]
                keys = list(groups)
            except (OSError, RuntimeError, KeyError):
                keys = []
            if isinstance(schema, bytes):
                schema = schema.decode(errors="replace")
            if not keys or (schema is not None and not str(schema).startswith("gaitlab.session/")):
                raise SessionFileError(f"{src}: nothing can be recovered (no stream group of a "
                                       "gaitlab session is readable)")
            try:
                if "athlete" in fin:
                    _copy_attrs(fin["athlete"], fout.create_group("athlete"))
            except (OSError, RuntimeError, KeyError):
                pass
            sg = fout.create_group("streams")
            for key in keys:
                g = sg.create_group(key)
                try:
                    got = _stream(fin["streams"][key], g, size)
                except (OSError, RuntimeError, KeyError):
                    got = None
                if got is None:
                    del sg[key]
                    out.lost.append(key)
                else:
                    out.streams.append(StreamRecovered(key, *got))
            if not out.streams:
                raise SessionFileError(f"{src}: nothing can be recovered (every stream's data is "
                                       "past the cut or damaged)")
            if "schema" not in fout.attrs:
                fout.attrs["schema"] = SCHEMA  # the root's attributes were past the cut
            fout.attrs["complete"] = 0
            fout.attrs["recovered_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
            fout.attrs["recovered_from"] = f"{src.name}: {size} bytes"
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
