"""Guided strength test as a Qt-free state machine: side, trial n of N, countdown, live peak,
per-trial peaks and CV, retry.

Time is the force samples' own LSL time stamps (local clock, clock offset applied), not the
app's timer: the app feeds the dynamometer samples as they arrive (:meth:`StrengthTest.feed`)
and writes the markers it returns with the stamps it returns. A trial's window is
[start + countdown, start + countdown + contraction] in sample time, and its
``trial_start``/``trial_end`` markers carry exactly those bounds, so the live peak is taken over
the same samples as the offline analysis of the recorded file. Retry writes
``trial_void <test> <side>`` (docs/streams.md), which the analysis honours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Marker = tuple[float, str]  # (LSL stamp, text)


@dataclass
class StrengthTest:
    test: str = "hip_abduction"
    side: str = "L"
    trials: int = 3
    countdown_s: float = 3.0
    contraction_s: float = 5.0
    peaks: list[float] = field(default_factory=list)
    state: str = "idle"  # idle | countdown | contraction | done
    _t_state: float = 0.0  # sample time the current state began
    _now: float = float("nan")  # stamp of the newest force sample fed
    _peak: float = float("nan")

    def fresh(self, side: str) -> StrengthTest:
        """A new set of trials with this test's settings, for ``side``."""
        return StrengthTest(self.test, side, self.trials, self.countdown_s, self.contraction_s)

    @property
    def trial(self) -> int:
        """Current trial number (1-based)."""
        return min(len(self.peaks) + 1, self.trials)

    @property
    def running(self) -> bool:
        return self.state in ("countdown", "contraction")

    @property
    def cv_pct(self) -> float:
        p = np.asarray(self.peaks, np.float64)
        return float(100 * p.std(ddof=1) / p.mean()) if p.size >= 2 and p.mean() > 0 else float("nan")

    def start(self, t: float) -> None:
        """Start the next trial's countdown at sample time ``t`` (the newest force stamp)."""
        if len(self.peaks) < self.trials and not self.running:
            self.state, self._t_state, self._peak = "countdown", t, float("nan")
            self._now = t if not np.isfinite(self._now) else max(self._now, t)

    def retry(self, t: float) -> list[Marker]:
        """Void the running trial, or else the last completed one, and run it again from ``t``.
        Returns the ``trial_void`` marker to write (none when only a countdown was running)."""
        void = [(t, f"trial_void {self.test} {self.side}")]
        out: list[Marker] = []
        if self.state == "contraction":  # its trial_start is written: cancel the open trial
            out = void
        elif not self.running and self.peaks:
            self.peaks.pop()
            out = void
        self.state, self._peak = "idle", float("nan")
        self.start(t)
        return out

    def remaining_s(self) -> float:
        """Seconds left in the countdown or contraction, in sample time."""
        if not self.running or not np.isfinite(self._now):
            return 0.0
        span = self.countdown_s if self.state == "countdown" else self.contraction_s
        return max(0.0, span - (self._now - self._t_state))

    def live_peak(self) -> float:
        return self._peak

    def feed(self, t: np.ndarray, force: np.ndarray) -> list[Marker]:
        """Advance with the force samples (N) received since the last call and their stamps
        (s, increasing). Returns the markers to write: ``(stamp, "trial_start <test> <side>")``
        when the countdown ends, ``(stamp, "trial_end …")`` when the contraction window does."""
        t = np.asarray(t, np.float64)
        f = np.asarray(force, np.float64)
        out: list[Marker] = []
        if t.size:
            self._now = float(t[-1]) if not np.isfinite(self._now) else max(self._now, float(t[-1]))
        if self.state == "countdown" and self._now >= self._t_state + self.countdown_s:
            self.state, self._peak = "contraction", float("nan")
            self._t_state += self.countdown_s
            out.append((self._t_state, f"trial_start {self.test} {self.side}"))
        if self.state == "contraction":
            t1 = self._t_state + self.contraction_s
            sel = f[(t >= self._t_state) & (t <= t1) & np.isfinite(f)]
            if sel.size:
                top = float(sel.max())
                self._peak = max(top, self._peak) if np.isfinite(self._peak) else top
            if self._now >= t1:  # samples are in time order: the window is complete
                out.append((t1, f"trial_end {self.test} {self.side}"))
                self.peaks.append(self._peak)
                self.state = "done" if len(self.peaks) >= self.trials else "idle"
        return out
