"""Pure live processing: COP, display envelope, running peak, latency statistics."""

from __future__ import annotations

import numpy as np

from gaitlab.live.health import count_drops, measured_rate, status_of
from gaitlab.live.processing import cop_of_frames, emg_display_envelope, latency_stats, running_peak
from gaitlab.streams import PressureGeometry

GEO = PressureGeometry(rows=20, cols=10, row_pitch_m=0.01, col_pitch_m=0.02)


def test_cop_follows_a_single_loaded_sensor_and_is_nan_when_empty() -> None:
    frames = np.zeros((3, 20 * 10), np.float32)
    f = frames.reshape(3, 20, 10)
    f[0, 0, 9] = 10.0  # front row, rightmost column
    f[1, 19, 0] = 10.0  # back row, leftmost column
    x, y, total = cop_of_frames(frames, GEO)
    np.testing.assert_allclose(x[:2], [9.5 * 0.02, 0.5 * 0.02])
    np.testing.assert_allclose(y[:2], [19.5 * 0.01, 0.5 * 0.01])
    assert np.isnan(x[2]) and total[2] == 0


def test_envelope_rises_in_a_burst_only() -> None:
    fs = 2000.0
    rng = np.random.default_rng(1)
    x = rng.normal(0, 5e-6, size=(4000, 2))
    x[1500:2500, 0] += rng.normal(0, 100e-6, size=1000)
    env = emg_display_envelope(x, fs)
    assert env.shape == x.shape
    assert env[1800:2200, 0].mean() > 10 * env[200:1000, 0].mean()
    assert env[1800:2200, 1].mean() < 2 * env[200:1000, 1].mean()
    assert not emg_display_envelope(x[:10], fs).any()  # too short: zeros, no exception


def test_peak_latency_and_health_helpers() -> None:
    assert running_peak(float("nan"), np.array([1.0, np.nan, 3.0])) == 3.0
    assert running_peak(5.0, np.array([np.nan])) == 5.0
    med, p99, n = latency_stats(np.array([0.01, 0.02, 0.03, np.nan]))
    assert n == 3 and med == 20.0 and 29.0 < p99 <= 30.0
    t = np.arange(0, 3, 0.01)
    assert abs(measured_rate(t) - 100.0) < 1e-6
    gap_t = np.r_[t[:100], t[150:]]  # 50 samples missing
    assert count_drops(gap_t, None, 100.0) == (1, 50)
    assert status_of(True, 0.1, 100.0) == "ok"
    assert status_of(True, 2.0, 100.0) == "stale"
    assert status_of(False, 0.0, 100.0) == "lost"
    assert status_of(True, 60.0, 0.0) == "ok"  # irregular streams are never stale
