"""LabMonitor against the virtual athlete streaming over real LSL on loopback."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gaitlab.analysis.online import LiveEmgParams
from gaitlab.errors import GaitlabError
from tests.live.conftest import monitor_for, wait_for

pytestmark = pytest.mark.lsl


def test_monitor_tracks_health_gait_and_gmed_onsets_of_the_lab(sim, profile) -> None:
    h = sim("run", run_duration_s=11.0, lead_s=1.0, linger_s=3.0)
    with monitor_for(h, live_emg=LiveEmgParams(calibrate_s=4.0)) as m:
        assert wait_for(lambda: len(m.keys()) == 5, 10)
        assert wait_for(lambda: len(m.gait_view().gmed["R"]) >= 4, 25)
        assert wait_for(lambda: min(x.samples for x in m.health() if x.role == "emg") > 12000, 10)
        health = {x.role: x for x in m.health()}
        assert wait_for(lambda: m.pressure_view().frame.max() > 10, 5)  # not in a flight phase
        ev, pv, fv, g = m.emg_view(5.0), m.pressure_view(), m.force_view(), m.gait_view()
        lat = m.arrival_latency(ev.key)
    assert set(health) == {"emg", "pressure", "dynamometer", "markers", "imu"}
    for role in ("emg", "pressure", "dynamometer"):
        hs = health[role]
        assert hs.status == "ok", hs
        assert hs.measured_srate == pytest.approx(hs.nominal_srate, rel=0.02)
        assert hs.gaps == 0 and hs.dropped == 0
        assert abs(hs.clock_offset_s) < 0.01  # same machine: offsets are tiny, but measured
    # EMG view: every sample of the window, in volts, labelled by muscle; envelope aligned
    assert ev.labels == list(profile.emg.muscles)
    assert ev.raw.shape[0] == pytest.approx(5.0 * 2000, abs=2)
    np.testing.assert_allclose(np.diff(ev.t), 1 / 2000, atol=1e-6)  # contiguous
    assert 1e-6 < np.sqrt(np.mean(ev.raw**2)) < 1e-3
    assert ev.env.shape[1] == 6 and ev.env_t.size > 0 and ev.env.max() > 0
    # pressure: a frame with feet on it, and a gait line of COP points within the belt
    assert pv.frame.shape == (128, 42) and pv.frame.max() > 10
    ok = np.isfinite(pv.cop_x)
    assert ok.sum() > 100
    assert np.all((pv.cop_x[ok] > 0) & (pv.cop_x[ok] < 42 * pv.geometry.col_pitch_m))
    assert fv is not None and fv.t.size > 0
    # gait: steps alternate sides once confirmed; cadence is the athlete's rhythm
    done = [s for s in g.steps if not s.provisional and s.side in (0, 1)]
    assert len(done) >= 8
    assert all(a.side != b.side for a, b in itertools.pairwise(done) if b.index == a.index + 1)
    assert g.cadence_spm == pytest.approx(profile.run.cadence_spm, rel=0.05)
    widths = np.array([s.step_width_m for s in done if np.isfinite(s.step_width_m)])
    assert widths.size >= 6 and np.all(np.abs(widths) < 0.15)
    # GMED onsets per step, relative to the same side's contact, before/around the IC
    onsets = np.array([c.onset_s for c in g.gmed["R"] if not c.reason])
    assert onsets.size >= 3 and np.all((onsets > -0.3) & (onsets < 0.15))
    # the data reach the monitor quickly (stamp to pull)
    assert np.median(lat) < 0.03


def test_vanished_stream_turns_lost_and_recovers_with_the_same_source_id(sim, profile) -> None:
    h1 = sim("run", devices="dynamometer", run_duration_s=30.0, lead_s=0.3)
    with monitor_for(h1) as m:
        assert wait_for(lambda: [x.status for x in m.health()] == ["ok"]
                        and m.health()[0].samples > 50, 10)
        key = m.keys()[0]
        n_before = m.health()[0].samples
        h1.stop()
        assert wait_for(lambda: m.health()[0].status == "lost", 10)
        h2 = sim("run", instance=h1.instance, devices="dynamometer", run_duration_s=30.0,
                 lead_s=0.3)
        assert h2.source_ids == h1.source_ids
        assert wait_for(lambda: m.health()[0].status == "ok"
                        and m.health()[0].samples > n_before + 100, 15)
        hs = m.health()[0]
        assert m.keys() == [key] and hs.reconnects == 1


def test_role_override_and_montage_and_bad_requests(sim) -> None:
    # LSL inlets get only what is pushed after they connect: a 2.5 s lead lets the monitor
    # connect before the first sample, even on a loaded machine, so all 600 arrive
    h = sim("demo", devices="emg,dynamometer", max_duration_s=6.0, lead_s=2.5, linger_s=3.0)
    with monitor_for(h) as m:
        assert wait_for(lambda: len(m.keys()) == 2, 10)
        emg = m.keys("emg")[0]
        dyn = m.keys("dynamometer")[0]
        labels = m.emg_labels(emg)
        # swapped electrodes corrected: both names move; a name on two channels is refused
        assert m.set_montage(emg, {"GMED_L": "tfl_r", "TFL_R": "GMED_L"}) == {"GMED_L": "TFL_R",
                                                                              "TFL_R": "GMED_L"}
        assert m.emg_labels(emg)[0] == "TFL_R" and m.emg_labels(emg)[labels.index("TFL_R")] == "GMED_L"
        with pytest.raises(GaitlabError, match="two channels"):
            m.set_montage(emg, {"GMED_L": "TFL_R"})
        with pytest.raises(GaitlabError, match="not an EMG stream"):
            m.set_montage(dyn, {"force": "GMED_L"})
        # the whole 6 s make test has streamed: the live peak is the largest force received
        assert wait_for(lambda: (v := m.force_view()) is not None and v.force.size > 0, 10)
        assert wait_for(lambda: m.health()[1 - m.keys().index(emg)].status == "stale", 15)
        view = m.force_view()
        assert view.force.size == pytest.approx(6.0 * 100, abs=1)
        assert view.peak == pytest.approx(float(view.force.max()), rel=1e-6)
        assert view.peak > 50
        m.reset_peak()
        assert np.isnan(m.force_view().peak)
        m.set_role(dyn, "other")
        assert m.keys("dynamometer") == [] and m.force_view() is None
        with pytest.raises(GaitlabError, match="unknown role"):
            m.set_role(dyn, "banana")
        with pytest.raises(GaitlabError, match="no stream"):
            m.emg_view(key="nope")
