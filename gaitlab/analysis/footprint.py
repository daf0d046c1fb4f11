"""Foot progression angle (FPA) from a contact's footprint on a pressure treadmill.

Definition (the footprint convention of clinical pressure-plate systems, after Cavanagh &
Rodgers 1987): the footprint is the contact's maximum-pressure image, every sensor loaded
at some instant of the stance; the foot's long axis runs from the HEEL CENTRE to the
FOREFOOT CENTRE, both geometric (not pressure-weighted) centroids of footprint regions
cut across that axis at fixed fractions of the footprint's length: the heel is the rear
``heel_frac`` of it, the forefoot the band ``fore_band`` (the metatarsal heads; the toes
in front are left out, as the hallux sits medially). The axis and the regions depend on
each other, so they are found by a few fixed-point iterations starting from the direction
of travel. FPA is the angle between the axis and the direction of travel (toward row 0,
the belt's front edge), in degrees, positive for TOE-OUT on either side: for a right foot
the forefoot lies right of the heel (+x), for a left foot left of it.

Geometric centroids are used because pressure weighting pulls the forefoot centre toward
the loaded hallux and first metatarsal head, which reads a toed-out foot several degrees
too straight (``pressure.Contacts.toe_angle_deg``).

On a treadmill the foot rides the belt backward over the fixed sensors during stance
(~0.8 m at 3 m/s), so the plain maximum image is a streak: :func:`belt_footprint` first
moves each loaded sensor-frame forward by the belt travel since initial contact and keeps,
per contact, the maximum of every sensor cell of the belt's frame — the footprint a
pressure plate would see. :func:`foot_progression_angle` then takes sparse footprints —
(row, col) and peak value per cell, a contact id per cell — so many contacts are done at
once with grouped sums (no loop over sensors or contacts); :func:`fpa_of_image` takes one
dense image.
"""

from __future__ import annotations

import numpy as np

from gaitlab.errors import GaitlabError

HEEL_FRAC = 0.3  # rear 30 % of the footprint length
FORE_BAND = (0.6, 0.85)  # forefoot: 60–85 % of the length from the heel (toes excluded)
N_ITER = 4
MIN_SENSORS = 6  # fewer loaded sensors: no angle (NaN)


def foot_progression_angle(rows: np.ndarray, cols: np.ndarray, peak: np.ndarray,
                           contact: np.ndarray, side_sign: np.ndarray, row_pitch_m: float,
                           col_pitch_m: float, threshold: float = 0.0,
                           heel_frac: float = HEEL_FRAC,
                           fore_band: tuple[float, float] = FORE_BAND) -> np.ndarray:
    """FPA (degrees, toe-out +) of each contact from its loaded sensors.

    ``rows``, ``cols``, ``peak`` and ``contact`` are per loaded sensor (a sensor appears once
    per contact, with its peak over the contact); ``contact`` holds ids 0..n-1;
    ``side_sign`` is per contact, +1 right foot, −1 left foot (0 or NaN: unknown side, the
    angle is NaN). Sensors with ``peak <= threshold`` are not part of the footprint.
    Returns an (n,) array; contacts with fewer than ``MIN_SENSORS`` sensors give NaN.
    """
    rows, cols, peak, contact = (np.asarray(a).reshape(-1) for a in (rows, cols, peak, contact))
    side = np.asarray(side_sign, dtype=np.float64).reshape(-1)
    if not (rows.size == cols.size == peak.size == contact.size):
        raise GaitlabError("footprint: rows, cols, peak and contact ids differ in length")
    if not (row_pitch_m > 0 and col_pitch_m > 0):
        raise GaitlabError(f"footprint: sensor pitch {row_pitch_m} x {col_pitch_m} m; "
                           "the pressure stream's geometry must give positive pitches")
    n = side.size
    if contact.size and (contact.min() < 0 or contact.max() >= n):
        raise GaitlabError(f"footprint: contact ids outside 0..{n - 1}")
    keep = np.isfinite(peak) & (peak > threshold)
    c = contact[keep].astype(np.int64)
    x = (cols[keep] + 0.5) * col_pitch_m  # across the belt, + toward the runner's right
    y = (rows[keep] + 0.5) * row_pitch_m  # along the belt, + backward
    count = np.bincount(c, minlength=n).astype(np.float64)
    # forward unit vector per contact, starting with the direction of travel (−y)
    fx, fy = np.zeros(n), -np.ones(n)
    for _ in range(N_ITER):
        u = x * fx[c] + y * fy[c]  # position along the current axis
        umin = np.full(n, np.inf)
        umax = np.full(n, -np.inf)
        np.minimum.at(umin, c, u)
        np.maximum.at(umax, c, u)
        length = np.maximum(umax - umin, 1e-9)
        frac = (u - umin[c]) / length[c]
        hx, hy = _centroid(c, x, y, frac <= heel_frac, n)
        ax, ay = _centroid(c, x, y, (frac >= fore_band[0]) & (frac <= fore_band[1]), n)
        dx, dy = ax - hx, ay - hy
        norm = np.hypot(dx, dy)
        ok = np.isfinite(norm) & (norm > 0)
        fx = np.where(ok, dx / np.where(ok, norm, 1.0), 0.0)
        fy = np.where(ok, dy / np.where(ok, norm, 1.0), -1.0)
    ang = np.degrees(np.arctan2(side * fx, -fy))
    bad = (count < MIN_SENSORS) | ~ok | ~np.isin(side, (-1.0, 1.0))
    return np.where(bad, np.nan, ang)


