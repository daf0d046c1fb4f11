"""Live pressure-gait tracker: frames in, chunk by chunk; per-step results out.

Contacts are segmented with the very function the offline reader uses
(:func:`gaitlab.analysis.pressure.block_step`) on a short growing block that starts two
frames before the first contact still loaded, so each contact's IC, TO, placement and
gait-line cue are bit-identical to the offline ones. A contact is complete at the first
frame after its last loaded frame: results come out one frame (plus the chunk in hand)
after toe-off, i.e. before the next contact's toe-off.

Bouts and sides follow :mod:`gaitlab.analysis.gait`: a running bout breaks at a step
interval above ``bout_gap_factor`` × the median of the recent accepted intervals (offline:
of all intervals) or at a non-running contact. The left/right parity of a bout is decided
by :func:`gaitlab.analysis.gait.assign_sides` on the bout so far and CONFIRMED once the bout
has ``min_bout_steps`` contacts and the cues are clear (gait-line score ≥ ``line_decisive``
or summed score ≥ ``confirm_level``), at the latest after ``confirm_max_steps`` contacts or
when the bout ends. Before that, steps are emitted with ``provisional=True`` and the current
best-guess side; when the parity is confirmed (or a guess flips) every step of the bout is
emitted again (``revised=True``). A bout that ends with fewer than ``min_bout_steps``
contacts is re-emitted with side UNKNOWN, as offline drops it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from gaitlab.analysis import gait as G
from gaitlab.analysis.params import PressureParams, SideParams
from gaitlab.analysis.pressure import BLOCK_MARGIN, Contacts, block_step
from gaitlab.errors import GaitlabError

SIDE_NAME = {G.LEFT: "L", G.RIGHT: "R", G.UNKNOWN: "?"}


@dataclass
class LiveGaitParams:
    max_block_s: float = 3.0  # a blob loaded longer than this is given up (stuck sensor, standing)
    first_step_max_s: float = 0.75  # first interval of a session (no median yet) must be shorter
    interval_history: int = 11  # accepted intervals in the running median of the bout test
    confirm_level: float = 0.5  # |position + gait-line score| that confirms a parity
    confirm_max_steps: int = 20  # confirm with the best guess after this many contacts


@dataclass
class StepResult:
    index: int  # contact number in the stream (0, 1, …)
    side: int  # gait.LEFT / RIGHT / UNKNOWN
    ic: float  # initial contact, stream time (s)
    to: float  # toe-off (s)
    contact_time_s: float
    x: float  # placement: pressure-weighted ML centroid (m, + toward the runner's right)
    medial_shift: float  # gait-line cue (m)
    step_time_s: float  # IC minus the previous contact's IC in the bout (NaN for the first)
    step_width_m: float  # x(right) - x(left) with the previous contact of the bout (NaN if none)
    cadence_spm: float  # running cadence of the bout up to this step (NaN for the first)
    bout: int  # running bout id (-1: not in a bout)
    provisional: bool  # side not yet confirmed
    revised: bool  # a re-emission of a step already reported
    emitted_at: float  # stream time of the newest frame when this result was produced

    @property
    def side_name(self) -> str:
        return SIDE_NAME[self.side]


@dataclass
class _Bout:
    bout_id: int
    idx: list[int] = field(default_factory=list)
    ic: list[float] = field(default_factory=list)
    to: list[float] = field(default_factory=list)
    x: list[float] = field(default_factory=list)
    shift: list[float] = field(default_factory=list)
    sides: np.ndarray = field(default_factory=lambda: np.empty(0, int))
    confirmed: bool = False


class LivePressureGait:
    """Feed ``(frames, times)`` chunks; get :class:`StepResult` lists back.

    ``frames``: (n, rows*cols) or (n, rows, cols) N/cm^2 in the stream's row-major layout;
    ``times``: (n,) stream seconds. Call :meth:`finish` at the end of the stream.
    """

    def __init__(self, rows: int, cols: int, row_pitch_m: float, col_pitch_m: float,
                 pressure: PressureParams | None = None, sides: SideParams | None = None,
                 live: LiveGaitParams | None = None) -> None:
        if rows <= 0 or cols <= 0 or row_pitch_m <= 0 or col_pitch_m <= 0:
            raise GaitlabError(f"live gait: bad pressure geometry {rows}x{cols}, pitch "
                               f"{row_pitch_m}x{col_pitch_m} m; check the stream's desc/geometry")
        self.rows, self.cols = rows, cols
        self.rp, self.cp = row_pitch_m, col_pitch_m
        self.pp = pressure or PressureParams()
        self.sp = sides or SideParams()
        self.lp = live or LiveGaitParams()
        self._frames = np.empty((0, rows, cols), np.float32)
        self._times = np.empty(0)
        self._start = 0  # global index of self._frames[0]
        self._frontier = 0
        self._n_contacts = 0
        self._intervals: deque[float] = deque(maxlen=self.lp.interval_history)
        self._bout: _Bout | None = None
        self._last_running_ic: float | None = None  # previous contact, if it was running
        self._n_bouts = 0
        self._done_intervals = 0  # cadence over closed, valid bouts
        self._done_duration = 0.0
        self.contacts: list[StepResult] = []  # latest result per contact, by index

    # ------------------------------------------------------------------ public
    def feed(self, frames: np.ndarray, times: np.ndarray) -> list[StepResult]:
        f = np.asarray(frames, dtype=np.float32)
        t = np.asarray(times, dtype=np.float64).reshape(-1)
        if f.size != t.size * self.rows * self.cols:
            raise GaitlabError(f"live gait: chunk of {f.size} values for {t.size} frames of "
                               f"{self.rows}x{self.cols} sensors; the stream geometry is wrong")
        if t.size == 0:
            return []
        self._frames = np.concatenate([self._frames, f.reshape(t.size, self.rows, self.cols)])
        self._times = np.concatenate([self._times, t])
        return self._step(final=False)

    def finish(self) -> list[StepResult]:
        """End of stream: contacts still loaded are reported (TO = NaN), the bout closed."""
        out = self._step(final=True) if self._times.size else []
        out += self._close_bout(self._now())
        return out

    @property
    def session_cadence_spm(self) -> float:
        """Cadence over all valid bouts so far (the offline ``cadence_spm`` at the end)."""
        n, d = self._done_intervals, self._done_duration
        b = self._bout
        if b is not None and len(b.idx) >= self.sp.min_bout_steps:
            n += len(b.idx) - 1
            d += b.ic[-1] - b.ic[0]
        return 60.0 * n / d if n > 0 and d > 0 else float("nan")

    # ------------------------------------------------------------------ internals
    def _now(self) -> float:
        return float(self._times[-1]) if self._times.size else float("nan")

    def _step(self, final: bool) -> list[StepResult]:
        part, nf = block_step(self._frames, self._times, self._start, self._frontier, final,
                              self.rp, self.cp, self.pp, must_advance=False)
        end = self._start + self._times.size
        if not final and nf <= self._frontier and self._times.size > self._max_frames():
            nf = end  # a blob loaded for longer than max_block_s: give it up
        self._frontier = nf
        keep_from = max(nf - BLOCK_MARGIN, self._start)
        cut = keep_from - self._start
        if cut > 0:
            self._frames = self._frames[cut:]
            self._times = self._times[cut:]
            self._start = keep_from
        out: list[StepResult] = []
        now = self._now()
        for i in range(len(part)):  # one iteration per completed contact
            out += self._contact(part.take(np.array([i])), now)
        return out

    def _max_frames(self) -> int:
        dt = float(np.median(np.diff(self._times))) if self._times.size > 1 else 1.0
        return int(self.lp.max_block_s / dt) if dt > 0 else 1000

    def _contact(self, c: Contacts, now: float) -> list[StepResult]:
        k = self._n_contacts
        self._n_contacts += 1
        ic, to = float(c.ic[0]), float(c.to[0])
        running = bool(G.running_mask(c, self.pp)[0])
        out: list[StepResult] = []
        if not running:
            out += self._close_bout(now)
            self._last_running_ic = None
            out.append(self._record(StepResult(
                k, G.UNKNOWN, ic, to, to - ic, float(c.x[0]), float(c.medial_shift[0]),
                np.nan, np.nan, np.nan, -1, False, False, now)))
            return out
        prev = self._last_running_ic
        self._last_running_ic = ic
        if prev is not None and self._bout is not None:
            d = ic - prev
            ref = (float(np.median(self._intervals)) * self.sp.bout_gap_factor
                   if self._intervals else self.lp.first_step_max_s)
            if 0 < d <= ref:
                self._intervals.append(d)
                return out + self._grow(k, c, now)
        out += self._close_bout(now)
        self._bout = _Bout(self._n_bouts)
        return out + self._grow(k, c, now)

    def _grow(self, k: int, c: Contacts, now: float) -> list[StepResult]:
        b = self._bout
        assert b is not None
        b.idx.append(k)
        b.ic.append(float(c.ic[0]))
        b.to.append(float(c.to[0]))
        b.x.append(float(c.x[0]))
        b.shift.append(float(c.medial_shift[0]))
        n = len(b.idx)
        if b.confirmed:
            nxt = G.RIGHT if b.sides[-1] == G.LEFT else G.LEFT
            b.sides = np.r_[b.sides, nxt]
            return [self._result(b, n - 1, now, revised=False)]
        old = b.sides
        sides, info = G.assign_sides(np.array(b.x), np.array(b.shift), np.zeros(n, int), self.sp)
        b.sides = sides
        line, pos = info[0]["gait_line_score"], info[0]["position_score"]
        clear = abs(line) >= self.sp.line_decisive or abs(line + pos) >= self.lp.confirm_level
        if n >= self.sp.min_bout_steps and (clear or n >= self.lp.confirm_max_steps):
            return self._confirm(b, now)
        flipped = old.size > 0 and not np.array_equal(old, sides[: old.size])
        first = 0 if flipped else n - 1
        return [self._result(b, j, now, revised=j < n - 1) for j in range(first, n)]

    def _confirm(self, b: _Bout, now: float) -> list[StepResult]:
        b.confirmed = True
        self._n_bouts += 1
        n = len(b.idx)
        return [self._result(b, j, now, revised=j < n - 1) for j in range(n)]

    def _close_bout(self, now: float) -> list[StepResult]:
        b, self._bout = self._bout, None
        if b is None:
            return []
        n = len(b.idx)
        out: list[StepResult] = []
        if n < self.sp.min_bout_steps:  # offline drops short bouts: no side, no bout
            for j in range(n):
                r = self._result(b, j, now, revised=True)
                out.append(self._record(replace(r, side=G.UNKNOWN, bout=-1, step_width_m=np.nan,
                                                step_time_s=np.nan, cadence_spm=np.nan,
                                                provisional=False)))
            return out
        if not b.confirmed:
            sides, _ = G.assign_sides(np.array(b.x), np.array(b.shift), np.zeros(n, int), self.sp)
            b.sides = sides
            out += self._confirm(b, now)
        self._done_intervals += n - 1
        self._done_duration += b.ic[-1] - b.ic[0]
        return out

    def _result(self, b: _Bout, j: int, now: float, revised: bool) -> StepResult:
        side = int(b.sides[j])
        ic, to, x = b.ic[j], b.to[j], b.x[j]
        st = width = cad = np.nan
        if j > 0:
            st = ic - b.ic[j - 1]
            width = (b.x[j - 1] - x) if b.sides[j - 1] == G.RIGHT else (x - b.x[j - 1])
            cad = 60.0 * j / (ic - b.ic[0])
        r = StepResult(b.idx[j], side, ic, to, to - ic, x, b.shift[j], st, width, cad, b.bout_id,
                       not b.confirmed, revised, now)
        return self._record(r)

    def _record(self, r: StepResult) -> StepResult:
        if r.index < len(self.contacts):
            self.contacts[r.index] = r
        else:
            self.contacts.append(r)
        return r
