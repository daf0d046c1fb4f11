"""Contacts from sparse frames (schema 2 session files) are bit-identical to dense frames."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_synth import COL_PITCH, ROW_PITCH, running

from gaitlab.analysis.pressure import _FIELDS, contacts_from_blocks, segment_blobs, unloaded_frame
from gaitlab.io.sparse import SparseFrames

FS = 120.0


def lab_frames() -> tuple[np.ndarray, np.ndarray]:
    from analysis_synth import render_pressure

    rng = np.random.default_rng(7)
    feet = running(14, 0.12, 0.36, 0.25, 0.25, rng.normal(8, 2, 14), rng.normal(0, 0.01, 14))
    frames, t = render_pressure(feet, int(5.4 * FS), FS)
    # what a real plate may send besides clean zeros: sub-threshold load just outside a
    # footprint (sets the sub-frame IC), dropouts, negative offsets, -0.0 and +inf
    k = np.flatnonzero(frames.reshape(len(t), -1).max(axis=1) > 1.0)
    frames[k - 1] = np.where(frames[k - 1] == 0, 0, frames[k - 1] * 0.5)
    frames[200, 10:20, 5:9] = np.nan
    frames[310, 60, 20] = -0.3
    frames[420, 70, 12] = -0.0
    frames[500, 50, 14] = np.inf
    return frames, t


def assert_same(a, b) -> None:
    assert len(a) == len(b)
    for name in _FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_segment_blobs_sparse_equals_dense() -> None:
    frames, t = lab_frames()
    dense, n_dense = segment_blobs(frames, t, ROW_PITCH, COL_PITCH)
    sparse, n_sparse = segment_blobs(SparseFrames.from_dense(frames), t, ROW_PITCH, COL_PITCH)
    assert len(dense) >= 12  # the footfalls were found, not an empty comparison
    assert_same(sparse, dense)
    np.testing.assert_array_equal(n_sparse, n_dense)


@pytest.mark.parametrize("block", [37, 100, 2400])
def test_blockwise_contacts_sparse_equal_dense(block: int) -> None:
    frames, t = lab_frames()
    sp = SparseFrames.from_dense(frames)
    dense = contacts_from_blocks(lambda a, b: frames[a:b], t, ROW_PITCH, COL_PITCH,
                                 block_frames=block)
    sparse = contacts_from_blocks(sp.slice, t, ROW_PITCH, COL_PITCH, block_frames=block)
    assert len(dense) >= 12 and np.isfinite(dense.ic).sum() >= 12
    assert_same(sparse, dense)


def test_unloaded_frame_sparse_equals_dense() -> None:
    frames, t = lab_frames()
    sp = SparseFrames.from_dense(frames)
    for a in (0, 100, 333):
        d = unloaded_frame(lambda i, j: frames[i:j], a, len(t), 1.0)
        assert d is not None and unloaded_frame(sp.slice, a, len(t), 1.0) == d


def reference_labels(f, r, c, shape, br: int, bc: int) -> np.ndarray:
    """The definition, on the whole block: grow the loaded mask in-plane, label, look up."""
    from scipy import ndimage

    m = np.zeros(shape, np.uint8)
    m[f, r, c] = 1
    m = ndimage.maximum_filter(m, size=(1, 2 * br + 1, 2 * bc + 1), mode="constant")
    lab, _ = ndimage.label(m, structure=ndimage.generate_binary_structure(3, 1))
    return lab[f, r, c]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_run_packed_labels_equal_whole_block_labels(seed: int) -> None:
    from gaitlab.analysis.pressure import _label_sparse

    rng = np.random.default_rng(seed)
    shape = (90, 40, 12)
    m = np.zeros(shape, bool)
    for _ in range(25):  # blobs of many sizes, some at the plate's edges and corners
        f0, r0, c0 = rng.integers(0, 85), rng.integers(-2, 40), rng.integers(-1, 12)
        m[f0:f0 + rng.integers(1, 6), max(r0, 0):r0 + rng.integers(1, 9),
          max(c0, 0):c0 + rng.integers(1, 4)] = True
    m &= rng.random(shape) < 0.8  # holes
    f, r, c = np.nonzero(m)
    for br, bc in ((3, 1), (0, 0), (5, 2)):
        ref = reference_labels(f, r, c, shape, br, bc)
        assert ref.max() >= 3
        np.testing.assert_array_equal(_label_sparse(f, r, c, shape, br, bc), ref)
