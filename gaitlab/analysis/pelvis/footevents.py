"""Foot contacts of treadmill running from foot-marker kinematics, where no force or pressure
data exists (after Zeni et al. 2008, Gait Posture 27:710, who used the heel and toe markers'
fore–aft position relative to the sacrum).

Initial contact: the heel marker's most forward position relative to the pelvis (Zeni).
Toe-off: where the toe marker's height is known, the moment it has risen ``clearance_m``
(2 cm) above its lowest point of that stance (Zeni's most rearward toe position comes
100–130 ms late in running: measured against the force plate in docs/validation.md); else
the toe's (or, with no toe marker, the heel's) most rearward position relative to the pelvis.
Positions along the direction of progression. Pure functions over arrays; ``t`` in seconds.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks


def _extrema(t: np.ndarray, y: np.ndarray, min_stride_s: float) -> np.ndarray:
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return np.empty(0)
    yy = np.interp(t, t[ok], y[ok])
    fs = 1.0 / np.median(np.diff(t))
    amp = np.nanpercentile(yy, 95) - np.nanpercentile(yy, 5)
    pk, _ = find_peaks(yy, distance=max(1, int(min_stride_s * fs)), prominence=0.3 * amp)
    # parabolic refinement to sub-sample time
    out = t[pk].astype(np.float64)
    inner = (pk > 0) & (pk < yy.size - 1)
    i = pk[inner]
    den = yy[i - 1] - 2 * yy[i] + yy[i + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(den != 0, 0.5 * (yy[i - 1] - yy[i + 1]) / den, 0.0)
    out[inner] += np.clip(frac, -0.5, 0.5) / fs
    return out[ok[pk]]


def _clearance_toe_off(t: np.ndarray, ic: np.ndarray, height: np.ndarray, clearance_m: float,
                       max_stance_s: float) -> np.ndarray:
    to = np.full(ic.size, np.nan)
    h = np.asarray(height, dtype=np.float64)
    for k, a in enumerate(ic):
        i0, i1 = np.searchsorted(t, a), np.searchsorted(t, a + max_stance_s)
        w = h[i0:i1]
        if w.size < 3 or not np.all(np.isfinite(w)):
            continue
        j = int(np.argmin(w))
        above = np.flatnonzero(w[j:] > w[j] + clearance_m)
        if above.size:
            m = i0 + j + int(above[0])
            y0, y1 = h[m - 1], h[m]
            to[k] = t[m - 1] + (w[j] + clearance_m - y0) / (y1 - y0) * (t[m] - t[m - 1])
    return to


def foot_contacts(t: np.ndarray, heel_ap: np.ndarray, toe_ap: np.ndarray | None = None,
                  toe_height: np.ndarray | None = None, clearance_m: float = 0.02,
                  min_stride_s: float = 0.45, max_stance_s: float = 0.6
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(IC, TO) times of one foot from the fore–aft positions (relative to the pelvis, +
    forward) of its heel and toe markers and, if known, the toe marker's height (+ up).
    Each IC gets the first TO within ``max_stance_s`` after it (NaN if none)."""
    t = np.asarray(t, dtype=np.float64)
    ic = _extrema(t, np.asarray(heel_ap, float), min_stride_s)
    if toe_height is not None:
        return ic, _clearance_toe_off(t, ic, toe_height, clearance_m, max_stance_s)
    back = -np.asarray(toe_ap if toe_ap is not None else heel_ap, dtype=np.float64)
    to_all = _extrema(t, back, min_stride_s)
    to = np.full(ic.size, np.nan)
    j = np.searchsorted(to_all, ic, side="right")
    has = j < to_all.size
    cand = np.where(has, to_all[np.minimum(j, max(to_all.size - 1, 0))] if to_all.size else np.nan, np.nan)
    good = has & (cand - ic <= max_stance_s)
    to[good] = cand[good]
    return ic, to
