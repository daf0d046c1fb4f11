"""Sparse frames: the pressure-treadmill layout of ``gaitlab.session/2`` (docs/hdf5-schema.md).

A pressure frame is mostly sensors that read zero. The sparse layout stores, per frame,
only the sensors whose value is not +0.0, as (sensor index, value) points in frame order
and, within a frame, in increasing sensor index (row-major: ``row * cols + col``).

Rule: a sensor-frame is dropped if and only if its bit pattern is all zeros (the value
+0.0, or integer 0). Everything else is kept, NaN, -0.0, negative and tiny values
included, so dense → sparse → dense gives back the same array bit for bit.

Pure functions over arrays; no HDF5 here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitlab.errors import SessionFileError


def sensor_dtype(n_sensors: int) -> np.dtype:
    """Smallest unsigned dtype that indexes ``n_sensors`` sensors (uint16 for 5,376)."""
    return np.dtype("<u2") if n_sensors <= 1 << 16 else np.dtype("<u4")


def _nonzero_bits(x: np.ndarray) -> np.ndarray:
    """Flat indices of the elements whose bits are not all zero (C order)."""
    x = np.ascontiguousarray(x)
    if x.dtype.kind in "fc" and x.dtype.itemsize in (2, 4, 8):
        x = x.view(f"u{x.dtype.itemsize}")
    return np.flatnonzero(x)


def to_sparse(frames: np.ndarray, n_sensors: int | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, C) frames → (counts (n,) uint32, sensor (P,) index, value (P,) same dtype).

    One vectorised pass: a flat nonzero on the block's bit pattern, then a divmod."""
    x = np.asarray(frames)
    n = x.shape[0]
    c = int(np.prod(x.shape[1:])) if x.ndim > 1 else 1
    x = x.reshape(n, c)
    idx = _nonzero_bits(x)
    f, s = np.divmod(idx, c) if c else (idx, idx)
    counts = np.bincount(f, minlength=n).astype(np.uint32)
    value = x.reshape(-1)[idx]
    return counts, s.astype(sensor_dtype(n_sensors or c)), value


@dataclass
class SparseFrames:
    """Frames [0, n) of a block as sparse points.

    ``ptr`` (n + 1,) int64: frame i's points are ``sensor[ptr[i]:ptr[i+1]]`` /
    ``value[...]``; ``shape`` = (n, rows, cols) of the dense frames (rows·cols = C)."""

    shape: tuple[int, int, int]
    ptr: np.ndarray
    sensor: np.ndarray
    value: np.ndarray

    @classmethod
    def from_counts(cls, shape: tuple[int, int, int], counts: np.ndarray, sensor: np.ndarray,
                    value: np.ndarray) -> SparseFrames:
        ptr = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=ptr[1:])
        return cls(shape, ptr, sensor, value)

    @classmethod
    def from_dense(cls, frames: np.ndarray) -> SparseFrames:
        """Sparse view of (n, rows, cols) frames (nonzero bit patterns kept)."""
        x = np.asarray(frames)
        n, rows, cols = x.shape
        counts, s, v = to_sparse(x.reshape(n, rows * cols))
        return cls.from_counts((n, rows, cols), counts, s, v)

    @property
    def n_frames(self) -> int:
        return self.shape[0]

    def __len__(self) -> int:
        return self.shape[0]

    def frame_of_points(self) -> np.ndarray:
        """Local frame index of every point (int64)."""
        return np.repeat(np.arange(self.n_frames), np.diff(self.ptr))

    def slice(self, a: int, b: int) -> SparseFrames:
        """Frames [a, b) of this block."""
        a, b, _ = slice(a, b).indices(self.n_frames)
        b = max(a, b)
        p0, p1 = int(self.ptr[a]), int(self.ptr[b])
        return SparseFrames((b - a, *self.shape[1:]), self.ptr[a:b + 1] - p0,
                            self.sensor[p0:p1], self.value[p0:p1])

    def to_dense(self) -> np.ndarray:
        """The (n, rows, cols) frames, unstored sensors 0."""
        return to_dense(self.ptr, self.sensor, self.value,
                        self.shape[1] * self.shape[2]).reshape(self.shape)


def to_dense(ptr: np.ndarray, sensor: np.ndarray, value: np.ndarray, n_sensors: int) -> np.ndarray:
    """(n, C) dense frames from CSR-style points; a one-line error for out-of-range sensors."""
    ptr = np.asarray(ptr, dtype=np.int64)
    n = len(ptr) - 1
    out = np.zeros((n, n_sensors), dtype=value.dtype)
    if sensor.size:
        if int(sensor.max()) >= n_sensors:
            raise SessionFileError(f"sparse frames: sensor index {int(sensor.max())} is outside "
                                   f"the {n_sensors} channels; the file is damaged")
        f = np.repeat(np.arange(n), np.diff(ptr))
        out[f, sensor] = value
    return out
