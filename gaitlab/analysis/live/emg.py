"""Live EMG tracker, one channel: raw chunks in; per-cycle onset/offset (relative to the
ipsilateral initial contact) out.

The offline chain is zero-phase (``sosfiltfilt`` notches, band-pass and envelope), so a
causal filter would shift onsets. Instead the tracker re-runs the SAME offline functions
(:func:`gaitlab.analysis.emg.bandpass`, :func:`~gaitlab.analysis.emg.linear_envelope`) on a
sliding window: ``history_s`` of context before the first unfinished sample, and it only
trusts the envelope up to ``margin_s`` before the newest sample, where the backward pass's
edge transient has died away (the 50 Hz notch, Q 30, is the slowest filter: at 0.5 s the
envelope error is ~1 % of its median, which moves no onset by a whole sample on the
virtual athlete). Cost: ``margin_s`` of latency on the envelope (0.5 s by default), plus
the hop (``hop_s``) at which the window is recomputed.

Bursts are the offline Hodges–Bui rule (:func:`~gaitlab.analysis.emg.detect_bursts`: runs
above threshold, dips shorter than ``bridge_ms`` bridged, shorter than ``min_on_ms``
dropped), found on the trusted envelope of the method (``hodges_bui``: linear envelope;
``tkeo``: :func:`gaitlab.analysis.onsets.tkeo_envelope`; ``bonato`` is offline only), then
edges re-placed by :func:`gaitlab.analysis.onsets.refine_edges` as offline. A burst is
closed once more than max(``bridge_ms``, 2·``edge_max_ms``) of trusted
envelope follows it. The baseline (mean, SD of the envelope's quiet windows) is given
(e.g. from a baseline trial or an earlier analysis: then onsets equal the offline ones
within a sample), or calibrated once from the first ``calibrate_s`` of envelope after the
first initial contact minus 1 s with the offline quiet-window rule
(:func:`~gaitlab.analysis.emg.quiet_windows`).

A cycle (one ipsilateral IC, from the live gait tracker) is decided with
:func:`~gaitlab.analysis.emg.assign_bursts` once the envelope is trusted to IC +
``assign_post_ms`` and any burst it may take is closed, and the raw signal has reached
IC + ``max_burst_stride_frac`` × stride (the dropout window). At 2 kHz, 162 spm and the
defaults that is about 0.65–0.75 s after the IC: before the next-but-one contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitlab.analysis import emg as E
from gaitlab.analysis import onsets as O
from gaitlab.analysis.params import EmgParams
from gaitlab.errors import GaitlabError


@dataclass
class LiveEmgParams:
    margin_s: float = 0.5  # envelope trusted up to this long before the newest sample
    history_s: float = 1.5  # context before the first untrusted sample in each recompute
    hop_s: float = 0.05  # recompute when at least this much new signal is in
    calibrate_s: float = 10.0  # envelope used for a self-calibrated threshold
    wait_ic_s: float = 5.0  # envelope kept, before calibration, while no IC has come


@dataclass
class CycleResult:
    ic: float  # the ipsilateral initial contact (stream s)
    onset_s: float  # burst onset - IC (NaN when rejected)
    offset_s: float  # burst offset - IC
    reason: str  # "" when accepted
    emitted_at: float  # stream time of the newest sample when decided


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
        self.notches = list(notches or [])
        self.lp = live or LiveEmgParams()
        self.threshold: float | None = None
        self._cal_start: int | None = None
        self._prev_off = -1  # old (unrefined) offset of the last closed burst, env index
        if baseline is not None:
            self._set_baseline(*baseline)
        self._raw = np.empty(0)
        self._t = np.empty(0)
        self._bad = np.empty(0, bool)  # long NaN runs (artefact), aligned with _raw
        self._raw0 = 0  # global index of _raw[0]
        self._env = np.empty(0)  # trusted envelope from global index _env0 to _final
        self._env_t = np.empty(0)
        self._env0 = 0
        self._final = 0  # global index: envelope trusted below this
        self._bursts: list[tuple[float, float]] = []  # closed bursts (on, off) stream times
        self._ics: list[float] = []
        self._pending: list[float] = []

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
        if end - self.lp.margin_s * self.fs - self._final >= self.lp.hop_s * self.fs:
            self._recompute(end - round(self.lp.margin_s * self.fs))
        return self._decide(final=False)

    def finish(self) -> list[CycleResult]:
        """End of stream: trust the envelope to the last sample and decide every cycle."""
        self._recompute(self._raw0 + self._raw.size)
        return self._decide(final=True)

    @property
    def bursts(self) -> list[tuple[float, float]]:
        return list(self._bursts)

    # ------------------------------------------------------------------ internals
    def _recompute(self, trust_to: int) -> None:
        if trust_to <= self._final:
            return
        h = round(self.lp.history_s * self.fs)
        a = max(self._final - h, self._raw0)
        i0 = a - self._raw0
        filled, bad = E.fill_nans(self._raw[i0:], self.fs, self.p.max_nan_gap_ms / 1000)
        self._bad[i0:] = bad
        env = self._envelope(E.bandpass(filled, self.fs, self.p, self.notches))
        self._env = np.concatenate([self._env, env[self._final - a: trust_to - a]])
        self._env_t = np.concatenate([self._env_t, self._t[self._final - self._raw0:
                                                           trust_to - self._raw0]])
        self._final = trust_to
        # raw kept: the history before the trusted edge, and the dropout window of open cycles
        keep = max(self._final - h - round(2.0 * self.fs), 0)
        if keep > self._raw0:
            cut = keep - self._raw0
            self._raw, self._t, self._bad = self._raw[cut:], self._t[cut:], self._bad[cut:]
            self._raw0 = keep
        if self.threshold is None:
            self._calibrate()
        if self.threshold is not None:
            self._find_bursts()

    def _set_baseline(self, mu: float, sd: float) -> None:
        self.baseline = (float(mu), float(sd))
        self.threshold = mu + self.p.k_sd * sd

    def _envelope(self, bp: np.ndarray) -> np.ndarray:
        if self.p.onset_method == "tkeo":
            return O.tkeo_envelope(bp, self.fs, self.p.timing_envelope_hz)
        return E.linear_envelope(bp, self.fs, self.p.timing_envelope_hz)

    def _time(self, gi: np.ndarray | int) -> np.ndarray:
        return self._t[np.asarray(gi) - self._raw0]

    def _calibrate(self) -> None:
        if not self._ics:  # contacts come confirmed a few steps late: keep some envelope
            cut = max(self._env.size - round(self.lp.wait_ic_s * self.fs), 0)
            self._env0 += cut
            self._env, self._env_t = self._env[cut:], self._env_t[cut:]
            return
        if self._cal_start is None:
            self._cal_start = int(np.searchsorted(self._t, self._ics[0] - 1.0)) + self._raw0
        start = max(self._cal_start, self._env0)
        n = round(self.lp.calibrate_s * self.fs)
        if self._final - start < n:
            return
        env = self._env[start - self._env0: start - self._env0 + n]
        bad = self._bad[start - self._raw0: start - self._raw0 + n] if start >= self._raw0 else None
        quiet = E.quiet_windows(env, self.fs, self.p.baseline_window_ms / 1000,
                                self.p.baseline_fraction, self.p.k_sd)
        if bad is not None and bad.size == quiet.size:
            quiet &= ~bad
        base = env[quiet] if quiet.any() else env
        self._set_baseline(float(np.mean(base)), float(np.std(base)))

    def _find_bursts(self) -> None:
        assert self.threshold is not None
        p, fs = self.p, self.fs
        s, e = O._merge(*E.runs(self._env > self.threshold), fs, p)  # offline bridging/min
        n = self._env.size
        lim = round(p.edge_max_ms / 1000 * fs) if p.edge_refine else 0
        closed = (n - e) > max(p.bridge_ms / 1000 * fs, 2 * lim + 1)
        # refine with the previous closed burst as neighbour, as offline refines all at once
        prev = self._prev_off - self._env0
        has_prev = prev >= -lim - 1 and self._prev_off >= 0
        on0, off0 = (np.r_[prev + 1 - 1, s] if has_prev else s), (np.r_[prev, e - 1] if has_prev
                                                                   else e - 1)
        if has_prev:
            on0[0] = max(prev, 0)
        b = E.Bursts(on0.astype(int), off0.astype(int), self.threshold, *self.baseline)
        if p.edge_refine and on0.size:
            b = O.refine_edges(self._env, b, fs, self.baseline[0], p.edge_fraction,
                               p.edge_max_ms / 1000)
        k = int(has_prev)
        on, off = b.on[k:][closed], b.off[k:][closed]
        self._bursts += list(zip(self._env_t[on].tolist(), self._env_t[off].tolist(), strict=True))
        if closed.any():
            self._prev_off = int(e[closed][-1] - 1 + self._env0)
        cut = int(s[~closed][0]) if (~closed).any() else n
        cut = max(cut - 2 * lim - 2, 0)
        self._env, self._env_t = self._env[cut:], self._env_t[cut:]
        self._env0 += cut

    def _decide(self, final: bool) -> list[CycleResult]:
        if self.threshold is None or not self._pending or self._t.size == 0:
            return []
        p = self.p
        pre, post = p.assign_pre_ms / 1000, p.assign_post_ms / 1000
        ics = np.array(self._ics)
        stride = float(np.median(np.diff(ics))) if ics.size > 1 else np.inf
        win = p.max_burst_stride_frac * stride
        t_final = float(self._time(self._final - 1)) if self._final > self._raw0 else -np.inf
        t_raw = float(self._t[-1])
        open_from = float(self._env_t[0]) if self._env_t.size else np.inf
        out: list[CycleResult] = []
        on = np.array([b[0] for b in self._bursts])
        off = np.array([b[1] for b in self._bursts])
        while self._pending:
            ic = self._pending[0]
            ready = final or (t_final >= ic + post and open_from > ic + post
                              and np.isfinite(win) and t_raw >= ic + win + p.max_nan_gap_ms / 1000)
            if not ready:
                break
            self._pending.pop(0)
            cyc = E.assign_bursts(on, off, np.array([ic]), pre, post, win)
            lo, hi = np.searchsorted(self._t, [ic - pre, ic + win])
            reason = str(cyc.reason[0])
            onset, offset = float(cyc.onset_s[0]), float(cyc.offset_s[0])
            if self._bad[lo:hi].any():
                reason = "EMG dropout (NaN run) in the cycle"
                onset = offset = np.nan
            out.append(CycleResult(ic, onset, offset, reason, t_raw))
        return out
