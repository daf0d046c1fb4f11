"""The lab monitor's sacral-IMU path: the pelvis sensor's columns of a live IMU stream, in SI
units, into :class:`~gaitlab.analysis.online.LivePelvis`, and what the views show of it.

Thread use: the monitor's processing thread calls :meth:`PelvisFeed.feed`,
:meth:`PelvisFeed.add_stance` and :meth:`PelvisFeed.mark_static`; any thread calls
:meth:`PelvisFeed.view`, which returns copies.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from gaitlab.analysis.online.pelvis import DropResult, LivePelvis, LivePelvisParams, PelvisCalibration
from gaitlab.analysis.pelvis.sensor import PelvisImu, find_pelvis_imu
from gaitlab.streams import StreamSpec

KEEP_RESULTS = 400  # per side, for the views


@dataclass
class PelvisView:
    key: str  # the IMU stream
    location: str  # the sensor's label (SACRUM, …)
    status: str  # what the tracker is doing (learning, tracking, …)
    t: np.ndarray  # obliquity trace, the IMU stream's stamps (s)
    obliquity_deg: np.ndarray  # + = right side lower, relative to the standing posture
    drops: dict[str, list[DropResult]] = field(default_factory=dict)  # stance side -> newest last
    calibration: PelvisCalibration | None = None
    reference: str = ""  # "static" | "run_mean" | "" (not calibrated yet)


def pelvis_sensor(spec: StreamSpec) -> tuple[PelvisImu | None, str]:
    """The pelvis sensor of an IMU stream, or None and why not (one line)."""
    return find_pelvis_imu(spec.labels, [c.unit for c in spec.channels], [c.type for c in spec.channels])


class PelvisFeed:
    """One sacral IMU stream feeding one :class:`LivePelvis`.

    ``ring_scale``: the factor per channel that the monitor's ring already applied (1 for
    units it does not convert), so that the sensor's own unit factors are applied once."""

    def __init__(self, key: str, spec: StreamSpec, sensor: PelvisImu, ring_scale: np.ndarray,
                 params: LivePelvisParams | None = None):
        self.key = key
        self.sensor = sensor
        scale = np.asarray(ring_scale, np.float64)
        self._acc = (list(sensor.acc_cols), sensor.acc_scale / scale[list(sensor.acc_cols)])
        self._gyr = (list(sensor.gyr_cols), sensor.gyr_scale / scale[list(sensor.gyr_cols)])
        self.tracker = LivePelvis(spec.nominal_srate, params)
        self._lock = threading.Lock()
        self._drops: dict[str, dict[int, DropResult]] = {"L": {}, "R": {}}
        self._given: set[int] = set()

    def feed(self, t: np.ndarray, x: np.ndarray) -> None:
        (ca, fa), (cg, fg) = self._acc, self._gyr
        acc = x[:, ca].astype(np.float64) * fa
        gyr = x[:, cg].astype(np.float64) * fg
        with self._lock:  # the tracker's trace is read by view() on another thread
            self._keep(self.tracker.feed(gyr, acc, t))

    def add_stance(self, index: int, side: str, ic: float, to: float) -> None:
        """A confirmed running contact, its times already on the IMU stream's clock."""
        with self._lock:
            self._given.add(index)
            self._keep(self.tracker.add_stance(index, side, ic, to))

    def given(self, index: int) -> bool:
        return index in self._given

    def mark_static(self, start: float, end: float) -> None:
        with self._lock:
            self.tracker.mark_static(start, end)

    def view(self, seconds: float = 10.0) -> PelvisView:
        with self._lock:
            t, o = self.tracker.obliquity(seconds)
            drops = {s: [d[i] for i in sorted(d)] for s, d in self._drops.items()}
            cal = self.tracker.calibration
            return PelvisView(self.key, self.sensor.location, self.tracker.status, t, o, drops, cal,
                              cal.reference if cal is not None else "")

    def _keep(self, results: list[DropResult]) -> None:
        """(under the lock)"""
        for r in results:
            for other in self._drops.values():  # a revised contact may have changed side
                other.pop(r.index, None)
            d = self._drops[r.side]
            d[r.index] = r
            if len(d) > KEEP_RESULTS:
                for i in sorted(d)[:-KEEP_RESULTS]:
                    del d[i]
