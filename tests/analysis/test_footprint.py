"""Foot progression angle from footprints: the virtual athlete's rendered pressure frames
(belt moving), segmented by the offline contact segmentation, against the model's angle."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gaitlab.analysis.footprint import belt_footprint, foot_progression_angle, fpa_of_image
from gaitlab.analysis.pressure import segment_contacts
from gaitlab.athlete import load_profile
from gaitlab.drivers.virtual import model as M
from gaitlab.drivers.virtual import render
from gaitlab.errors import GaitlabError
from gaitlab.protocols import load_protocol


def _rendered_fpa(fpa_deg: float) -> tuple[np.ndarray, np.ndarray, M.SessionModel]:
    base = load_profile("default")
    prof = replace(base, run=replace(base.run, foot_progression_deg=fpa_deg))
    m = M.build_session(prof, load_protocol("run"), seed=5, run_duration_s=4.0)
    d = prof.devices
    rp, cp = d.pressure_row_pitch_mm / 1000, d.pressure_col_pitch_mm / 1000
    n = render.n_samples(m.duration_s, d.pressure_rate_hz)
    fr = render.render_pressure(m, 0, n).reshape(n, d.pressure_rows, d.pressure_cols)
    t = np.arange(n) / d.pressure_rate_hz
    c = segment_contacts(fr, t, rp, cp)
    idx = np.flatnonzero(np.isfinite(c.ic) & np.isfinite(c.to))
    # sparse loaded sensor-frames of every complete contact (the layout the reader gives)
    f, r, col = np.nonzero(fr > 1.0)
    k = np.searchsorted(c.first[idx], f, side="right") - 1
    inside = (k >= 0) & (f <= c.last[idx][np.clip(k, 0, None)])
    f, r, col, k = f[inside], r[inside], col[inside], k[inside]
    cid, rb, cb, peak = belt_footprint(k, t[f], r, col, fr[f, r, col], c.ic[idx],
                                       m.belt_speed_mps, rp)
    # side of each measured contact: the simulated contact with the nearest IC (labels only)
    j = np.abs(m.contacts.t_ic[None, :] - c.ic[idx][:, None]).argmin(axis=1)
    side = np.where(m.contacts.side[j] == "R", 1.0, -1.0)
    return foot_progression_angle(rb, cb, peak, cid, side, rp, cp, threshold=1.0), side, m


@pytest.mark.parametrize("fpa_deg", [-5.0, 7.0, 20.0])
def test_fpa_of_rendered_footprints_matches_the_model(fpa_deg: float) -> None:
    ang, side, m = _rendered_fpa(fpa_deg)
    true = np.degrees(m.progression_rad)
    assert ang.size >= 8 and np.isfinite(ang).all()
    err = ang - true
    for s in (-1.0, 1.0):  # both feet, toe-out positive on each
        assert abs(np.mean(err[side == s])) < 1.0
    assert np.median(np.abs(err)) < 1.0 and np.percentile(np.abs(err), 95) < 2.5


def test_fpa_of_a_synthetic_rectangle_footprint_and_sign_convention() -> None:
    # a 2-wide × 20-long footprint drawn along a line turned 10° from the direction of travel
    rp = cp = 0.01
    img = np.zeros((60, 60))
    s = np.linspace(0, 0.25, 400)
    for w in (-0.01, 0.0, 0.01):
        x = 0.30 + s * np.sin(np.radians(10)) + w * np.cos(np.radians(10))
        y = 0.50 - s * np.cos(np.radians(10)) + w * np.sin(np.radians(10))
        img[(y / rp).astype(int), (x / cp).astype(int)] = 5.0
    right = fpa_of_image(img, +1, rp, cp)
    left = fpa_of_image(img, -1, rp, cp)
    assert right == pytest.approx(10.0, abs=1.5)  # forefoot to the right: a toed-out right foot
    assert left == pytest.approx(-right)  # the same print under a left foot is toed in


def test_bad_footprint_input_is_a_one_line_error_or_nan() -> None:
    with pytest.raises(GaitlabError):
        foot_progression_angle(np.zeros(3), np.zeros(2), np.zeros(3), np.zeros(3, int),
                               np.ones(1), 0.01, 0.01)
    with pytest.raises(GaitlabError):
        foot_progression_angle(np.zeros(3), np.zeros(3), np.ones(3), np.zeros(3, int),
                               np.ones(1), 0.0, 0.01)
    with pytest.raises(GaitlabError):
        belt_footprint(np.zeros(2, int), np.zeros(2), np.zeros(2), np.zeros(2), np.ones(2),
                       np.zeros(1), float("nan"), 0.01)
    with pytest.raises(GaitlabError):
        fpa_of_image(np.ones(5), 1, 0.01, 0.01)
    # too few sensors, unknown side, NaN pressures: NaN, never a crash
    assert np.isnan(fpa_of_image(np.eye(3), 1, 0.01, 0.01))
    assert np.isnan(fpa_of_image(np.ones((20, 5)), 0, 0.01, 0.01))
    assert np.isnan(fpa_of_image(np.full((20, 5), np.nan), 1, 0.01, 0.01))


@pytest.mark.parametrize("n_contacts", [40, 4_000_000])  # bitmap path, sort path
def test_cells_are_the_distinct_triples_with_their_index(n_contacts: int) -> None:
    from gaitlab.analysis.footprint import distinct_cells

    rng = np.random.default_rng(3)
    n = 5000
    c = rng.integers(0, n_contacts, n)
    r = rng.integers(-20, 150, n)
    col = rng.integers(0, 42, n)
    cid, row, cc, inv = distinct_cells(c, r, col)
    ref = np.unique(np.stack([c, r, col], axis=1), axis=0)
    np.testing.assert_array_equal(np.stack([cid, row, cc], axis=1), ref)
    np.testing.assert_array_equal(np.stack([cid[inv], row[inv], cc[inv]], axis=1),
                                  np.stack([c, r, col], axis=1))
