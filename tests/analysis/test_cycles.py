"""Gait-cycle ensembles and onset differences (pure functions)."""

from __future__ import annotations

import numpy as np

from gaitlab.analysis import cycles as C

FS = 1000.0


def test_ensemble_recovers_template_over_uneven_strides() -> None:
    rng = np.random.default_rng(2)
    strides = 0.7 + 0.05 * rng.standard_normal(20)
    ic = 1.0 + np.r_[0.0, np.cumsum(strides)]
    t = np.arange(int((ic[-1] + 1) * FS)) / FS
    k = np.clip(np.searchsorted(ic, t, side="right") - 1, 0, ic.size - 2)
    phase = np.clip((t - ic[k]) / (ic[k + 1] - ic[k]), 0, 1)
    env = 1.0 + np.sin(2 * np.pi * phase) ** 2  # same shape in every cycle, time-normalised
    ok = np.ones(ic.size, bool)
    ok[5] = False  # a rejected cycle is left out
    s, e = C.cycle_windows(ic, ok)
    assert s.size == ic.size - 2
    ens = C.ensemble(t, env, s, e, points=101, scale=2.0, unit="%MVC")
    expect = 2.0 * (1.0 + np.sin(2 * np.pi * np.linspace(0, 1, 101)) ** 2)
    np.testing.assert_allclose(ens.mean, expect, atol=0.02)
    assert np.all(ens.sd < 0.02) and ens.n_cycles == s.size and ens.percent[-1] == 100.0


def test_cycle_windows_skip_pauses() -> None:
    ic = np.array([0.0, 0.7, 1.4, 4.0, 4.7, 5.4])  # a pause between 1.4 and 4.0
    s, _ = C.cycle_windows(ic, np.ones(6, bool))
    assert 1.4 not in s and s.size == 4


def test_ensemble_without_cycles_is_nan() -> None:
    ens = C.ensemble(np.arange(10.0), np.ones(10), np.empty(0), np.empty(0))
    assert ens.n_cycles == 0 and np.isnan(ens.mean).all()


def test_onset_difference_matches_cycles_by_ic() -> None:
    ic_g = np.array([1.0, 2.0, 3.0, 4.0])
    on_g = np.array([-90.0, np.nan, -80.0, -100.0])  # cycle 2 rejected for GMED
    ic_t = np.array([2.0, 3.0, 4.0])  # TFL has no cycle at 1.0
    on_t = np.array([-60.0, -70.0, -50.0])
    d = C.onset_difference(ic_g, on_g, ic_t, on_t)
    assert d["n"] == 2 and d["per_cycle_ms"] == [-10.0, -50.0]
    assert d["mean"] == -30.0 and d["sd"] == round(float(np.std([-10, -50], ddof=1)), 2)
