"""The live display envelope is the offline EMG chain, applied to all channels at once."""

from __future__ import annotations

import numpy as np

from gaitlab.analysis import emg as E
from gaitlab.analysis.params import EmgParams
from gaitlab.live.processing import emg_display_envelope


def test_display_envelope_equals_the_offline_chain_per_channel_with_nans_and_notches() -> None:
    fs, p = 2000.0, EmgParams()
    rng = np.random.default_rng(7)
    t = np.arange(6000) / fs
    x = rng.normal(0, 10e-6, size=(t.size, 3)) + 30e-6 * np.sin(2 * np.pi * 50 * t)[:, None]
    x[2000:3000, 1] *= 8  # a burst on one channel
    x[4000:4030, 2] = np.nan  # a short dropout, interpolated as offline
    fast = emg_display_envelope(x, fs, [50.0], p)
    for j in range(3):
        filled, _ = E.fill_nans(x[:, j], fs, p.max_nan_gap_ms / 1000)
        ref = E.linear_envelope(E.bandpass(filled, fs, p, [50.0]), fs, p.amplitude_envelope_hz)
        np.testing.assert_allclose(fast[:, j], ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())
    assert fast[2200:2800, 1].mean() > 4 * fast[2200:2800, 0].mean()
