import numpy as np
from analysis_synth import make_test_force

from gaitlab.analysis import strength as S
from gaitlab.analysis.params import StrengthParams

FS = 100.0


def test_trial_peaks_reject_spikes_and_nans() -> None:
    rng = np.random.default_rng(0)
    trials = [(1.0, 5.0, 180.0), (7.0, 11.0, 170.0), (13.0, 17.0, 175.0)]
    f = make_test_force(FS, 19, trials, rng, noise_N=1.0)
    t = np.arange(f.size) / FS
    f[300] = 900.0  # single-sample spike inside trial 1
    f[800:803] = np.nan
    sm = S.smooth(f, FS, 50)
    pk = S.trial_peaks(t, sm, [S.Trial("hip_abduction", "L", a, b) for a, b, _ in trials])
    np.testing.assert_allclose(pk, [p for *_, p in trials], atol=2.5)


def test_markers_pairing_and_problems() -> None:
    t = np.array([1, 2, 3, 4, 5, 6, 7.0])
    lab = np.array(["trial_start hip_abduction L", "trial_end hip_abduction L",
                    "trial_start hip_abduction R", "IC L", "trial_end hip_abduction R",
                    "trial_end hip_abduction L", "trial_start hip_abduction L"])
    trials, problems = S.trials_from_markers(t, lab)
    assert [(tr.side, tr.t0, tr.t1) for tr in trials] == [("L", 1, 2), ("R", 3, 5)]
    assert len(problems) == 2


def test_trial_void_drops_the_retried_trial() -> None:
    # the desktop app's Retry writes "trial_void <test> <side>": the last completed trial of
    # that test and side (or the open one) does not count; other sides are untouched
    t = np.arange(1.0, 12.0)
    lab = np.array(["trial_start hip_abduction L", "trial_end hip_abduction L",   # 1-2 kept
                    "trial_start hip_abduction R", "trial_end hip_abduction R",   # 3-4 kept
                    "trial_start hip_abduction L", "trial_end hip_abduction L",   # 5-6 voided
                    "trial_void hip_abduction L",
                    "trial_start hip_abduction L", "trial_void hip_abduction L",  # open: voided
                    "trial_void hip_abduction L",                                # 1-2 voided too
                    "trial_void mvc R"])                                         # nothing to void
    trials, problems = S.trials_from_markers(t, lab)
    assert [(tr.side, tr.t0, tr.t1) for tr in trials] == [("R", 3, 4)]
    assert problems == ["trial_void mvc R at 11.0 s has no trial to void"]


def test_segment_trials_without_markers() -> None:
    rng = np.random.default_rng(1)
    f = make_test_force(FS, 20, [(1, 5, 150), (8, 12, 160), (14, 18, 155)], rng)
    tr = S.segment_trials(np.arange(f.size) / FS, f, FS, StrengthParams())
    assert len(tr) == 3 and all(t.side == "" for t in tr)


def test_side_metrics_and_lsi() -> None:
    m = S.side_metrics(np.array([170.0, 180.0, 175.0]), 0.42, 62.0)
    assert m["peak_force_N"] == 180.0
    assert abs(m["torque_Nm_per_kg"] - 180 * 0.42 / 62) < 1e-4
    assert abs(m["cv_pct"] - np.std([170, 180, 175], ddof=1) / 175 * 100) < 0.01
    assert S.side_metrics(np.array([np.nan]), 0.42, 62)["peak_force_N"] is None
    v, how = S.lsi(180.0, 144.0, "R")
    assert v == 80.0 and "involved" in how
    v, how = S.lsi(144.0, 180.0, "")
    assert v == 80.0 and "weaker" in how


def test_plateau_and_rfd_on_a_known_ramp() -> None:
    # linear rise at a known rate, a flat hold, then release: plateau = hold level and
    # RFD over 0–200 ms = the rise rate (smoothing does not bias a linear ramp)
    fs, rate, hold = 1000.0, 400.0, 160.0
    t = np.arange(int(6 * fs)) / fs
    f = np.clip((t - 1.0) * rate, 0, hold)
    f = np.where(t > 4.5, np.maximum(hold - (t - 4.5) * rate, 0), f)
    p = StrengthParams()
    sm = S.smooth(f, fs, p.smooth_ms)
    tr = [S.Trial("hip_abduction", "L", 0.5, 5.5)]
    means, start = S.plateau_windows(t, sm, fs, tr, 1.0)
    assert abs(means[0] - hold) < 0.5 and 1.4 <= start[0] <= 3.5
    on, rfd = S.trial_rfd(t, sm, tr, p)
    thr = max(p.onset_abs_N, p.onset_frac_peak * hold)
    assert abs(on[0] - (1.0 + thr / rate)) < 0.005
    assert abs(rfd[0] - rate) / rate < 0.01


def test_side_extras_fredericson_unit() -> None:
    pk, pl, rfd = np.array([150.0, 160.0]), np.array([148.0, 158.0]), np.array([500.0, 550.0])
    lever, mass, height = 0.42, 62.0, 1.68
    e = S.side_extras(pk, pl, rfd, lever, mass, height)
    torque = 160.0 * lever
    assert e["torque_Nm"] == round(torque, 3)
    assert e["torque_pct_bw_height"] == round(torque / (mass * 9.80665 * height) * 100, 3)
    assert e["plateau_best_N"] == 158.0 and e["rfd_best_N_per_s"] == 550.0
    none = S.side_extras(np.array([np.nan]), np.array([np.nan]), np.array([np.nan]), None, None,
                         None)
    assert none["peak_force_N"] is None and none["torque_pct_bw_height"] is None


def test_sides_from_order() -> None:
    trials = [S.Trial("hip_abduction", "", float(i), float(i) + 1) for i in range(6)]
    got, why = S.sides_from_order(trials, "lrlrlr")
    assert [t.side for t in got] == list("LRLRLR") and why == ""
    assert [t.side for t in S.sides_from_order(trials, "R")[0]] == ["R"] * 6
    for order, fragment in (("", "unknown"), ("LRL", "3 trials"), ("LXLRLR", "L and R")):
        got, why = S.sides_from_order(trials, order)
        assert got == [] and fragment in why
