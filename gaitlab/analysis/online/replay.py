"""Replay recorded arrays through the live trackers, chunk by chunk, as the lab monitor feeds
them: pressure frames to :class:`LivePressureGait`, each confirmed initial contact to the
EMG channels of its side, EMG samples to :class:`LiveEmgChannel`; or each confirmed contact
to :class:`LivePelvis` with the sacral IMU's samples (:func:`replay_pelvis`). No LSL, no threads: the
same results the live views would have shown, for tests, benchmarks and debugging.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaitlab.analysis.online.emg import CycleResult, LiveEmgChannel
from gaitlab.analysis.online.gait import LivePressureGait
from gaitlab.analysis.online.pelvis import DropResult, LivePelvis


@dataclass
class Replay:
    results: dict[str, list[CycleResult]]  # per EMG channel, in order of emission
    channels: dict[str, LiveEmgChannel]
    confirmed_at: dict[float, float] = field(default_factory=dict)  # IC → EMG time it was known


def chunks(n: int, max_len: int, seed: int) -> list[tuple[int, int]]:
    """Consecutive [a, b) ranges covering 0..n with random lengths 1..``max_len``."""
    rng = np.random.default_rng(seed)
    cuts = np.cumsum(rng.integers(1, max_len + 1, size=n))
    cuts = np.r_[0, cuts[cuts < n], n]
    return list(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True))


def replay(gait: LivePressureGait, frames: np.ndarray, frame_t: np.ndarray,
           channels: dict[str, LiveEmgChannel], emg: dict[str, np.ndarray], emg_t: np.ndarray,
           max_chunk: int = 100, seed: int = 0) -> Replay:
    """Feed EMG in random chunks of 1..``max_chunk`` samples (the monitor pulls ~50 ms at
    2 kHz), with the pressure frames up to the newest EMG sample before each chunk.
    ``channels``/``emg`` are keyed by ``MUSCLE_SIDE``; a channel gets the contacts of its
    side once the gait tracker has confirmed them (not provisional, in a running bout)."""
    out: dict[str, list[CycleResult]] = {n: [] for n in channels}
    added: set[int] = set()
    known: dict[float, float] = {}
    fi = 0

    def give_ics(now: float) -> None:
        for s in gait.contacts:
            if not s.provisional and s.bout >= 0 and s.index not in added:
                added.add(s.index)
                known[s.ic] = now
                for n, ch in channels.items():
                    if n.endswith("_" + s.side_name):
                        ch.add_ic(s.ic)

    for a, b in chunks(emg_t.size, max_chunk, seed):
        t_end = float(emg_t[b - 1])
        fj = int(np.searchsorted(frame_t, t_end, side="right"))
        if fj > fi:
            gait.feed(frames[fi:fj], frame_t[fi:fj])
            fi = fj
        give_ics(t_end)
        for n, ch in channels.items():
            out[n] += ch.feed(emg[n][a:b], emg_t[a:b])
    gait.feed(frames[fi:], frame_t[fi:])
    gait.finish()
    give_ics(float(emg_t[-1]))
    for n, ch in channels.items():
        out[n] += ch.finish()
    return Replay(out, channels, known)


@dataclass
class PelvisReplay:
    results: list[DropResult]  # in order of emission
    given_at: dict[int, float] = field(default_factory=dict)  # contact index -> IMU time given


def replay_pelvis(gait: LivePressureGait, frames: np.ndarray, frame_t: np.ndarray, pelvis: LivePelvis,
                  gyr: np.ndarray, acc: np.ndarray, imu_t: np.ndarray, max_chunk: int = 20,
                  seed: int = 0) -> PelvisReplay:
    """Feed the IMU (rad/s, m/s²) in random chunks of 1..``max_chunk`` samples (the monitor
    pulls ~50 ms at 148 Hz), the pressure frames up to the newest IMU sample before each
    chunk, and every contact the gait tracker has confirmed (in a running bout) to the
    pelvis tracker as it is confirmed, as the monitor does."""
    out: list[DropResult] = []
    given: dict[int, float] = {}
    fi = 0

    def give(now: float) -> None:
        for s in gait.contacts:
            if not s.provisional and s.bout >= 0 and s.side_name in ("L", "R") and s.index not in given:
                given[s.index] = now
                out.extend(pelvis.add_stance(s.index, s.side_name, s.ic, s.to))

    for a, b in chunks(imu_t.size, max_chunk, seed):
        t_end = float(imu_t[b - 1])
        fj = int(np.searchsorted(frame_t, t_end, side="right"))
        if fj > fi:
            gait.feed(frames[fi:fj], frame_t[fi:fj])
            fi = fj
        give(t_end)
        out += pelvis.feed(gyr[a:b], acc[a:b], imu_t[a:b])
    gait.feed(frames[fi:], frame_t[fi:])
    gait.finish()
    give(float(imu_t[-1]))
    out += pelvis.finish()
    return PelvisReplay(out, given)
