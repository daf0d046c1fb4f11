"""Guided strength test as a Qt-free state machine: side, trial n of N, countdown, live peak,
per-trial peaks and CV, retry. The app ticks it with the clock and the dynamometer view and
writes the markers it returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class StrengthTest:
    test: str = "hip_abduction"
    side: str = "L"
    trials: int = 3
    countdown_s: float = 3.0
    contraction_s: float = 5.0
    peaks: list[float] = field(default_factory=list)
    state: str = "idle"  # idle | countdown | contraction | done
    _t_state: float = 0.0
    _peak: float = float("nan")

    @property
    def trial(self) -> int:
        """Current trial number (1-based)."""
        return min(len(self.peaks) + 1, self.trials)

    @property
    def cv_pct(self) -> float:
        p = np.asarray(self.peaks, np.float64)
        return float(100 * p.std(ddof=1) / p.mean()) if p.size >= 2 and p.mean() > 0 else float("nan")

    def start(self, now: float) -> None:
        if len(self.peaks) < self.trials:
            self.state, self._t_state, self._peak = "countdown", now, float("nan")

    def retry(self, now: float) -> None:
        """Drop the last trial's peak and run it again."""
        if self.peaks and self.state in ("idle", "done"):
            self.peaks.pop()
        self.start(now)

    def remaining_s(self, now: float) -> float:
        span = self.countdown_s if self.state == "countdown" else self.contraction_s
        return max(0.0, span - (now - self._t_state)) if self.state in ("countdown",
                                                                          "contraction") else 0.0

    def live_peak(self) -> float:
        return self._peak

    def tick(self, now: float, force: np.ndarray) -> list[str]:
        """Advance with the force samples received since the last tick; returns the
        markers to write now (``trial_start <test> <side>`` / ``trial_end …``)."""
        out: list[str] = []
        if self.state == "countdown" and now - self._t_state >= self.countdown_s:
            self.state, self._t_state, self._peak = "contraction", now, float("nan")
            out.append(f"trial_start {self.test} {self.side}")
        if self.state == "contraction":
            f = np.asarray(force, np.float64)
            f = f[np.isfinite(f)]
            if f.size:
                self._peak = float(max(f.max(), self._peak)) if np.isfinite(self._peak) else float(f.max())
            if now - self._t_state >= self.contraction_s:
                out.append(f"trial_end {self.test} {self.side}")
                self.peaks.append(self._peak)
                self.state = "done" if len(self.peaks) >= self.trials else "idle"
        return out