def belt_footprint(contact: np.ndarray, t: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                   values: np.ndarray, t_ic: np.ndarray, belt_speed_mps: float,
                   row_pitch_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Footprints in the belt's frame from loaded sensor-frames of a treadmill.

    Per loaded sensor-frame: ``contact`` id, frame time ``t`` (s), sensor ``rows``/``cols``
    and value; ``t_ic`` per contact. The belt carries the foot backward (toward higher
    rows) at ``belt_speed_mps``, so a sample is moved back to where its belt point was at
    ``t_ic`` (rounded to the nearest row). Returns (contact, rows, cols, peak) per
    footprint cell, rows possibly negative (in front of the sensing area).
    """
    contact, t, rows, cols, values = (np.asarray(a).reshape(-1)
                                      for a in (contact, t, rows, cols, values))
    if not (contact.size == t.size == rows.size == cols.size == values.size):
        raise GaitlabError("footprint: contact, t, rows, cols and values differ in length")
    if not np.isfinite(belt_speed_mps) or row_pitch_m <= 0:
        raise GaitlabError(f"footprint: belt speed {belt_speed_mps} m/s, row pitch {row_pitch_m} m;"
                           " give the treadmill's belt speed and geometry")
    ok, rb = _belt_rows(contact, t, rows, t_ic, belt_speed_mps, row_pitch_m)
    ok &= np.isfinite(values)
    rb = rb[ok]
    c, cl, v = contact[ok].astype(np.int64), cols[ok].astype(np.int64), values[ok].astype(np.float64)
    if c.size == 0:
        e = np.empty(0, np.int64)
        return e, e, e, np.empty(0)
    cid, row, col, inv = distinct_cells(c, rb, cl)
    peak = np.full(cid.size, -np.inf)
    np.maximum.at(peak, inv, v)
    return cid, row, col, peak


def _belt_rows(contact: np.ndarray, t: np.ndarray, rows: np.ndarray, t_ic: np.ndarray,
               belt_speed_mps: float, row_pitch_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Row of each sensor-frame moved back to where its belt point was at its contact's IC
    (nearest row), and which of them have a finite one."""
    t_ic = np.asarray(t_ic, dtype=np.float64).reshape(-1)
    shift = np.rint(belt_speed_mps * (t - t_ic[contact.astype(np.int64)]) / row_pitch_m)
    ok = np.isfinite(shift)
    return ok, rows.astype(np.int64) - np.where(ok, shift, 0).astype(np.int64)


def distinct_cells(c: np.ndarray, r: np.ndarray, col: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (c, r, col) triples in increasing (c, r, col) order, and the index of each
    input's triple. A bitmap over the triples' bounding box (linear time) when that box is
    small next to the input, else a sort."""
    if c.size == 0:
        e = np.empty(0, np.int64)
        return e, e, e, e
    r0, c0 = int(r.min()), int(col.min())
    nrow, ncol = int(r.max()) - r0 + 1, int(col.max()) - c0 + 1
    key = (c * nrow + (r - r0)) * ncol + (col - c0)
    n_keys = (int(c.max()) + 1) * nrow * ncol
    if n_keys <= max(8 * key.size, 1 << 20):
        seen = np.zeros(n_keys, bool)
        seen[key] = True
        uk = np.flatnonzero(seen)
        slot = np.cumsum(seen, dtype=np.int64) - 1
        inv = slot[key]
    else:
        uk, inv = np.unique(key, return_inverse=True)
    cell, cc = np.divmod(uk, ncol)
    cid, rr = np.divmod(cell, nrow)
    return cid, rr + r0, cc + c0, inv.reshape(-1)


def _centroid(c: np.ndarray, x: np.ndarray, y: np.ndarray, m: np.ndarray, n: int
              ) -> tuple[np.ndarray, np.ndarray]:
    w = m.astype(np.float64)
    k = np.bincount(c, w, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(c, w * x, minlength=n) / k, np.bincount(c, w * y, minlength=n) / k


def fpa_of_image(image: np.ndarray, side_sign: float, row_pitch_m: float, col_pitch_m: float,
                 threshold: float = 0.0) -> float:
    """FPA (degrees, toe-out +) of one footprint image (rows × cols, row 0 = front edge,
    col 0 = runner's left), e.g. the maximum over the contact's frames."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise GaitlabError(f"footprint: image of shape {img.shape}; expected rows × cols")
    r, col = np.nonzero(img > threshold)
    return float(foot_progression_angle(r, col, img[r, col], np.zeros(r.size, int),
                                        np.array([side_sign]), row_pitch_m, col_pitch_m,
                                        threshold)[0])
