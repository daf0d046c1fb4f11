"""Threaded chunk decoding gives exactly h5py's values, on real HDF5 files."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from gaitlab.io.chunks import read_rows


@pytest.mark.parametrize("shape,chunk,dtype", [((10_000, 5), 100, "<f4"), ((50_000,), 512, "<u2"),
                                               ((9_999,), 64, "<f8"), ((20_000, 3), 256, "<i4"),
                                               ((30_000,), 1000, "u1")])
def test_read_rows_equals_h5py(tmp_path: Path, shape, chunk, dtype) -> None:
    rng = np.random.default_rng(0)
    x = (rng.normal(size=shape) * 1000).astype(dtype)
    with h5py.File(tmp_path / "c.h5", "w") as f:
        ds = f.create_dataset("x", data=x, chunks=(chunk, *shape[1:]), compression="gzip",
                              compression_opts=1, shuffle=True, maxshape=(None, *shape[1:]))
        ds.resize(shape[0] + 3 * chunk, axis=0)  # a tail of chunks that were never written
        for a, b in ((0, shape[0]), (chunk // 2, shape[0] - 7), (0, ds.shape[0]), (5, 5)):
            got = read_rows(ds, a, b, threads=2)
            np.testing.assert_array_equal(got, ds[a:b])
            assert got.dtype == ds.dtype


def test_other_layouts_fall_back_to_h5py(tmp_path: Path) -> None:
    x = np.arange(40_000, dtype=np.float32).reshape(-1, 4)
    with h5py.File(tmp_path / "l.h5", "w") as f:
        lzf = f.create_dataset("lzf", data=x, chunks=(100, 4), compression="lzf")
        plain = f.create_dataset("plain", data=x, chunks=(100, 4))
        for ds in (lzf, plain):
            np.testing.assert_array_equal(read_rows(ds, 10, 9_000, threads=2), x[10:9_000])


def test_float_bits_survive_the_unshuffle(tmp_path: Path) -> None:
    # NaN payloads, -0.0, denormals and infinities come back bit for bit
    bits = np.array([0x7FC00001, 0x80000000, 0x00000001, 0x7F800000, 0xFF800000, 0x3F800000],
                    dtype=np.uint32)
    x = np.tile(bits, 5000).view(np.float32)
    with h5py.File(tmp_path / "b.h5", "w") as f:
        ds = f.create_dataset("x", data=x, chunks=(1024,), compression="gzip", shuffle=True)
        got = read_rows(ds, 0, x.size, threads=2)
    np.testing.assert_array_equal(got.view(np.uint32), x.view(np.uint32))
