"""Live EMG tracker, one channel: raw chunks in; per-cycle onset/offset (relative to the
ipsilateral initial contact) out, first within one step of the contact, then final.

The offline chain is zero-phase (``sosfiltfilt`` notches, band-pass and envelope), so a
causal filter would shift onsets. Instead the tracker re-runs the SAME offline functions
(:func:`gaitlab.analysis.emg.bandpass`, :func:`gaitlab.analysis.onsets.method_envelope`) every
``hop_s`` on a window reaching the newest sample, with ``history_s`` of context. The
envelope runs at the offline envelope rate (fs / factor, blocks of ``factor`` samples
counted from the stream's first sample), and each window starts on that grid, so live and
offline envelope samples are the same blocks. A zero-phase
filter run on a window that stops at the newest sample differs from the whole-signal one by
the backward pass's edge transient, which decays with the filters' impulse responses (the
50 Hz notch, Q 30, τ ≈ 0.19 s, is the slowest; docs/benchmarks.md "Live trackers" has the
measured decay). Hence two envelopes:

* the FINAL envelope, kept from ``margin_s`` (1 s) before the newest sample, where it is
  within ~1e-4 of the whole-signal one: bursts found on it are the offline bursts to the
  sample (a 1-sample flip of an edge stays possible, rarely);
* the FRESH envelope, up to ``fast_margin_s`` (30 ms) before the newest sample, recomputed
  each hop: bursts on it may still be off by a sample or so.

Bursts are the offline Hodges–Bui rule (:func:`~gaitlab.analysis.emg.detect_bursts`: runs
above threshold, dips shorter than ``bridge_ms`` bridged, shorter than ``min_on_ms``
dropped) on the method's envelope (``hodges_bui``: rectified; ``tkeo``: TKEO; ``bonato`` is
offline only), edges placed on the envelope and mapped to raw samples as offline
(:func:`gaitlab.analysis.onsets.edge_positions`, :func:`~gaitlab.analysis.onsets.to_raw`).
A run has ENDED once the envelope has stayed below threshold for the edge search
(``edge_max_ms``) after it, and is CLOSED once that lasts more than max(``bridge_ms``,
2·``edge_max_ms``): no later sample can change a closed burst, while an ended one may
still be bridged to a later run.

The baseline (mean, SD of the envelope's quiet windows) is given (e.g. from a baseline trial
or an earlier analysis: then onsets equal the offline ones), or calibrated once from the
first ``calibrate_s`` of final envelope after the first initial contact minus 1 s with the
offline quiet-window rule (:func:`~gaitlab.analysis.emg.quiet_windows`).

A cycle (one ipsilateral IC, from the live gait tracker) gets its FIRST result with
:func:`~gaitlab.analysis.emg.assign_bursts` as soon as the fresh envelope reaches IC +
``assign_post_ms`` and every run starting before then has ended: with the bursts' ends at
IC + 0.15–0.2 s, that is about IC + 0.3 s, inside one step, and usually no later than the
moment the gait tracker confirms the IC (at its toe-off). The result becomes FINAL when
every burst it may take is closed on the final envelope and the raw signal has reached IC +
``max_burst_stride_frac`` × stride (the dropout window, as offline); if anything changed
(an edge moved by a sample, a later run was bridged to the burst and moved its offset — and
with it the half-height level and so possibly the onset —, or a dropout came), the cycle is
emitted again with ``revised=True``, about 1.3 s after its IC. Consumers keep the last
result per IC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gaitlab.analysis import emg as E
from gaitlab.analysis import onsets as O
from gaitlab.analysis.params import EmgParams
from gaitlab.errors import GaitlabError


@dataclass
class LiveEmgParams:
    margin_s: float = 1.0  # envelope final (offline bursts to the sample) this long before the newest
    fast_margin_s: float = 0.03  # first results: envelope used up to this long before the newest
    history_s: float = 2.0  # context before the first untrusted sample in each recompute
    hop_s: float = 0.025  # recompute when at least this much new signal is in
    calibrate_s: float = 10.0  # envelope used for a self-calibrated threshold
    wait_ic_s: float = 5.0  # envelope kept, before calibration, while no IC has come


@dataclass
class CycleResult:
    ic: float  # the ipsilateral initial contact (stream s)
    onset_s: float  # burst onset - IC (NaN when rejected)
    offset_s: float  # burst offset - IC
    reason: str  # "" when accepted
    emitted_at: float  # stream time of the newest sample when decided
    revised: bool = False  # replaces the result given earlier for the same IC


class LiveEmgChannel:
    """One EMG channel. ``feed(x, t)`` raw volts; ``add_ic(ic)`` its side's initial contacts."""

    def __init__(self, fs: float, emg: EmgParams | None = None, notches: list[float] | None = None,
                 baseline: tuple[float, float] | None = None, live: LiveEmgParams | None = None
                 ) -> None:
        if not fs > 0:
            raise GaitlabError(f"live EMG: sampling rate {fs} Hz; the stream needs a nominal rate")
        self.fs = float(fs)
        self.p = emg or EmgParams()
        if self.p.onset_method not in ("hodges_bui", "tkeo"):
            raise GaitlabError(f"live EMG: onset method '{self.p.onset_method}' is offline only; "
                               "use hodges_bui or tkeo live")
        self.d = E.envelope_factor(self.fs, self.p.timing_envelope_hz)  # raw samples per envelope sample
        self.fe = self.fs / self.d  # envelope rate
        self.notches = list(notches or [])
        self.lp = live or LiveEmgParams()
        self.threshold: float | None = None
        self._cal_start: int | None = None  # envelope index where calibration starts
        self._prev_off = -1  # detected (unrefined) offset of the last closed burst, envelope index
        if baseline is not None:
            self._set_baseline(*baseline)
        self._raw = np.empty(0)
        self._t = np.empty(0)
        self._bad = np.empty(0, bool)  # long NaN runs (artefact), aligned with _raw
        self._raw0 = 0  # global index of _raw[0] (a multiple of d)
        # the trusted envelope, envelope indices _env0 … _final - 1 (envelope sample k holds
        # raw samples [k·d, (k+1)·d)), and the time of each of its samples
        self._env = np.empty(0)
        self._env_t = np.empty(0)
        self._env0 = 0
        self._final = 0
        self._bursts: list[tuple[float, float]] = []  # closed bursts (on, off) stream times
        self._ics: list[float] = []
        self._pending: list[float] = []  # contacts without a result yet
        self._open: dict[float, CycleResult] = {}  # results given that a later sample may change
        self._tent: list[tuple[float, float]] = []  # ended bursts that may still be merged
        self._busy_from = -np.inf  # start of the first run that has not ended (stream s)
        self._fresh_t = -np.inf  # newest sample of the envelope used for first results

    # ------------------------------------------------------------------ public
    def add_ic(self, ic: float | np.ndarray) -> None:
        v = np.atleast_1d(np.asarray(ic, dtype=np.float64))
        v = v[np.isfinite(v)].tolist()
        self._ics = sorted(self._ics + v)
        self._pending = sorted(self._pending + v)

    def feed(self, x: np.ndarray, t: np.ndarray) -> list[CycleResult]:
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        if x.size != t.size:
            raise GaitlabError(f"live EMG: {x.size} samples with {t.size} time stamps")
        self._raw = np.concatenate([self._raw, x])
        self._t = np.concatenate([self._t, t])
        self._bad = np.concatenate([self._bad, np.zeros(x.size, bool)])
        end = self._raw0 + self._raw.size
        trust_to = (end - round(self.lp.margin_s * self.fs)) // self.d
        if (trust_to - self._final) * self.d >= self.lp.hop_s * self.fs:
            self._recompute(trust_to)
        return self._decide(final=False)

    def finish(self) -> list[CycleResult]:
        """End of stream: trust the envelope to the last sample and decide every cycle."""
        self._recompute(-(-(self._raw0 + self._raw.size) // self.d), final=True)
        return self._decide(final=True)

    @property
    def bursts(self) -> list[tuple[float, float]]:
        return list(self._bursts)

    # ------------------------------------------------------------------ internals
    def _recompute(self, trust_to: int, final: bool = False) -> None:
        """Envelope of a window from ``history_s`` before the first untrusted sample to the
        newest one; envelope samples below ``trust_to`` (an envelope index) become final."""
        if trust_to <= self._final and not final:
            return
        d = self.d
        h = round(self.lp.history_s * self.fe)
        ka = max(min(self._final, self._env0) - h, self._raw0 // d)  # window start, envelope index
        i0 = ka * d - self._raw0
        filled, bad = E.fill_nans(self._raw[i0:], self.fs, self.p.max_nan_gap_ms / 1000)
        self._bad[i0:] = bad
        env, _ = O.method_envelope(E.bandpass(filled, self.fs, self.p, self.notches), self.fs, self.p)
        env_t = E.block_means(self._t[i0:], d)
        self._env = np.concatenate([self._env, env[self._final - ka: trust_to - ka]])
        self._env_t = np.concatenate([self._env_t, env_t[self._final - ka: trust_to - ka]])
        self._final = min(trust_to, ka + env.size)
        if self.threshold is None:
            self._calibrate()
        if self.threshold is not None:
            self._find_bursts(final)
            fresh_to = ka + env.size - max(round(self.lp.fast_margin_s * self.fe), 1)
            if not final and fresh_to > self._final:  # first results: the newest envelope
                i, j = self._env0 - ka, fresh_to - ka
                self._fresh_bursts(env[i:j], env_t[i:j])
        # raw kept: the history before the trusted edge, and the dropout window of open cycles
        keep = max((min(self._final, self._env0) - h) * d - round(2.0 * self.fs), 0)
        keep -= keep % d
        if keep > self._raw0:
            cut = keep - self._raw0
            self._raw, self._t, self._bad = self._raw[cut:], self._t[cut:], self._bad[cut:]
            self._raw0 = keep

    def _set_baseline(self, mu: float, sd: float) -> None:
        self.baseline = (float(mu), float(sd))
        self.threshold = mu + self.p.k_sd * sd

    def _raw_time(self, gi: np.ndarray) -> np.ndarray:
        return self._t[np.asarray(gi, dtype=np.int64) - self._raw0]

    def _calibrate(self) -> None:
        if not self._ics:  # contacts come confirmed a few steps late: keep some envelope
            cut = max(self._env.size - round(self.lp.wait_ic_s * self.fe), 0)
            self._env0 += cut
            self._env, self._env_t = self._env[cut:], self._env_t[cut:]
            return
        if self._cal_start is None:  # as offline: from 1 s before the first contact, on the grid
            self._cal_start = int(np.searchsorted(self._t, self._ics[0] - 1.0) + self._raw0) // self.d
        start = max(self._cal_start, self._env0)
        n = round(self.lp.calibrate_s * self.fe)
        if self._final - start < n:
            return
        env = self._env[start - self._env0: start - self._env0 + n]
        quiet = E.quiet_windows(env, self.fe, self.p.baseline_window_ms / 1000,
                                self.p.baseline_fraction, self.p.k_sd)
        r0 = start * self.d - self._raw0
        if r0 >= 0:
            bad = E.block_any(self._bad[r0: r0 + n * self.d], self.d)
            if bad.size == quiet.size:
                quiet &= ~bad
        base = env[quiet] if quiet.any() else env
        self._set_baseline(float(np.mean(base)), float(np.std(base)))

    def _runs(self, env: np.ndarray, final: bool) -> tuple[np.ndarray, ...]:
        """Offline bursts of an envelope piece starting at ``_env0``: bridged runs above
        threshold (as :func:`gaitlab.analysis.emg.detect_bursts`) with, per run, whether it is
        CLOSABLE (no later sample can change it: below threshold for more than the bridge
        and the edge search), ENDED (below threshold for more than the edge search) and
        LONG enough (``min_on_ms``)."""
        assert self.threshold is not None
        p, fe = self.p, self.fe
        s, e = E.runs(env > self.threshold)
        if s.size:
            brk = np.r_[True, (s[1:] - e[:-1]) > p.bridge_ms / 1000 * fe]
            s, e = s[brk], e[np.r_[brk[1:], True]]
        n, lim = env.size, self._lim()
        closable = np.full(s.size, final) | ((n - e) > max(p.bridge_ms / 1000 * fe, 2 * lim + 1))
        ended = closable | ((n - e) > lim)
        return s, e, closable, ended, (e - s) >= p.min_on_ms / 1000 * fe

    def _lim(self) -> int:
        """Envelope samples an edge may move (the edge search), as offline."""
        if self.p.edge_refine:
            return max(round(self.p.edge_max_ms / 1000 * self.fe), 1)
        return 1

    def _edges(self, env: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw (global) onset and offset indices of runs [s, e) of ``env`` (which starts at
        ``_env0``), placed as offline, with the last closed burst as the left neighbour
        (offline keeps all bursts disjoint at once)."""
        assert self.threshold is not None
        p, d, big = self.p, self.d, np.iinfo(np.int64).max // 4
        b = E.Bursts(s.astype(np.int64), (e - 1).astype(np.int64), self.threshold, *self.baseline)
        on, off = O.place_edges(env, b, self.fe, self.baseline[0], p)
        on_r, off_r = O.to_raw(on + self._env0, off + self._env0, d, big)
        b0_on, b0_off = O.to_raw(b.on + self._env0, b.off + self._env0, d, big)
        if self._prev_off >= 0:  # the closed burst before these, as their left neighbour
            _, prev = O.to_raw(np.array([self._prev_off]), np.array([self._prev_off]), d, big)
            b0_on, b0_off = np.r_[prev, b0_on], np.r_[prev, b0_off]
            on_r, off_r = np.r_[prev, on_r], np.r_[prev, off_r]
            on_r, off_r = O.disjoint(on_r, off_r, b0_on, b0_off)
            return on_r[1:], off_r[1:]
        return O.disjoint(on_r, off_r, b0_on, b0_off)

    def _find_bursts(self, final: bool = False) -> None:
        """Closed bursts of the final envelope go to ``_bursts``; the envelope before the
        first run that may still change is dropped."""
        s, e, closable, _, long_ = self._runs(self._env, final)
        first_open = int(s[~closable][0]) if (~closable).any() else self._env.size
        keep = long_ & closable
        s, e = s[keep], e[keep]
        on, off = self._edges(self._env, s, e)
        self._bursts += list(zip(self._raw_time(on).tolist(), self._raw_time(off).tolist(),
                                 strict=True))
        if s.size:
            self._prev_off = int(e[-1] - 1 + self._env0)
        if final:
            self._tent, self._busy_from = [], np.inf
        cut = max(first_open - 2 * self._lim() - 2, 0)
        self._env, self._env_t = self._env[cut:], self._env_t[cut:]
        self._env0 += cut

    def _fresh_bursts(self, env: np.ndarray, env_t: np.ndarray) -> None:
        """First-result bursts from the newest envelope (from ``_env0`` to ``fast_margin_s``
        before the newest sample): every ENDED run not yet closed, and where the first run
        still going starts."""
        s, e, _, ended, long_ = self._runs(env, False)
        self._busy_from = float(env_t[s[~ended][0]]) if (~ended).any() else np.inf
        keep = ended & long_
        on, off = self._edges(env, s[keep], e[keep])
        self._tent = list(zip(self._raw_time(on).tolist(), self._raw_time(off).tolist(),
                              strict=True))
        self._fresh_t = float(env_t[-1]) if env_t.size else -np.inf

    def _decide(self, final: bool) -> list[CycleResult]:
        """First results for the pending contacts that are ready, then revisions of the
        provisional ones that have become final (only when a value changed)."""
        if self.threshold is None or self._t.size == 0 or not (self._pending or self._open):
            return []
        post = self.p.assign_post_ms / 1000
        t_final = float(self._env_t[-1]) if self._env_t.size else -np.inf
        t_raw = float(self._t[-1])
        ics = np.array(self._ics)
        win = self.p.max_burst_stride_frac * (float(np.median(np.diff(ics))) if ics.size > 1
                                              else np.inf)
        closed_to = float(self._env_t[0]) if self._env_t.size else np.inf  # bursts before: closed

        def is_final(ic: float) -> bool:
            return final or (t_final >= ic + post and closed_to > ic + post and np.isfinite(win)
                             and t_raw >= ic + win + self.p.max_nan_gap_ms / 1000)

        out: list[CycleResult] = []
        while self._pending:
            ic = self._pending[0]
            if not (is_final(ic) or (self._fresh_t >= ic + post and self._busy_from > ic + post)):
                break
            self._pending.pop(0)
            res = self._result(ic, win, t_raw, self._bursts + self._tent)
            out.append(res)
            if not is_final(ic):
                self._open[ic] = res
        for ic in [ic for ic in self._open if is_final(ic)]:
            old = self._open.pop(ic)
            new = self._result(ic, win, t_raw, self._bursts)
            if (new.reason, new.onset_s, new.offset_s) != (old.reason, old.onset_s, old.offset_s) \
                    and not (new.reason and new.reason == old.reason):
                out.append(replace(new, revised=True))
        return out

    def _result(self, ic: float, win: float, t_raw: float, bursts: list[tuple[float, float]]
                ) -> CycleResult:
        p = self.p
        pre, post = p.assign_pre_ms / 1000, p.assign_post_ms / 1000
        on = np.array([b[0] for b in bursts])
        off = np.array([b[1] for b in bursts])
        cyc = E.assign_bursts(on, off, np.array([ic]), pre, post, win)
        lo, hi = np.searchsorted(self._t, [ic - pre, ic + win])
        reason = str(cyc.reason[0])
        onset, offset = float(cyc.onset_s[0]), float(cyc.offset_s[0])
        if self._bad[lo:hi].any():
            reason = "EMG dropout (NaN run) in the cycle"
            onset = offset = np.nan
        return CycleResult(ic, onset, offset, reason, t_raw)
