"""The guided strength test's state machine, driven by the force samples' time stamps."""

from __future__ import annotations

import numpy as np

from gaitlab.live.strength import StrengthTest

FS = 100.0


def _force(t: np.ndarray, level: float, t_on: float, t_off: float) -> np.ndarray:
    """A make test: ``level`` inside [t_on, t_off], plus spikes just outside the window."""
    f = np.where((t >= t_on) & (t <= t_off), level, 5.0)
    f[np.isclose(t, t_on - 0.01)] = 10 * level  # before the window opens: not counted
    f[np.isclose(t, t_off + 0.01)] = 10 * level  # after it closes: not counted
    return f


def _run_trial(st: StrengthTest, t_start: float, level: float, chunk: int = 7,
               start: bool = True) -> list[tuple[float, str]]:
    """Feed 100 Hz samples in uneven chunks from ``t_start`` (where the countdown starts)
    until the trial has ended."""
    if start:
        st.start(t_start)
    t_on, t_off = t_start + st.countdown_s, t_start + st.countdown_s + st.contraction_s
    t = t_start + np.arange(1, int((st.countdown_s + st.contraction_s + 0.5) * FS)) / FS
    f = _force(t, level, t_on, t_off)
    marks = []
    for i in range(0, t.size, chunk):
        marks += st.feed(t[i:i + chunk], f[i:i + chunk])
    return marks


def test_windows_and_markers_follow_the_sample_stamps() -> None:
    st = StrengthTest(side="R", countdown_s=1.0, contraction_s=2.0)
    marks = _run_trial(st, 100.0, 120.0)
    # markers carry the window bounds in sample time, whatever the chunking or the app's timer
    assert [m for _, m in marks] == ["trial_start hip_abduction R", "trial_end hip_abduction R"]
    assert np.allclose([s for s, _ in marks], [101.0, 103.0])
    assert st.peaks == [120.0]  # the spikes 10 ms outside the window are not in the peak
    assert st.state == "idle" and st.trial == 2 and st.remaining_s() == 0.0


def test_three_trials_cv_and_retry_voids_the_redone_trial() -> None:
    st = StrengthTest(side="L", countdown_s=1.0, contraction_s=2.0)
    t = 0.0
    for level in (100.0, 110.0, 90.0):
        _run_trial(st, t, level)
        t += 5.0
    assert st.peaks == [100.0, 110.0, 90.0] and st.state == "done"
    assert abs(st.cv_pct - 100 * np.std([100, 110, 90], ddof=1) / 100) < 1e-9
    # retry after the last trial: its peak is dropped and a void marker written
    assert st.retry(t) == [(t, "trial_void hip_abduction L")]
    assert st.peaks == [100.0, 110.0] and st.state == "countdown" and st.trial == 3
    assert np.isnan(st.live_peak())
    # retry during the countdown: nothing was written yet, nothing to void
    assert st.retry(t + 0.5) == [] and st.state == "countdown"
    # retry during the contraction: its trial_start is out, so the open trial is voided
    st.feed(np.array([t + 1.6, t + 1.7]), np.array([80.0, 85.0]))
    assert st.state == "contraction" and st.live_peak() == 85.0
    assert st.retry(t + 1.8) == [(t + 1.8, "trial_void hip_abduction L")]
    assert st.peaks == [100.0, 110.0] and st.state == "countdown" and np.isnan(st.live_peak())
    _run_trial(st, t + 1.8, 95.0, start=False)
    assert st.peaks == [100.0, 110.0, 95.0] and st.state == "done"
    st.start(t + 10)  # all trials done: nothing starts
    assert st.state == "done"
    assert st.fresh("R").peaks == [] and st.fresh("R").countdown_s == 1.0
