"""The session model: realised events against the profile, determinism, truth."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
import pytest

from gaitlab.drivers.virtual.model import build_session, resolve_duration
from gaitlab.drivers.virtual.truth import truth_dict, write_truth


@pytest.fixture(scope="module")
def long_run(profile, run_only):
    return build_session(profile, run_only, seed=11, run_duration_s=600)


def test_contacts_alternate_and_fit_the_run(long_run) -> None:
    c = long_run.contacts
    assert len(c) > 1000
    assert np.all(c.side[1:] != c.side[:-1])
    assert np.all(np.diff(c.t_ic) > 0) and np.all(c.t_to > c.t_ic)
    assert c.t_ic[0] >= long_run.run_start and c.t_to[-1] <= long_run.run_end


def test_timing_matches_profile(profile, long_run) -> None:
    c = long_run.contacts
    step = np.diff(c.t_ic)
    assert 60 / step.mean() == pytest.approx(profile.run.cadence_spm, rel=0.005)
    assert step.std(ddof=1) / step.mean() * 100 == pytest.approx(profile.run.cadence_sd_pct,
                                                                 rel=0.15)
    tc_ms = (c.t_to - c.t_ic) * 1000
    assert tc_ms.mean() == pytest.approx(profile.run.contact_time_ms, rel=0.01)


def test_realised_step_widths_have_profile_stats(profile, long_run) -> None:
    c = long_run.contacts
    second_is_right = np.where(c.side[1:] == "R", 1.0, -1.0)
    widths_cm = (c.x[1:] - c.x[:-1]) * second_is_right * 100
    assert widths_cm.mean() == pytest.approx(profile.run.step_width_mean_cm, abs=0.2)
    assert widths_cm.std(ddof=1) == pytest.approx(profile.run.step_width_sd_cm, rel=0.1)
    # feet stay on the belt and the runner wanders around its centre
    assert np.all((c.x > 0.05) & (c.x < long_run.belt_width_m - 0.05))
    assert abs(c.x.mean() - long_run.belt_width_m / 2) < 0.02


def test_bursts_follow_profile_timing(profile, long_run) -> None:
    c = long_run.contacts
    for name, m in profile.emg.muscles.items():
        b = long_run.bursts[name]
        assert np.all(c.side[b.contact] == name[-1])
        onset_ms = (b.onset - c.t_ic[b.contact]) * 1000
        assert onset_ms.mean() == pytest.approx(m.onset_ms, abs=2.0)
        assert onset_ms.std(ddof=1) == pytest.approx(profile.emg.onset_jitter_ms, rel=0.15)
        assert np.all(b.offset > b.onset)


def test_strength_trials_and_markers(profile, assessment) -> None:
    m = build_session(profile, assessment, seed=5)
    tr = m.trials
    assert list(tr.side) == assessment.strength.sides()
    assert np.all(tr.t_hold - tr.t_rise == pytest.approx(assessment.strength.ramp_s))
    texts = [t for _, t in m.markers]
    assert texts.count("trial_start hip_abduction L") == 3
    assert texts.count("trial_end hip_abduction R") == 3
    times = [t for t, _ in m.markers]
    assert times == sorted(times)
    starts = [t for t, s in m.markers if s.startswith("trial_start")]
    assert np.all(np.array(starts) < tr.t_rise) and np.all(tr.t_rise - np.array(starts) < 0.5)
    run_start = next(t for t, s in m.markers if s == "block_start treadmill_run")
    assert run_start == pytest.approx(assessment.pre_run_s)
    assert m.contacts.t_ic[0] > run_start


def test_deterministic_and_seed_dependent(profile, assessment) -> None:
    a = build_session(profile, assessment, seed=3)
    b = build_session(profile, assessment, seed=3)
    c = build_session(profile, assessment, seed=4)
    assert np.array_equal(a.contacts.x, b.contacts.x)
    assert np.array_equal(a.trials.peak_N, b.trials.peak_N)
    assert not np.array_equal(a.trials.peak_N, c.trials.peak_N)


def test_duration_option_sets_run_or_truncates(profile, assessment) -> None:
    run_s, max_s = resolve_duration(assessment, 60)
    assert (run_s, max_s) == (60.0, None)
    m = build_session(profile, assessment, 1, run_s, max_s)
    assert m.duration_s == pytest.approx(assessment.pre_run_s + 60)
    run_s, max_s = resolve_duration(assessment, 12)
    assert (run_s, max_s) == (None, 12.0)
    cut = build_session(profile, assessment, 1, run_s, max_s)
    assert cut.duration_s == 12.0 and len(cut.contacts) == 0
    assert 0 < len(cut.trials) < 6 and np.all(cut.trials.t_end < 12)
    assert all(t < 12 for t, _ in cut.markers)
    # every trial_start kept has its trial_end
    texts = [s for _, s in cut.markers]
    assert sum(s.startswith("trial_start") for s in texts) == len(cut.trials)
    assert sum(s.startswith("trial_end") for s in texts) == len(cut.trials)


def test_truth_metrics_from_realised_events(profile, assessment, tmp_path) -> None:
    model = build_session(profile, assessment, seed=9)
    t0 = 1234.5
    path = tmp_path / "truth.json"
    write_truth(model, path, t0)
    truth = json.loads(path.read_text())
    assert truth["schema"] == "gaitlab.truth/1"
    met = truth["metrics"]
    assert met["schema"] == "gaitlab.metrics/2"
    assert set(met) == {"schema", "gait", "emg", "strength", "pelvis"}
    g = met["gait"]
    contacts = truth["contacts"]
    assert g["n_steps"] == len(contacts)
    ics = [c["ic"] for c in contacts]
    assert g["cadence_spm"] == pytest.approx(60 * (len(ics) - 1) / (ics[-1] - ics[0]))
    assert ics[0] == pytest.approx(t0 + model.contacts.t_ic[0])
    widths = [
        (b["x"] - a["x"]) * (1 if b["side"] == "R" else -1) * 100
        for a, b in itertools.pairwise(contacts)
    ]
    assert g["step_width_cm"]["mean"] == pytest.approx(np.mean(widths))
    assert g["crossover_pct"] == pytest.approx(100 * np.mean(np.array(widths) <= 0))
    assert g["step_width_index_pct"] == pytest.approx(np.mean(widths) / 88.0 * 100)
    hip = met["strength"]["hip_abduction"]
    for side in "LR":
        trials = [t["peak_N"] for t in truth["trials"] if t["side"] == side]
        assert hip[side]["trials_N"] == pytest.approx(trials)
        assert hip[side]["peak_force_N"] == max(trials)
        assert hip[side]["torque_Nm_per_kg"] == pytest.approx(max(trials) * 0.42 / 62.0)
        assert hip[side]["cv_pct"] == pytest.approx(np.std(trials, ddof=1) / np.mean(trials) * 100)
    # involved side R
    assert hip["lsi_pct"] == pytest.approx(hip["R"]["peak_force_N"] / hip["L"]["peak_force_N"] * 100)
    e = met["emg"]["GMED_R"]
    assert set(e) == {"onset_ms", "offset_ms", "n_cycles", "peak_pct_mvc"}
    assert e["n_cycles"] == sum(c["side"] == "R" for c in contacts)
    bursts = truth["bursts"]["GMED_R"]
    onsets = [(b["onset"] - contacts[b["contact"]]["ic"]) * 1000 for b in bursts]
    assert e["onset_ms"]["mean"] == pytest.approx(np.mean(onsets), abs=1e-6)


def test_lsi_without_involved_side_is_weaker_over_stronger(profile, assessment) -> None:
    p = replace(profile, athlete=replace(profile.athlete, involved_side=""))
    hip = truth_dict(build_session(p, assessment, seed=2))["metrics"]["strength"]["hip_abduction"]
    peaks = [hip[s]["peak_force_N"] for s in "LR"]
    assert hip["lsi_pct"] == pytest.approx(min(peaks) / max(peaks) * 100)
    assert hip["lsi_pct"] <= 100


def test_run_only_truth_has_null_strength(profile, run_only) -> None:
    met = truth_dict(build_session(profile, run_only, seed=2, run_duration_s=5))["metrics"]
    assert met["strength"]["hip_abduction"] == {"L": None, "R": None, "lsi_pct": None}
    assert met["gait"]["n_steps"] > 5
