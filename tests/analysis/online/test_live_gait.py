"""The live pressure-gait tracker against the offline analysis of the same frames."""

from __future__ import annotations

import numpy as np
import pytest
from live_data import Rendered, random_chunks

from gaitlab.analysis import gait as G
from gaitlab.analysis.online.gait import LivePressureGait, StepResult
from gaitlab.analysis.params import PressureParams, SideParams
from gaitlab.analysis.pressure import contacts_from_blocks
from gaitlab.errors import GaitlabError


def _geometry(r: Rendered) -> tuple[int, int, float, float]:
    d = r.model.profile.devices
    return (d.pressure_rows, d.pressure_cols, d.pressure_row_pitch_mm / 1000,
            d.pressure_col_pitch_mm / 1000)


def _params(r: Rendered) -> PressureParams:
    """As the analysis and the live monitor run: contacts labelled in the belt's frame."""
    return PressureParams(belt_speed_mps=r.model.belt_speed_mps)


def _offline(r: Rendered, frames: np.ndarray) -> G.SidedContacts:
    rows, cols, rp, cp = _geometry(r)
    c = contacts_from_blocks(lambda a, b: frames[a:b].reshape(b - a, rows, cols), r.frame_t,
                             rp, cp, _params(r), block_frames=600)
    return G.side_contacts(c, _params(r), SideParams())


def _live(r: Rendered, frames: np.ndarray, seed: int) -> tuple[LivePressureGait, list[StepResult]]:
    tr = LivePressureGait(*_geometry(r), pressure=_params(r))
    out: list[StepResult] = []
    for a, b in random_chunks(len(r.frame_t), 24, seed):
        out += tr.feed(frames[a:b], r.frame_t[a:b])
    out += tr.finish()
    return tr, out


def _with_gap(r: Rendered) -> np.ndarray:
    """The runner steps off for a second: a bout break and cut (non-running) contacts."""
    f = r.frames.copy()
    t = r.frame_t - r.frame_t[0]
    f[(t > 5.03) & (t < 6.1)] = 0.0
    return f


@pytest.mark.parametrize("gap", [False, True])
def test_live_steps_equal_offline(run12: Rendered, gap: bool) -> None:
    frames = _with_gap(run12) if gap else run12.frames
    sc = _offline(run12, frames)
    tr, _ = _live(run12, frames, seed=5 + gap)
    live = tr.contacts
    c = sc.contacts
    assert len(live) == len(c) > 20
    assert (sc.bout.max() + 1) == (2 if gap else 1)
    for name, ref in (("ic", c.ic), ("to", c.to), ("x", c.x), ("medial_shift", c.medial_shift)):
        got = np.array([getattr(s, name) for s in live])
        np.testing.assert_allclose(got, ref, atol=1e-6, equal_nan=True, err_msg=name)
    assert [s.side for s in live] == sc.side.tolist()
    assert [s.bout for s in live] == sc.bout.tolist()
    assert not any(s.provisional for s in live)
    # signed step widths of consecutive contacts in a bout, and the session cadence
    inb = sc.bout >= 0
    x, sd, bi = c.x[inb], sc.side[inb], sc.bout[inb]
    same = bi[1:] == bi[:-1]
    w_off = np.where(sd[:-1] == G.RIGHT, x[:-1] - x[1:], x[1:] - x[:-1])[same]
    w_live = np.array([s.step_width_m for s in live if s.bout >= 0 and np.isfinite(s.step_width_m)])
    np.testing.assert_allclose(w_live, w_off, atol=1e-6)
    first = np.r_[True, ~same]
    last = np.r_[~same, True]
    cad = 60.0 * (inb.sum() - first.sum()) / np.sum(c.ic[inb][last] - c.ic[inb][first])
    assert tr.session_cadence_spm == pytest.approx(cad, abs=1e-6)
    ct = np.array([s.contact_time_s for s in live])
    np.testing.assert_allclose(ct, c.to - c.ic, atol=1e-6, equal_nan=True)


def test_results_come_within_one_step(run12: Rendered) -> None:
    tr, events = _live(run12, run12.frames, seed=9)
    ic = np.array([s.ic for s in tr.contacts])
    n_steps = SideParams().min_bout_steps
    first_emission = {}
    confirmed_at = {}
    for e in events:
        first_emission.setdefault(e.index, e.emitted_at)
        if not e.provisional:
            confirmed_at.setdefault(e.index, e.emitted_at)
    for k in range(ic.size - 2):
        # a step is reported before the next-but-one contact lands
        assert first_emission[k] <= ic[k + 2], k
    # sides are provisional for the first min_bout_steps contacts of a bout, then confirmed
    # no later than when the min_bout_steps-th contact is reported
    first_conf = min(confirmed_at.values())
    assert first_conf == first_emission[n_steps - 1]
    assert all(e.provisional for e in events if e.emitted_at < first_conf)
    assert all(confirmed_at[k] == first_emission[k] for k in range(n_steps, ic.size))


def test_bad_geometry_and_chunk_are_one_line_errors(run12: Rendered) -> None:
    with pytest.raises(GaitlabError):
        LivePressureGait(0, 42, 0.01, 0.01)
    tr = LivePressureGait(*_geometry(run12))
    with pytest.raises(GaitlabError, match="geometry"):
        tr.feed(np.zeros((3, 10)), np.arange(3.0))
    # NaN frames count as unloaded, never a crash
    assert tr.feed(np.full((5, run12.frames.shape[1]), np.nan), np.arange(5.0)) == []
