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


def _partition(lab: np.ndarray) -> np.ndarray:
    """Labels renumbered by first appearance (two labellings agree iff these are equal)."""
    _, first, inv = np.unique(lab, return_index=True, return_inverse=True)
    rank = np.empty(first.size, np.int64)
    rank[np.argsort(first)] = np.arange(first.size)
    return rank[inv]


def reference_labels_belt(f, r, c, shape, br: int, bc: int, shift: np.ndarray) -> np.ndarray:
    """The belt-frame definition, one run of loaded frames at a time: rows moved by the
    belt travel ``shift`` (when that gives the run a smaller box than the plate's frame),
    the mask grown in-plane within the plate's rows of each frame, labelled 6-connected."""
    from scipy import ndimage

    n_f, n_r, n_c = shape
    loaded = np.zeros(n_f, bool)
    loaded[f] = True
    starts = np.flatnonzero(loaded & ~np.r_[False, loaded[:-1]])
    ends = np.flatnonzero(loaded & ~np.r_[loaded[1:], False]) + 1
    out = np.zeros(f.size, np.int64)
    top = 0
    for a, b in zip(starts, ends, strict=True):
        sel = (f >= a) & (f < b)
        s = shift[f[sel]]
        rs = r[sel] - s
        use_belt = np.ptp(rs) < np.ptp(r[sel])
        rows = rs if use_belt else r[sel]
        off = shift[a:b] if use_belt else np.zeros(b - a, int)
        lo = min(int(rows.min()), int((-off).min())) - br - 1
        hi = max(int(rows.max()), int((n_r - off).max())) + br + 1
        m = np.zeros((b - a, hi - lo, n_c), np.uint8)
        m[f[sel] - a, rows - lo, c[sel]] = 1
        m = ndimage.maximum_filter(m, size=(1, 2 * br + 1, 2 * bc + 1), mode="constant")
        plate_row = np.arange(hi - lo)[None, :] + lo + off[:, None]  # plate row of each cell
        m[(plate_row < 0) | (plate_row >= n_r)] = 0
        lab, n = ndimage.label(m, structure=ndimage.generate_binary_structure(3, 1))
        got = lab[f[sel] - a, rows - lo, c[sel]]
        out[sel] = np.where(got > 0, got + top, 0)
        top += n
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_belt_frame_labels_equal_the_definition(seed: int) -> None:
    from gaitlab.analysis.pressure import _label_sparse

    rng = np.random.default_rng(seed)
    shape = (600, 60, 14)
    n_f = shape[0]
    # the belt moves 0–3 rows a frame; feet ride it (a footprint fixed in the belt's frame),
    # noise sensors stay put on the plate, and some runs are long (a stopped belt's stance)
    shift = np.cumsum(rng.integers(0, 4, n_f))
    m = np.zeros(shape, bool)
    for _ in range(25):
        f0, dur = rng.integers(0, 590), rng.integers(3, 30)
        r0, c0 = rng.integers(-5, 50), rng.integers(-1, 12)
        h, w = rng.integers(3, 15), rng.integers(1, 5)
        for k in range(f0, min(f0 + dur, n_f)):
            rr = r0 + shift[k] - shift[f0]
            m[k, max(rr, 0):max(rr + h, 0), max(c0, 0):c0 + w] = True
    for _ in range(15):  # plate-fixed blobs: labelled in the plate's frame when their run is
        f0, r0, c0 = rng.integers(0, 595), rng.integers(0, 55), rng.integers(0, 13)
        m[f0:f0 + rng.integers(1, 40), r0:r0 + rng.integers(1, 6), c0:c0 + 2] = True
    m &= rng.random(shape) < 0.85  # holes
    f, r, c = np.nonzero(m)
    for br, bc in ((3, 1), (0, 0), (5, 2)):
        ref = reference_labels_belt(f, r, c, shape, br, bc, shift)
        got = _label_sparse(f, r, c, shape, br, bc, shift)
        assert ref.max() >= 10
        np.testing.assert_array_equal(_partition(got), _partition(ref))


def test_vectorised_edge_maxima_equal_the_per_contact_ones() -> None:
    from gaitlab.analysis.pressure import _edge_max, _edge_max_sparse

    rng = np.random.default_rng(7)
    shape = (30, 20, 9)
    dense = np.where(rng.random(shape) < 0.3, rng.normal(0.5, 1.0, shape), 0.0).astype(np.float32)
    dense[3, 4, 5], dense[4, 1, 1], dense[5, 2, 2] = np.nan, np.inf, -np.inf
    dense[6] = 0.0  # a frame with nothing stored
    dense[7] = 0.3  # a frame stored everywhere (no unstored zeros in any box)
    sp = SparseFrames.from_dense(dense)
    n = 400
    k = rng.integers(0, shape[0], n)
    r0, c0 = rng.integers(0, shape[1], n), rng.integers(0, shape[2], n)
    r1 = np.minimum(r0 + rng.integers(0, 8, n), shape[1] - 1)
    c1 = np.minimum(c0 + rng.integers(0, 4, n), shape[2] - 1)
    got = _edge_max_sparse(sp, k, r0, r1, c0, c1, 1.0)
    ref = [_edge_max(sp, int(k[i]), int(r0[i]), int(r1[i]), int(c0[i]), int(c1[i]), 1.0)
           for i in range(n)]
    np.testing.assert_array_equal(got, np.asarray(ref, dtype=np.float64))


@pytest.mark.parametrize("seed", [0, 1])
def test_cc3d_labels_equal_ndimage_labels(seed: int) -> None:
    from gaitlab.analysis import pressure as PR

    if PR._cc3d is None:
        pytest.skip("cc3d is not installed")
    rng = np.random.default_rng(seed)
    m = (rng.random((200, 31, 13)) < 0.35).astype(np.uint8)  # many components, some large
    a, b = PR.label6(m), PR.label6(m, use_cc3d=False)
    assert b.max() > 50
    np.testing.assert_array_equal(a.astype(np.int64), b.astype(np.int64))
