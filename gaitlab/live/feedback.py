"""Biofeedback decisions, Qt-free: the targets the clinician sets and, for the newest steps,
whether each one is on target. The athlete window and the console only draw what
:func:`feedback_state` returns.

* step width: a **crossover** step when the width is ≤ 0 cm (the feet cross the midline),
  **in band** within [width_lo_cm, width_hi_cm], else **out of band**;
* cadence: on target within ±``CADENCE_TOLERANCE_SPM`` of the target;
* GMED onset (ms relative to the same side's initial contact, negative = before it): on
  target at or before ``gmed_onset_ms``; per step and per side;
* pelvic drop (degrees, per stance, the peak lowering of the swing side relative to the
  standing posture: :mod:`gaitlab.analysis.pelvis.stance`; L/R = the stance side): on target
  at or below ``pelvic_drop_max_deg``. The default 5° is a starting value for the clinician
  to set per athlete, not a norm: Bramah et al. 2018 (Am J Sports Med 46:3023) found more
  contralateral pelvic drop in injured runners than in controls, without a cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from gaitlab.live.monitor import GaitView
from gaitlab.live.pelvis import PelvisView

CADENCE_TOLERANCE_SPM = 3.0
N_STEPS = 20  # steps shown in the strips
SIDES = ("L", "R")

WidthStatus = Literal["crossover", "in_band", "out_band"]


@dataclass
class Targets:
    width_lo_cm: float = 5.0
    width_hi_cm: float = 12.0
    cadence_spm: float = 172.0
    gmed_onset_ms: float = -80.0  # onset at or before this (ms relative to IC)
    pelvic_drop_max_deg: float = 5.0  # per-stance drop at or below this (degrees)
    metronome: bool = False


def width_status(w_cm: float, t: Targets) -> WidthStatus:
    """Crossover (≤ 0 cm), in the target band, or outside it."""
    if w_cm <= 0:
        return "crossover"
    return "in_band" if t.width_lo_cm <= w_cm <= t.width_hi_cm else "out_band"


def cadence_on_target(spm: float, t: Targets) -> bool | None:
    """Within ±CADENCE_TOLERANCE_SPM of the target; None before there is a cadence."""
    return None if not np.isfinite(spm) else bool(abs(spm - t.cadence_spm) <= CADENCE_TOLERANCE_SPM)


def gmed_on_target(onset_ms: float, t: Targets) -> bool | None:
    """Onset at or before the target; None for a step without an onset."""
    return None if not np.isfinite(onset_ms) else bool(onset_ms <= t.gmed_onset_ms)


def drop_on_target(drop_deg: float, t: Targets) -> bool | None:
    """Drop at or below the target; None for a stance left out."""
    return None if not np.isfinite(drop_deg) else bool(drop_deg <= t.pelvic_drop_max_deg)


@dataclass
class SideSeries:
    """One value per step of one side's newest steps (oldest first): the GMED onset (ms) or
    the pelvic drop (°); NaN for a step left out (a rejected burst, missing IMU samples)."""

    values: np.ndarray
    on_target: list[bool | None]

    @property
    def last(self) -> float:
        ok = self.values[np.isfinite(self.values)]
        return float(ok[-1]) if ok.size else float("nan")

    @property
    def last_on_target(self) -> bool | None:
        return next((v for v in reversed(self.on_target) if v is not None), None)


@dataclass
class FeedbackState:
    widths_cm: np.ndarray  # step width of the newest steps, oldest first
    width_status: list[WidthStatus]
    cadence_spm: float
    cadence_on_target: bool | None
    gmed: dict[str, SideSeries] = field(default_factory=dict)  # "L"/"R": onset (ms)
    pelvic_drop: dict[str, SideSeries] = field(default_factory=dict)  # stance side: drop (°)
    pelvis_status: str = ""  # the live pelvis tracker's state ("" without a sacral IMU)

    @property
    def last_width_cm(self) -> float:
        return float(self.widths_cm[-1]) if self.widths_cm.size else float("nan")

    @property
    def last_width_status(self) -> WidthStatus | None:
        return self.width_status[-1] if self.width_status else None


def feedback_state(g: GaitView, t: Targets, n: int = N_STEPS, pelvis: PelvisView | None = None
                   ) -> FeedbackState:
    """The newest ``n`` steps' width, each side's newest ``n`` GMED onsets and (with a sacral
    IMU) pelvic drops, judged against the targets."""
    w = np.array([s.step_width_m * 100 for s in g.steps if np.isfinite(s.step_width_m)][-n:],
                 np.float64)
    gmed = {}
    for side in SIDES:
        cycles = sorted(g.gmed.get(side, []), key=lambda c: c.ic)[-n:]
        on = np.array([1000 * c.onset_s if not c.reason else np.nan for c in cycles], np.float64)
        gmed[side] = SideSeries(on, [gmed_on_target(v, t) for v in on])
    drops = {}
    if pelvis is not None:
        for side in SIDES:
            d = np.array([r.drop_deg for r in sorted(pelvis.drops.get(side, []), key=lambda r: r.ic)][-n:],
                         np.float64)
            drops[side] = SideSeries(d, [drop_on_target(v, t) for v in d])
    return FeedbackState(w, [width_status(float(v), t) for v in w], g.cadence_spm,
                         cadence_on_target(g.cadence_spm, t), gmed, drops,
                         pelvis.status if pelvis is not None else "")
