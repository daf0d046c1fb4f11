"""Pure helpers of the recorder: gap detection and buffer sizing."""

import math

import numpy as np

from gaitlab.io.writer import SessionWriter, StreamHeader
from gaitlab.record.filters import StreamFilter
from gaitlab.record.stream import StreamState, find_gaps, gap_threshold_s, pull_rows_for


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


def test_measured_rate_leaves_the_gaps_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A 2 kHz stream with a 3 s outage and a reconnection still reads 2 kHz, not ~1.4 kHz."""
    xml = ("<info><name>e</name><type>EMG</type><channel_count>1</channel_count><nominal_srate>2000"
           "</nominal_srate><channel_format>float32</channel_format><source_id>e</source_id></info>")
    head = StreamHeader("e", "EMG", "e", "host", 1, 2000.0, "float32", "emg", xml, ("c",), ("V",), 0.0)
    w = SessionWriter(tmp_path / "s.h5")
    try:
        _, sw = w.add_stream(head)
        st = StreamState("e", sw, 2000.0, "emg", "e")
        ts = np.arange(20000) / 2000.0  # 10 s
        st._track(np.delete(ts, np.s_[4000:10000]))  # 3 s missing inside a block
        st._reconnected = True  # the source came back 2 s later
        st._track(ts[:4000] + 12.0)
        assert st.n_gaps == 2
        assert abs(st.measured_rate() - 2000.0) < 1e-6
        assert abs(st.gap_s - (3.0 + 2.0) - 2 / 2000.0) < 1e-9
    finally:
        w.close()
