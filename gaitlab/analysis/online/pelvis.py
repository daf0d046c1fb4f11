"""Live pelvic drop from a sacral IMU: samples in, chunk by chunk; one result per stance out.

The offline steps of :mod:`gaitlab.analysis.pelvis.imu` run in their causal order:

1. **Waiting.** Raw samples are kept (up to ``buffer_max_s``) until the run has given
   ``learn_stances`` stances of each foot (the contacts come from the live gait tracker).
2. **Calibration**, once: the standing period is the ``static_start``/``static_end``
   window if the console marked one (:meth:`LivePelvis.mark_static`), else the last still
   stretch (:func:`~gaitlab.analysis.pelvis.imu.still_spans`) that ends before the run's
   first contact; the gyro bias is its mean. The whole buffer is then fused with VQF's causal
   filter (``vqf.VQF``, the state kept for what follows), the pelvis's vertical is taken from
   the standing period and the direction of progression from the learning stances
   (:func:`~gaitlab.analysis.pelvis.imu.forward_direction`). With no standing period the
   reference is the learning stretch's mean posture, labelled ``run_mean`` as offline.
3. **Tracking.** Each new chunk continues the same filter; obliquity comes from
   :func:`~gaitlab.analysis.pelvis.imu.obliquity_of`, and a stance's drop, drop at
   midstance and excursion from :func:`~gaitlab.analysis.pelvis.stance.side_drop` on that
   stance's samples: the very offline function, so with the same calibration and the causal
   fusion every value equals the offline one (tests/analysis/online/test_live_pelvis.py).
   A stance is reported as soon as the IMU has reached its toe-off and the gait tracker has
   given it, i.e. within one step of its initial contact.

Times are the IMU stream's (s); contacts must be given on the same clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from gaitlab.analysis.pelvis.angles import quat_to_matrix
from gaitlab.analysis.pelvis.imu import forward_direction, obliquity_of, pelvis_axes, still_spans
from gaitlab.analysis.pelvis.stance import side_drop
from gaitlab.errors import GaitlabError

Side = Literal["L", "R"]
SIDES: tuple[Side, Side] = ("L", "R")
WINDOW_MARGIN_S = 0.05  # samples either side of a stance handed to side_drop (interpolation)


@dataclass
class LivePelvisParams:
    learn_stances: int = 10  # stances per side before calibrating (the forward direction)
    buffer_max_s: float = 1200.0  # raw samples kept while waiting (then the oldest go)
    trace_s: float = 60.0  # obliquity kept after calibration (console trace, pending stances)
    still_min_s: float = 2.0
    gap_factor: float = 1.5  # a sample interval above this × 1/fs is a gap (missing samples)


@dataclass
class PelvisCalibration:
    standing_s: tuple[float, float] | None  # stream times of the first and last standing samples
    standing_samples: tuple[int, int] | None  # the same as [start, stop) from the first sample fused
    standing_from: str | None  # "static_start/static_end markers" | "found in the IMU data"
    reference: str  # "static" | "run_mean"
    gyro_bias_rad_s: np.ndarray
    axes_sensor: np.ndarray  # (3, 3): pelvis forward, up, right as columns in sensor axes
    forward_sign_from: str
    first_sample_t: float  # stream time of the first sample fused (the filter's start)
    at: float  # stream time of the newest sample when it was made


@dataclass
class DropResult:
    index: int  # contact number (the gait tracker's)
    side: Side  # stance side
    ic: float
    to: float
    drop_deg: float  # NaN when left out (``reason`` says why)
    drop_at_midstance_deg: float
    excursion_deg: float
    emitted_at: float  # IMU stream time of the newest sample when this was produced
    reason: str = ""
    revised: bool = False


class _Trace:
    """The newest ``capacity`` (time, obliquity) samples; a doubled array keeps them one
    contiguous slice (whole chunks copied, no per-sample work)."""

    def __init__(self, capacity: int):
        self.cap = max(2, int(capacity))
        self._t = np.empty(2 * self.cap)
        self._x = np.empty(2 * self.cap)
        self._lo = self._hi = 0

    def extend(self, t: np.ndarray, x: np.ndarray) -> None:
        t, x = t[-self.cap:], x[-self.cap:]
        n = t.size
        if self._hi + n > 2 * self.cap:
            keep = min(self._hi - self._lo, self.cap - n)
            self._t[:keep] = self._t[self._hi - keep:self._hi]
            self._x[:keep] = self._x[self._hi - keep:self._hi]
            self._lo, self._hi = 0, keep
        self._t[self._hi:self._hi + n] = t
        self._x[self._hi:self._hi + n] = x
        self._hi += n
        self._lo = max(self._lo, self._hi - self.cap)

    def view(self, seconds: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        t, x = self._t[self._lo:self._hi], self._x[self._lo:self._hi]
        if seconds is not None and t.size:
            i = int(np.searchsorted(t, t[-1] - seconds))
            t, x = t[i:], x[i:]
        return t, x


@dataclass
class _Stance:
    side: Side
    ic: float
    to: float
    done: bool = False


@dataclass
class _Raw:
    t: list[np.ndarray] = field(default_factory=list)
    gyr: list[np.ndarray] = field(default_factory=list)
    acc: list[np.ndarray] = field(default_factory=list)
    n: int = 0


class LivePelvis:
    """Online pelvis tracker for one sacral IMU at nominal rate ``fs`` (Hz).

    ``feed(gyr_rad_s, acc_m_s2, t)`` with (n, 3) arrays; ``add_stance(index, side, ic, to)``
    for each confirmed contact; both return the stances completed by that call."""

    def __init__(self, fs: float, params: LivePelvisParams | None = None):
        if not np.isfinite(fs) or fs <= 0:
            raise GaitlabError(f"live pelvis: the IMU's sampling rate is {fs}; it needs a nominal rate")
        self.fs = float(fs)
        self.p = params or LivePelvisParams()
        self.calibration: PelvisCalibration | None = None
        self._raw = _Raw()
        self._static: tuple[float, float] | None = None
        self._stances: dict[int, _Stance] = {}
        self._vqf = None
        self._bias = np.zeros(3)
        self._trace = _Trace(int(self.fs * self.p.trace_s) + 1)
        self.last_t = float("nan")
        self.status = f"waiting for {self.p.learn_stances} running steps per side"

    # ------------------------------------------------------------------ inputs
    def mark_static(self, start: float, end: float) -> None:
        """The standing period (stream times) the console's guided step marked."""
        if end > start and self.calibration is None:
            self._static = (float(start), float(end))

    def add_stance(self, index: int, side: str, ic: float, to: float) -> list[DropResult]:
        if side not in SIDES:
            return []
        old = self._stances.get(index)
        new = _Stance(side, float(ic), float(to))  # type: ignore[arg-type]
        if old is not None and (old.side, old.ic, old.to) == (new.side, new.ic, new.to):
            return []
        if old is not None and old.done:
            new.done = False
            self._stances[index] = new
            return [replace_revised(r) for r in self._evaluate([index])]
        self._stances[index] = new
        if self.calibration is None:
            return self._try_calibrate()
        return self._evaluate([index])

    def feed(self, gyr_rad_s: np.ndarray, acc_m_s2: np.ndarray, t: np.ndarray) -> list[DropResult]:
        g = np.asarray(gyr_rad_s, dtype=np.float64).reshape(-1, 3)
        a = np.asarray(acc_m_s2, dtype=np.float64).reshape(-1, 3)
        t = np.asarray(t, dtype=np.float64).ravel()
        if not (g.shape[0] == a.shape[0] == t.size):
            raise GaitlabError(f"live pelvis: chunk of {g.shape[0]} gyro, {a.shape[0]} accelerometer "
                               f"rows and {t.size} stamps; give one stamp per row")
        if t.size == 0:
            return []
        ok = np.isfinite(t) & np.isfinite(g).all(axis=1) & np.isfinite(a).all(axis=1)
        if np.isfinite(self.last_t):
            ok &= t > self.last_t
        g, a, t = g[ok], a[ok], t[ok]
        if t.size == 0:
            return []
        self.last_t = float(t[-1])
        if self.calibration is None:
            self._append_raw(t, g, a)
            return self._try_calibrate()
        self._track(t, g, a)
        return self._evaluate(self._pending())

    def finish(self) -> list[DropResult]:
        """End of the data: stances that can no longer complete are reported as left out."""
        out = self._evaluate(self._pending())
        for i in self._pending():
            st = self._stances[i]
            st.done = True
            out.append(DropResult(i, st.side, st.ic, st.to, np.nan, np.nan, np.nan, self.last_t,
                                  "stance: outside the data"))
        return out

    # ------------------------------------------------------------------ outputs
    def obliquity(self, seconds: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
        """Recent obliquity trace (stream times, degrees, + = right side lower); empty before
        the calibration."""
        t, x = self._trace.view(seconds)
        return t.copy(), x.copy()

    # ------------------------------------------------------------------ internals
    def _append_raw(self, t: np.ndarray, g: np.ndarray, a: np.ndarray) -> None:
        r = self._raw
        r.t.append(t)
        r.gyr.append(g)
        r.acc.append(a)
        r.n += t.size
        keep = int(self.p.buffer_max_s * self.fs)
        while r.n - r.t[0].size >= keep and len(r.t) > 1:
            r.n -= r.t[0].size
            del r.t[0], r.gyr[0], r.acc[0]

    def _pending(self) -> list[int]:
        return sorted(i for i, s in self._stances.items() if not s.done)

    def _try_calibrate(self) -> list[DropResult]:
        raw = self._raw
        if not raw.n:
            return []
        t = np.concatenate(raw.t)
        per = {s: sorted((st.ic, st.to) for st in self._stances.values() if st.side == s) for s in SIDES}
        if min(len(per[s]) for s in SIDES) < self.p.learn_stances:
            n = min(len(per[s]) for s in SIDES)
            self.status = f"learning the direction of running: {n} of {self.p.learn_stances} steps per side"
            return []
        run_start = min(per["L"][0][0], per["R"][0][0])
        learn_end = max(per["L"][self.p.learn_stances - 1][1], per["R"][self.p.learn_stances - 1][1])
        if t[-1] < learn_end:
            return []
        gyr, acc = np.concatenate(raw.gyr), np.concatenate(raw.acc)
        still, how = None, None
        if self._static is not None:
            i0, i1 = np.searchsorted(t, self._static)
            if i1 - i0 >= 2:
                still, how = (int(i0), int(i1)), "static_start/static_end markers"
        if still is None:
            i_run = int(np.searchsorted(t, run_start))
            spans, _ = still_spans(gyr[:i_run], acc[:i_run], self.fs, self.p.still_min_s)
            if spans:
                still, how = spans[-1], "found in the IMU data"
        self._bias = gyr[still[0]:still[1]].mean(axis=0) if still is not None else np.zeros(3)
        from vqf import VQF

        self._vqf = VQF(1.0 / self.fs)
        r = self._fuse(gyr, acc)
        i_a, i_b = np.searchsorted(t, [run_start, learn_end])
        learn = slice(int(i_a), int(i_b))
        moving = np.ones(t.size, dtype=bool)
        if still is not None:
            moving[still[0]:still[1]] = False
        rel = {s: (np.array([a for a, _ in per[s][:self.p.learn_stances]]) - t[learn][0],
                   np.array([b for _, b in per[s][:self.p.learn_stances]]) - t[learn][0]) for s in SIDES}
        f_e, sign_from, _ = forward_direction(r[learn], acc[learn], self.fs, moving[learn], rel)
        ref = slice(*still) if still is not None else learn
        fwd_s = np.einsum("nji,j->ni", r[ref], f_e).mean(axis=0)
        c, _, _ = pelvis_axes(r, acc, self.fs, ref, moving, forward_sensor=fwd_s)
        self.calibration = PelvisCalibration(
            (float(t[still[0]]), float(t[still[1] - 1])) if still is not None else None,
            still, how, "static" if still is not None else "run_mean", self._bias.copy(), c, sign_from,
            float(t[0]), float(t[-1]))
        self._raw = _Raw()
        self._push_trace(t, obliquity_of(r, c))
        self.status = ("tracking" if still is not None else
                       "tracking (no standing period: drop relative to the run's mean posture)")
        return self._evaluate(self._pending())

    def _fuse(self, gyr: np.ndarray, acc: np.ndarray) -> np.ndarray:
        assert self._vqf is not None
        out = self._vqf.updateBatch(np.ascontiguousarray(gyr - self._bias), np.ascontiguousarray(acc))
        return quat_to_matrix(out["quat6D"])

    def _track(self, t: np.ndarray, g: np.ndarray, a: np.ndarray) -> None:
        assert self.calibration is not None
        self._push_trace(t, obliquity_of(self._fuse(g, a), self.calibration.axes_sensor))

    def _push_trace(self, t: np.ndarray, obl: np.ndarray) -> None:
        self._trace.extend(t, obl)

    def _evaluate(self, indices: list[int]) -> list[DropResult]:
        if self.calibration is None or not indices:
            return []
        t, o = self._trace.view()
        if t.size < 2:
            return []
        out = []
        for i in indices:
            st = self._stances[i]
            if st.to > t[-1] and np.isfinite(st.to):
                continue  # the IMU has not reached this toe-off yet
            a, b = np.searchsorted(t, [st.ic - WINDOW_MARGIN_S, st.to + WINDOW_MARGIN_S])
            tw, ow = t[max(0, a - 1):b + 1], o[max(0, a - 1):b + 1]
            gaps = np.diff(tw) > self.p.gap_factor / self.fs
            if gaps.any():  # missing IMU samples: as the offline grid, no value
                ow = ow.copy()
                ow[1:][gaps] = np.nan
            res = side_drop(tw, ow, np.array([st.ic]), np.array([st.to]), st.side, points=2)
            st.done = True
            if res.drop_deg.size:
                out.append(DropResult(i, st.side, st.ic, st.to, float(res.drop_deg[0]),
                                      float(res.drop_at_midstance_deg[0]), float(res.excursion_deg[0]),
                                      self.last_t))
            else:
                why = next(iter(res.left_out), "stance: left out")
                out.append(DropResult(i, st.side, st.ic, st.to, np.nan, np.nan, np.nan, self.last_t, why))
        return out


def replace_revised(r: DropResult) -> DropResult:
    r.revised = True
    return r
