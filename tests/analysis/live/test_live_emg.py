"""The live EMG tracker against the offline analysis of the same session.

The offline reference is ``analyze_session`` on a session file rendered by the virtual
athlete's offline writer; the live side is fed the same samples chunk by chunk, with its
initial contacts coming from the live gait tracker as it confirms them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from live_data import T0, Rendered, random_chunks

from gaitlab.analysis import analyze_session
from gaitlab.analysis.live import CycleResult, LiveEmgChannel, LiveEmgParams, LivePressureGait
from gaitlab.drivers.virtual.offline import write_offline_session
from gaitlab.errors import GaitlabError

CHANNELS = ("GMED_L", "TFL_R")


@pytest.fixture(scope="module")
def offline(run12: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = write_offline_session(run12.model, tmp_path_factory.mktemp("live") / "s.h5", t0=T0,
                                 devices=("emg", "pressure", "markers"))
    return analyze_session(path)


def _run_live(r: Rendered, thresholds: dict[str, tuple[float, float] | None], notches: list[float],
              seed: int) -> tuple[dict[str, list[CycleResult]], dict[str, LiveEmgChannel]]:
    d = r.model.profile.devices
    gait = LivePressureGait(d.pressure_rows, d.pressure_cols, d.pressure_row_pitch_mm / 1000,
                            d.pressure_col_pitch_mm / 1000)
    names = r.model.emg_channels
    chans = {n: LiveEmgChannel(d.emg_rate_hz, notches=notches, baseline=thresholds[n],
                               live=LiveEmgParams(calibrate_s=6.0))
             for n in CHANNELS}
    got: dict[str, list[CycleResult]] = {n: [] for n in CHANNELS}
    added: set[int] = set()
    fi = 0

    def give_ics() -> None:
        for s in gait.contacts:
            if not s.provisional and s.bout >= 0 and s.index not in added:
                added.add(s.index)
                for n in CHANNELS:
                    if n.endswith(s.side_name):
                        chans[n].add_ic(s.ic)

    for a, b in random_chunks(r.emg_t.size, 400, seed):
        t_end = r.emg_t[b - 1]
        fj = int(np.searchsorted(r.frame_t, t_end, side="right"))
        if fj > fi:
            gait.feed(r.frames[fi:fj], r.frame_t[fi:fj])
            fi = fj
        give_ics()
        for n in CHANNELS:
            got[n] += chans[n].feed(r.emg[a:b, names.index(n)], r.emg_t[a:b])
    gait.feed(r.frames[fi:], r.frame_t[fi:])
    gait.finish()
    give_ics()
    for n in CHANNELS:
        got[n] += chans[n].finish()
    return got, chans


def _compare(got: list[CycleResult], ref: dict[str, Any], fs: float) -> np.ndarray:
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
    got, _ = _run_live(run12, thr, notches, seed=3)
    for n in CHANNELS:
        err_samples = _compare(got[n], offline.emg_cycles[n], fs)
        assert err_samples.max() <= 1.0 + 1e-6, n


def test_live_self_calibrated_threshold_and_latency(run12: Rendered, offline: Any) -> None:
    fs = run12.model.profile.devices.emg_rate_hz
    notches = offline.parameters["emg_streams"][next(iter(offline.parameters["emg_streams"]))][
        "notch_hz"]
    got, chans = _run_live(run12, dict.fromkeys(CHANNELS), notches, seed=4)
    for n in CHANNELS:
        ref_thr = offline.emg_cycles[n]["threshold"]
        assert chans[n].threshold == pytest.approx(ref_thr, rel=0.15)
        err_samples = _compare(got[n], offline.emg_cycles[n], fs)
        assert np.mean(err_samples <= 1.0 + 1e-6) >= 0.9, n
        # once calibrated, a cycle is decided when its burst has ended and the envelope is
        # trusted past the closing interval: burst offset + closing (max(bridge, 2 edge
        # shifts)) + envelope margin, plus the chunk in hand (see gaitlab/analysis/live/emg.py)
        ic = np.array([c.ic for c in got[n]])
        off = np.array([c.offset_s for c in got[n]])
        lat = np.array([c.emitted_at for c in got[n]]) - ic
        p, lp = chans[n].p, chans[n].lp
        closing = max(p.bridge_ms, 2 * p.edge_max_ms) / 1000
        calibrated_at = ic[0] - 1.0 + lp.calibrate_s + lp.margin_s
        late = (ic > calibrated_at) & np.isfinite(off)
        assert late.sum() >= 3
        assert np.all(lat[late] <= off[late] + closing + lp.margin_s + 400 / fs + 0.05), n


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
