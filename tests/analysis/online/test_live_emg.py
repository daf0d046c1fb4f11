"""The live EMG tracker against the offline analysis of the same session.

The offline reference is ``analyze_session`` on a session file rendered by the virtual
athlete's offline writer; the live side is fed the same samples chunk by chunk, with its
initial contacts coming from the live gait tracker as it confirms them. The tracker's
final value per cycle (its first result, or the revision that replaces it) must equal the
offline one; its first result must come within one step of the contact.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from live_data import T0, Rendered

from gaitlab.analysis import analyze_session
from gaitlab.analysis.online import CycleResult, LiveEmgChannel, LiveEmgParams, LivePressureGait
from gaitlab.analysis.online.replay import replay
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.errors import GaitlabError

CHANNELS = ("GMED_L", "TFL_R")


@pytest.fixture(scope="module")
def offline(run12: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = write_offline_session(run12.model, tmp_path_factory.mktemp("live") / "s.h5", t0=T0,
                                 devices=("emg", "pressure", "markers"))
    return analyze_session(path)


def _run_live(r: Rendered, thresholds: dict[str, tuple[float, float] | None], notches: list[float],
              seed: int, max_chunk: int = 400
              ) -> tuple[dict[str, list[CycleResult]], dict[str, LiveEmgChannel], dict[float, float]]:
    """Results per channel (in order of emission), the trackers, and for each IC the
    stream time (newest EMG sample) at which the gait tracker confirmed it."""
    d = r.model.profile.devices
    gait = LivePressureGait(d.pressure_rows, d.pressure_cols, d.pressure_row_pitch_mm / 1000,
                            d.pressure_col_pitch_mm / 1000)
    names = r.model.emg_channels
    chans = {n: LiveEmgChannel(d.emg_rate_hz, notches=notches, baseline=thresholds[n],
                               live=LiveEmgParams(calibrate_s=6.0))
             for n in CHANNELS}
    emg = {n: r.emg[:, names.index(n)] for n in CHANNELS}
    rep = replay(gait, r.frames, r.frame_t, chans, emg, r.emg_t, max_chunk, seed)
    return rep.results, rep.channels, rep.confirmed_at


def _first(got: list[CycleResult]) -> list[CycleResult]:
    assert all(a.ic < b.ic for a, b in itertools.pairwise(c for c in got if not c.revised))
    return [c for c in got if not c.revised]


def _final(got: list[CycleResult]) -> list[CycleResult]:
    """The last word on each cycle: a revision replaces the first result of its IC."""
    last = {c.ic: c for c in got}
    assert all(c.ic in last for c in got if c.revised)
    return [last[c.ic] for c in _first(got)]


def _compare(got: list[CycleResult], ref: dict[str, Any], fs: float) -> np.ndarray:
    """Per-edge |live − offline| in samples (onsets then offsets of the accepted cycles)."""
    ic = np.array([c.ic for c in got])
    np.testing.assert_allclose(ic, ref["ic_s"], atol=1e-9)
    on = np.array([c.onset_s for c in got]) * 1000
    off = np.array([c.offset_s for c in got]) * 1000
    assert np.array_equal(np.isnan(on), np.isnan(ref["onset_ms"]))
    ok = np.isfinite(on)
    assert ok.sum() >= 0.8 * ic.size
    return np.abs(np.r_[on[ok] - ref["onset_ms"][ok], off[ok] - ref["offset_ms"][ok]]) * fs / 1000


def test_live_onsets_equal_offline_with_its_threshold(run12: Rendered, offline: Any) -> None:
    fs = run12.model.profile.devices.emg_rate_hz
    notches = offline.parameters["emg_streams"][next(iter(offline.parameters["emg_streams"]))][
        "notch_hz"]
    cyc = offline.emg_cycles
    thr = {n: (cyc[n]["baseline_mean"], cyc[n]["baseline_sd"]) for n in CHANNELS}
    # chunks of up to 50 ms, as the lab monitor pulls them (a longer chunk delays everything)
    got, chans, known = _run_live(run12, thr, notches, seed=3, max_chunk=100)
    ics = np.array(sorted(known))
    step = float(np.median(np.diff(ics)))  # this run's step time, from the tracked contacts
    for n in CHANNELS:
        ref = offline.emg_cycles[n]
        # final values: the offline ones, to the sample (a 1-sample flip stays possible: the
        # final envelope differs from the whole-signal one by ~1e-4 of its level, see docs)
        err = _compare(_final(got[n]), ref, fs)
        assert err.max() < 1.5 and np.mean(err < 0.5) >= 0.95, n
        # first results: most already final, the rest revised (and off by a sample or so)
        first = _first(got[n])
        err1 = _compare(first, ref, fs)
        assert np.mean(err1 < 0.5) >= 0.75 and np.mean(err1 < 1.5) >= 0.9, n
        revised = {c.ic for c in got[n] if c.revised}
        for c, f in zip(first, _final(got[n]), strict=True):
            same = (c.reason, c.onset_s, c.offset_s) == (f.reason, f.onset_s, f.offset_s)
            assert same or c.ic in revised
        # decision delay: within one step of the IC once the gait tracker confirms contacts
        # within the step (steady state), and the EMG side adds at most its fresh-envelope
        # margin + the edge search + the hop to the moment the IC is known
        ic = np.array([c.ic for c in first])
        lat = np.array([c.emitted_at for c in first]) - ic
        k = np.array([known[c.ic] for c in first]) - ic
        steady = (k <= step) & (ic + step < run12.emg_t[-1])
        assert steady.sum() >= 0.6 * ic.size, n
        assert np.all(lat[steady] <= step), (n, lat[steady].max(), step)
        lp, p = chans[n].lp, chans[n].p
        own = lat - np.maximum(k, 0)
        assert np.median(own[steady]) <= lp.fast_margin_s + p.edge_max_ms / 1000 + lp.hop_s, n


def test_live_self_calibrated_threshold_and_latency(run12: Rendered, offline: Any) -> None:
    fs = run12.model.profile.devices.emg_rate_hz
    notches = offline.parameters["emg_streams"][next(iter(offline.parameters["emg_streams"]))][
        "notch_hz"]
    got, chans, known = _run_live(run12, dict.fromkeys(CHANNELS), notches, seed=4)
    for n in CHANNELS:
        ref_thr = offline.emg_cycles[n]["threshold"]
        assert chans[n].threshold == pytest.approx(ref_thr, rel=0.15)
        err_samples = _compare(_final(got[n]), offline.emg_cycles[n], fs)
        assert np.mean(err_samples <= 1.0 + 1e-6) >= 0.9, n
        # once calibrated, a first result comes when the burst has ended in the fresh
        # envelope: burst offset + edge search + fresh margin + hop + the chunk in hand, or
        # as soon as the IC is known if that is later (see gaitlab/analysis/online/emg.py)
        first = _first(got[n])
        ic = np.array([c.ic for c in first])
        off = np.array([c.offset_s for c in first])
        k = np.array([known[c.ic] for c in first]) - ic
        lat = np.array([c.emitted_at for c in first]) - ic
        p, lp = chans[n].p, chans[n].lp
        calibrated_at = ic[0] - 1.0 + lp.calibrate_s + lp.margin_s
        late = (ic > calibrated_at) & np.isfinite(off)
        assert late.sum() >= 3
        bound = off + 2 * p.edge_max_ms / 1000 + lp.fast_margin_s + lp.hop_s + 400 / fs
        assert np.all(lat[late] <= np.maximum(bound, k + 400 / fs)[late]), n


def test_bad_input_is_a_one_line_error() -> None:
    with pytest.raises(GaitlabError):
        LiveEmgChannel(0.0)
    ch = LiveEmgChannel(2000.0, baseline=(1e-6, 1e-6))
    with pytest.raises(GaitlabError):
        ch.feed(np.zeros(10), np.zeros(9))
    # a NaN chunk is repaired or marked as artefact, never a crash
    t = np.arange(4000) / 2000.0
    x = np.where((t > 0.5) & (t < 0.7), np.nan, 1e-6 * np.sin(2 * np.pi * 80 * t))
    ch.add_ic([0.6, 1.3])
    res = ch.feed(x, t) + ch.finish()
    assert [c.ic for c in res] == [0.6, 1.3]
    assert res[0].reason == "EMG dropout (NaN run) in the cycle"
