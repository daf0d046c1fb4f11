"""The guided strength test's state machine."""

from __future__ import annotations

import numpy as np

from gaitlab.live.strength import StrengthTest


def _run_trial(st: StrengthTest, t: float, level: float) -> tuple[float, list[str]]:
    st.start(t)
    marks: list[str] = []
    for _ in range(100):  # 10 s in 0.1 s ticks: countdown then contraction
        t += 0.1
        marks += st.tick(t, np.array([level * 0.5, level, np.nan]))
    return t, marks


def test_three_trials_with_markers_peaks_cv_and_retry() -> None:
    st = StrengthTest(side="R", countdown_s=1.0, contraction_s=2.0)
    t = 0.0
    all_marks = []
    for level in (100.0, 110.0, 90.0):
        t, marks = _run_trial(st, t, level)
        all_marks += marks
    assert all_marks == ["trial_start hip_abduction R", "trial_end hip_abduction R"] * 3
    assert st.peaks == [100.0, 110.0, 90.0] and st.state == "done"
    assert abs(st.cv_pct - 100 * np.std([100, 110, 90], ddof=1) / 100) < 1e-9
    st.retry(t)  # redo the last trial
    assert st.peaks == [100.0, 110.0] and st.state == "countdown" and st.trial == 3
    t, marks = _run_trial(st, t, 95.0)
    assert st.peaks == [100.0, 110.0, 95.0]
    st.start(t)  # all trials done: nothing starts
    assert st.state == "done"
