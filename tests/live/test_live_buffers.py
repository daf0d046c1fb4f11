"""Ring buffer and display decimation (pure numpy)."""

from __future__ import annotations

import numpy as np

from gaitlab.live import RingBuffer, decimate_minmax


def test_ring_keeps_the_newest_rows_in_order_across_wraps() -> None:
    rb = RingBuffer(100, 2)
    rng = np.random.default_rng(0)
    t_all, x_all = np.arange(1000) / 10.0, rng.normal(size=(1000, 2)).astype(np.float32)
    i = 0
    for n in rng.integers(1, 37, size=200):  # ragged chunks, some wrap the storage
        if i >= 1000:
            break
        rb.extend(t_all[i:i + n], x_all[i:i + n])
        i += n
        t, x = rb.snapshot()
        lo = max(0, min(i, 1000) - 100)
        np.testing.assert_array_equal(t, t_all[lo:min(i, 1000)])
        np.testing.assert_array_equal(x, x_all[lo:min(i, 1000)])
    assert rb.total == 1000
    t, _ = rb.snapshot(seconds=2.0)
    assert t[0] == t_all[-21] and t[-1] == t_all[-1]
    t, x, pos = rb.since(990)
    np.testing.assert_array_equal(t, t_all[990:])
    assert pos == 1000 and rb.since(pos)[0].size == 0


def test_snapshot_is_a_copy() -> None:
    rb = RingBuffer(10, 1)
    rb.extend(np.arange(5.0), np.ones((5, 1)))
    _, x = rb.snapshot()
    x[:] = 7
    assert rb.snapshot()[1].max() == 1


def test_decimation_keeps_extremes_and_bounds_the_point_count() -> None:
    t = np.arange(20000) / 2000.0
    y = np.sin(2 * np.pi * 3 * t)
    y[12345] = 5.0  # a one-sample spike must survive
    td, yd = decimate_minmax(t, y, 800)
    assert len(td) <= 1600 and td.dtype == np.float64
    assert yd.max() == 5.0 and yd.min() == y.min()
    assert np.all(np.diff(td) >= 0)
    y2 = np.column_stack([y, -y])
    _, yd2 = decimate_minmax(t, y2, 800)
    assert yd2.shape == (1600, 2) and yd2[:, 1].min() == -5.0
    _ts, ys = decimate_minmax(t[:100], y[:100], 800)  # short: unchanged
    np.testing.assert_array_equal(ys, y[:100])
