"""Pure helpers of the recorder: gap detection and buffer sizing."""

import math

import numpy as np

from gaitlab.record.filters import StreamFilter
from gaitlab.record.stream import find_gaps, gap_threshold_s, pull_rows_for


def test_find_gaps_in_block_and_across_blocks() -> None:
    srate = 500.0
    ts = np.arange(1000) / srate
    holed = np.delete(ts, np.s_[300:400])  # 0.2 s missing
    gaps = find_gaps(holed[200:], holed[199], srate)
    np.testing.assert_array_equal(gaps, [[ts[299], ts[400]]])
    # across the block boundary
    np.testing.assert_array_equal(find_gaps(ts[400:], ts[299], srate), [[ts[299], ts[400]]])
    # jitter well below the threshold is not a gap
    jitter = ts + np.random.default_rng(0).uniform(-0.01, 0.01, ts.size)
    assert find_gaps(np.sort(jitter), None, srate).shape == (0, 2)


def test_irregular_streams_have_no_data_gaps() -> None:
    assert math.isinf(gap_threshold_s(0.0))
    assert find_gaps(np.array([0.0, 100.0]), None, 0.0).shape == (0, 2)
    assert gap_threshold_s(2000.0) == 0.1 and gap_threshold_s(10.0) == 0.5


def test_pull_rows_bounded() -> None:
    assert pull_rows_for(2000.0, 64) == 1000
    assert pull_rows_for(120.0, 5376 * 4) == 60
    assert 16 <= pull_rows_for(0.0, 8) <= 8192


def test_filter_matches() -> None:
    f = StreamFilter(types=("emg",), source_ids=("a", "b"))
    assert f.matches("x", "EMG", "a") and not f.matches("x", "EMG", "c")
    assert not f.matches("x", "Pressure", "a") and StreamFilter().matches("x", "y", "")
