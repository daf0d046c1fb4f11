"""Device renderers: chunk invariance and agreement with the model they render."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gaitlab.drivers.virtual import render
from gaitlab.drivers.virtual.model import build_session


@pytest.fixture(scope="module")
def run_model(profile, run_only):
    return build_session(profile, run_only, seed=21, run_duration_s=6)


@pytest.fixture(scope="module")
def strength_model(profile, assessment):
    quiet = replace(profile, emg=replace(profile.emg, hum_uV=0.0))
    return build_session(quiet, assessment, seed=8, max_duration_s=assessment.strength.duration_s)


@pytest.fixture(scope="module")
def pressure(run_model):
    fs = run_model.profile.devices.pressure_rate_hz
    frames = render.render_pressure(run_model, 0, render.n_samples(run_model.duration_s, fs))
    return frames, np.arange(frames.shape[0]) / fs


def _chunked(fn, model, n0: int, n1: int, sizes: list[int]) -> np.ndarray:
    parts, n = [], n0
    i = 0
    while n < n1:
        m = min(n1, n + sizes[i % len(sizes)])
        parts.append(fn(model, n, m))
        n, i = m, i + 1
    return np.concatenate(parts)


@pytest.mark.parametrize("fn", [render.render_emg, render.render_pressure,
                                render.render_dynamometer])
def test_chunk_invariance(fn, run_model, strength_model) -> None:
    for model in (run_model, strength_model):
        n0, n1 = 3, 9000 if fn is render.render_emg else 400
        whole = fn(model, n0, n1)
        pieces = _chunked(fn, model, n0, n1, [1, 37, 5000, 8, 129])
        assert whole.dtype == np.float32
        np.testing.assert_allclose(pieces, whole, rtol=1e-6, atol=1e-9)


def test_emg_snr_matches_profile(strength_model) -> None:
    m = strength_model
    fs = m.profile.devices.emg_rate_hz
    x = render.render_emg(m, 0, render.n_samples(m.duration_s, fs)).astype(float)
    t = np.arange(x.shape[0]) / fs
    tr = m.trials
    best = int(np.argmax(np.where(tr.side == "L", tr.peak_N, 0)))
    plateau = (t > tr.t_hold[best] + 0.05) & (t < tr.t_release[best] - 0.05)
    rest = t < tr.t_rise[0] - 0.1
    j = m.emg_channels.index("GMED_L")
    p_sig = np.mean(x[plateau, j] ** 2) - np.mean(x[rest, j] ** 2)
    snr = 10 * np.log10(p_sig / np.mean(x[rest, j] ** 2))
    assert snr == pytest.approx(m.profile.emg.snr_db, abs=1.0)
    # 100 %MVC RMS at the best trial's plateau
    assert np.sqrt(p_sig) == pytest.approx(m.profile.emg.mvc_rms_uV * 1e-6, rel=0.05)
    # the contralateral muscle stays at baseline
    jr = m.emg_channels.index("GMED_R")
    assert np.sqrt(np.mean(x[plateau, jr] ** 2)) < 2 * render.baseline_rms_V(m)


def test_emg_activation_follows_bursts(run_model) -> None:
    m = run_model
    j = m.emg_channels.index("TFL_R")
    b = m.bursts["TFL_R"]
    mid = (b.onset + b.offset) / 2
    act = render.emg_activation(m, mid)[:, j]
    np.testing.assert_allclose(act, b.amplitude)
    before = render.emg_activation(m, b.onset - 1e-4)[:, j]
    assert np.all(before == 0)
    ramp_end = render.emg_activation(m, b.onset + render.EMG_RAMP_S)[:, j]
    np.testing.assert_allclose(ramp_end, b.amplitude)


def test_emg_hum_and_impacts_present(run_model) -> None:
    m = run_model
    fs = m.profile.devices.emg_rate_hz
    x = render.render_emg(m, 0, render.n_samples(m.duration_s, fs)).astype(float)
    f = np.fft.rfftfreq(x.shape[0], 1 / fs)
    spec = np.abs(np.fft.rfft(x[:, 0]))
    hum = spec[np.argmin(np.abs(f - m.profile.emg.mains_hz))]
    assert hum > 10 * np.median(spec)
    imp = render.emg_impacts(m, np.arange(x.shape[0]) / fs)
    peak_uV = np.abs(imp).max(axis=0) * 1e6
    assert np.all(peak_uV <= m.profile.emg.impact_artefact_uV * 1.5 + 1e-9)
    assert np.all(peak_uV >= m.profile.emg.impact_artefact_uV * 0.3)


def test_pressure_shape_and_sparsity(run_model, pressure) -> None:
    frames, t = pressure
    d = run_model.profile.devices
    assert frames.shape[1] == d.pressure_rows * d.pressure_cols == 5376
    assert np.mean(frames == 0) > 0.9
    assert frames.max() < 120  # within the sensor range (N/cm^2)
    c = run_model.contacts
    in_contact = np.any((t[:, None] > c.t_ic) & (t[:, None] < c.t_to), axis=1)
    assert np.all(frames[~in_contact] == 0.0)  # exactly zero, also at t == t_ic (no force yet)
    assert np.all(frames[in_contact].max(axis=1) > 0.0)
    # more than 1 ms into the contact the peak sensor is over the 1 N/cm^2 contact threshold
    inner = np.any((t[:, None] > c.t_ic + 1e-3) & (t[:, None] < c.t_to - 1e-3), axis=1)
    assert np.all(frames[inner].max(axis=1) > 1.0)


def test_pressure_threshold_crossing_is_near_ic(run_model) -> None:
    c = run_model.contacts
    just_after = render._pressure_frames(run_model, c.t_ic + 0.002)
    just_before_to = render._pressure_frames(run_model, c.t_to - 0.002)
    assert np.all(just_after.max(axis=1) > 1.0)
    assert np.all(just_before_to.max(axis=1) > 1.0)


def test_pressure_centroid_equals_truth_x(run_model, pressure) -> None:
    frames, t = pressure
    d = run_model.profile.devices
    grid = frames.reshape(-1, d.pressure_rows, d.pressure_cols).astype(float)
    x_cells = (np.arange(d.pressure_cols) + 0.5) * d.pressure_col_pitch_mm / 1000
    c = run_model.contacts
    assert len(c) >= 10
    err_mm = []
    for i in range(len(c)):  # one centroid per contact, vectorised inside
        sel = (t >= c.t_ic[i]) & (t < c.t_to[i])
        w = grid[sel].sum(axis=(0, 1))
        err_mm.append((np.dot(w, x_cells) / w.sum() - c.x[i]) * 1000)
    assert np.max(np.abs(err_mm)) < 1.0


def test_pressure_foot_moves_back_at_belt_speed(run_model, pressure) -> None:
    frames, t = pressure
    d = run_model.profile.devices
    grid = frames.reshape(-1, d.pressure_rows, d.pressure_cols).astype(float)
    y_cells = (np.arange(d.pressure_rows) + 0.5) * d.pressure_row_pitch_mm / 1000
    c = run_model.contacts
    speeds = []
    for i in range(len(c)):
        # late stance: the forefoot pattern is rigid, so its centroid moves with the belt
        phase = (t - c.t_ic[i]) / (c.t_to[i] - c.t_ic[i])
        sel = (phase >= 0.6) & (phase <= 0.95)
        rows = grid[sel].sum(axis=2)
        y = rows @ y_cells / rows.sum(axis=1)
        speeds.append(np.polyfit(t[sel], y, 1)[0])
    assert np.median(speeds) == pytest.approx(run_model.belt_speed_mps, rel=0.02)


def test_dynamometer_peaks_match_trials(strength_model) -> None:
    m = strength_model
    fs = m.profile.devices.dynamometer_rate_hz
    f = render.render_dynamometer(m, 0, render.n_samples(m.duration_s, fs))[:, 0]
    t = np.arange(f.size) / fs
    tr = m.trials
    assert len(tr) == 6
    for i in range(len(tr)):
        sel = (t >= tr.t_rise[i]) & (t < tr.t_end[i])
        assert f[sel].max() == pytest.approx(tr.peak_N[i], abs=1.5)
        hold = (t > tr.t_hold[i]) & (t < tr.t_release[i])
        assert np.std(f[hold]) == pytest.approx(render.DYN_NOISE_N, rel=0.3)
    between = np.ones(f.size, bool)
    for i in range(len(tr)):
        between &= ~((t >= tr.t_rise[i]) & (t < tr.t_end[i]))
    assert np.all(f[between] == 0.0)


def test_strength_trials_drive_abductor_emg(strength_model) -> None:
    m = strength_model
    tr = m.trials
    t_mid = (tr.t_hold + tr.t_release) / 2
    act = render.emg_activation(m, t_mid)
    for i in range(len(tr)):
        side = tr.side[i]
        expected = tr.peak_N[i] / tr.best(side)
        for j, name in enumerate(m.emg_channels):
            want = expected if name.endswith(side) else 0.0
            assert act[i, j] == pytest.approx(want)
    assert act.max() == pytest.approx(1.0)


def test_markers_between(strength_model) -> None:
    got = render.markers_between(strength_model, 0.0, 5.0)
    assert [s for _, s in got][:2] == ["block_start strength", "trial_start hip_abduction L"]
    assert all(0 <= t < 5 for t, _ in got)
