"""Pelvis orientation from a sacral IMU (6-axis: gyroscope + accelerometer).

Pure functions over arrays: ``gyr`` (n, 3) in rad/s and ``acc`` (n, 3) in m/s² (specific
force: + g upward at rest), in the sensor's own axes, sampled at ``fs`` Hz.

1. **Still period** — the standing seconds just before the run (:func:`find_still`), or given.
2. **Gyro bias** — the mean angular velocity over that period, subtracted before fusion.
3. **Fusion** — sensor orientation in an earth frame with Z up (heading arbitrary) by VQF
   (Laidig & Seel 2023) or Fusion (imufusion, Madgwick's revised AHRS); see docs/validation.md
   for the measured choice.
4. **Alignment** — the pelvis frame in sensor axes: vertical from gravity during the still
   period; forward from the running itself (:func:`forward_direction`: the fore–aft line of
   the pelvis's acceleration, its sign from braking: the pelvis decelerates in the first half of
   each stance and is propelled in the second).
   A sensor taped on crooked or upside down therefore still gives the pelvis's angles.
5. The same rotation–obliquity–tilt decomposition as for markers (:mod:`.angles`).

Heading drift of 6-axis fusion does not reach obliquity: in this Cardan order obliquity is
the elevation of the pelvis's mediolateral axis, which needs only the vertical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from gaitlab.analysis.pelvis.angles import PelvisAngles, cardan_rot_obl_tilt, quat_to_matrix

G = 9.80665
FUSION_METHODS = ("vqf", "vqf-online", "imufusion")


@dataclass
class ImuPelvis:
    angles: PelvisAngles
    reference: str  # "static" (standing period) or "run_mean"
    still: tuple[int, int] | None  # sample range [start, stop) of the standing period used
    gyro_bias_rad_s: np.ndarray
    forward_sign_from: str  # "stance_braking" | "braking" | "given"
    info: dict[str, Any] = field(default_factory=dict)


def _moving(x: np.ndarray, w: int) -> np.ndarray:
    return ndimage.uniform_filter1d(x, size=max(1, w), axis=0, mode="nearest")


def still_spans(gyr: np.ndarray, acc: np.ndarray, fs: float, min_s: float = 2.0,
                gyr_max_rad_s: float = 0.1, acc_sd_max: float = 0.2, window_s: float = 0.5
                ) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Still stretches of at least ``min_s`` seconds, as [start, stop) sample ranges, and the
    per-sample still mask: the 0.5-s moving mean of the angular speed below ``gyr_max_rad_s``
    and the moving SD of the specific-force magnitude below ``acc_sd_max`` (m/s²)."""
    if len(gyr) == 0:
        return [], np.zeros(0, dtype=bool)
    w = round(window_s * fs)
    speed = _moving(np.linalg.norm(gyr, axis=1), w)
    mag = np.linalg.norm(acc, axis=1)
    sd = np.sqrt(np.maximum(_moving(mag**2, w) - _moving(mag, w) ** 2, 0.0))
    still = (speed < gyr_max_rad_s) & (sd < acc_sd_max) & np.isfinite(speed) & np.isfinite(sd)
    lab, _ = ndimage.label(still)
    # keep clear of the half-window that reaches into the movement on either side
    spans = [(int(sl.start) + w // 2, int(sl.stop) - w // 2) for (sl,) in ndimage.find_objects(lab)]
    return [(a, b) for a, b in spans if b - a >= min_s * fs], still


def find_still(gyr: np.ndarray, acc: np.ndarray, fs: float, min_s: float = 2.0,
               gyr_max_rad_s: float = 0.1, acc_sd_max: float = 0.2, window_s: float = 0.5
               ) -> tuple[int, int] | None:
    """Quiet standing before the run: of the :func:`still_spans`, the last one that ends before
    the longest moving stretch (the run) starts, so that lying on a plinth for a strength test
    earlier in the session is not taken for the standing posture; with no still stretch before
    the run, the longest one. Returns [start, stop) or None."""
    spans, still = still_spans(gyr, acc, fs, min_s, gyr_max_rad_s, acc_sd_max, window_s)
    if not spans:
        return None
    moving = [sl for (sl,) in ndimage.find_objects(ndimage.label(~still)[0])]
    if moving:
        run = max(moving, key=lambda sl: sl.stop - sl.start)
        before = [sp for sp in spans if sp[1] <= run.start]
        if before:
            return before[-1]
    return max(spans, key=lambda sp: sp[1] - sp[0])


def fuse(gyr: np.ndarray, acc: np.ndarray, fs: float, method: str = "vqf") -> np.ndarray:
    """Sensor-to-earth rotation matrices (n, 3, 3), earth Z up, by 6-axis fusion."""
    g = np.ascontiguousarray(gyr, dtype=np.float64)
    a = np.ascontiguousarray(acc, dtype=np.float64)
    if method == "vqf":
        from vqf import offlineVQF

        q = offlineVQF(g, a, None, 1.0 / fs)["quat6D"]
    elif method == "vqf-online":
        from vqf import VQF

        q = VQF(1.0 / fs).updateBatch(g, a)["quat6D"]
    elif method == "imufusion":
        import imufusion

        ahrs = imufusion.Ahrs()
        # acceleration rejection as in the library's own advanced example (10°, 5 s timeout):
        # with the defaults (no rejection) running accelerations tilt the estimate by degrees
        ahrs.set_settings(imufusion.AhrsSettings(sample_rate=fs, gain=0.5, acceleration_rejection=10.0,
                                                 rejection_timeout=round(5 * fs)))
        gd, ag = np.degrees(g), a / G
        q = np.empty((g.shape[0], 4))
        for i in range(g.shape[0]):
            ahrs.update_no_magnetometer(gd[i], ag[i])
            q[i] = ahrs.get_quaternion()
    else:
        raise ValueError(f"unknown fusion method {method!r} (one of {', '.join(FUSION_METHODS)})")
    return quat_to_matrix(q)


def _stance_mask(t: np.ndarray, ic: np.ndarray, to: np.ndarray) -> np.ndarray:
    m = np.zeros(t.size, dtype=bool)
    for a, b in zip(ic, to, strict=True):
        if np.isfinite(a) and np.isfinite(b) and b > a:
            m[np.searchsorted(t, a):np.searchsorted(t, b)] = True
    return m


def stride_period(vertical_acc: np.ndarray, fs: float, moving: np.ndarray) -> float:
    """Stride period (s) of running: twice the step period, the first autocorrelation peak of
    the vertical acceleration between 0.25 and 0.5 s."""
    v = np.where(moving, vertical_acc, 0.0)
    v = v - v[moving].mean()
    n = v.size
    spec = np.fft.rfft(v, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[:n]
    lo, hi = round(0.25 * fs), min(round(0.5 * fs), n - 1)
    return 2.0 * (lo + int(np.argmax(ac[lo:hi]))) / fs


def _principal(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=0)
    return np.linalg.eigh(x.T @ x)[1][:, -1]


def forward_direction(r: np.ndarray, acc: np.ndarray, fs: float, moving: np.ndarray,
                      contacts: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
                      ) -> tuple[np.ndarray, str, dict[str, float]]:
    """Direction of progression in the fusion's earth frame (horizontal unit vector).

    The pelvis's horizontal acceleration is split, with the stride period T, into its
    step-symmetric part a(t) + a(t + T/2) (fore–aft: braking and propulsion repeat every step)
    and its step-antisymmetric part a(t) − a(t + T/2) (side to side: it reverses between left
    and right steps). The principal axis of the first is the fore–aft line, that of the second
    the mediolateral line; on the real trials each alone is off by 1–13° in opposite senses
    (docs/validation.md), so their bisector is used. The sign: from the stance sides if the
    contacts are known: the pelvis brakes in the first half of a stance and is propelled in the
    second (true in 86–100 % of the real trials' stances); else from the same braking seen
    without contacts: the fore–aft acceleration is negative while the vertical one rises."""
    lin = np.einsum("nij,nj->ni", r, acc) - np.array([0.0, 0.0, G])
    t = np.arange(acc.shape[0]) / fs
    have_sides = contacts is not None and all(len(contacts[s][0]) > 2 for s in ("L", "R"))
    if have_sides:
        assert contacts is not None
        period = float(np.nanmedian(np.r_[np.diff(contacts["L"][0]), np.diff(contacts["R"][0])]))
    else:
        period = stride_period(lin[:, 2], fs, moving)
    k = max(1, round(0.5 * period * fs))
    both = moving[:-k] & moving[k:]
    h0, h1 = lin[:-k, :2][both], lin[k:, :2][both]
    f_even = _principal(h0 + h1)
    ml = _principal(h0 - h1)
    f_odd = np.array([-ml[1], ml[0]])
    if f_odd @ f_even < 0:
        f_odd = -f_odd
    f = np.r_[f_even + f_odd, 0.0]
    f /= np.linalg.norm(f)
    info = {"stride_s": period,
            "even_vs_odd_deg": float(np.degrees(np.arccos(np.clip(f_odd @ f_even, -1.0, 1.0))))}
    ap = lin[:, :2] @ f[:2]
    if have_sides:  # braking in the first half of each stance, propulsion in the second
        assert contacts is not None
        diff = []
        for side in ("L", "R"):
            for a, b in zip(*contacts[side], strict=True):
                if np.isfinite(a) and np.isfinite(b) and b > a:
                    i0, im, i1 = np.searchsorted(t, [a, 0.5 * (a + b), b])
                    if im - i0 > 1 and i1 - im > 1 and moving[i0:i1].all():
                        diff.append(ap[i0:im].mean() - ap[im:i1].mean())
        if diff:
            d = np.asarray(diff)
            info["braking_first_share"] = float(np.mean(d < 0))
            return (-f if d.mean() > 0 else f), "stance_braking", info
    dv = np.gradient(_moving(lin[:, 2], round(0.02 * fs)), 1.0 / fs)
    c = float(np.corrcoef(ap[moving], dv[moving])[0, 1])
    info["braking_corr"] = c
    return (-f if c > 0 else f), "braking", info


def pelvis_axes(r: np.ndarray, acc: np.ndarray, fs: float, ref: slice | np.ndarray,
                moving: np.ndarray, contacts: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
                forward_sensor: np.ndarray | None = None) -> tuple[np.ndarray, str, dict[str, Any]]:
    """The pelvis's axes in sensor coordinates, as columns (forward, up, right), from the fused
    orientations ``r`` (sensor to earth, Z up): up = the mean vertical over the reference
    samples ``ref`` (the standing period, or the run), forward = ``forward_sensor`` if given,
    else :func:`forward_direction` over the ``moving`` samples, made horizontal. Also how the
    forward sign was found and the details."""
    up_s = np.einsum("nji,j->ni", r[ref], [0.0, 0.0, 1.0]).mean(axis=0)
    up_s /= np.linalg.norm(up_s)
    info: dict[str, Any] = {}
    if forward_sensor is not None:
        fwd_s = np.asarray(forward_sensor, dtype=np.float64)
        how = "given"
    else:
        f_e, how, info = forward_direction(r, acc, fs, moving, contacts)
        fwd_s = np.einsum("nji,j->ni", r[ref], f_e).mean(axis=0)
    fwd_s = fwd_s - (fwd_s @ up_s) * up_s
    fwd_s /= np.linalg.norm(fwd_s)
    info["forward_sensor"] = fwd_s
    info["up_sensor"] = up_s
    return np.column_stack([fwd_s, up_s, np.cross(fwd_s, up_s)]), how, info


def obliquity_of(r: np.ndarray, axes_sensor: np.ndarray) -> np.ndarray:
    """Obliquity (degrees, + = right side lower) from sensor-to-earth rotations ``r`` (n, 3, 3)
    and the pelvis axes in sensor coordinates (:func:`pelvis_axes`): the elevation of the
    pelvis's right axis, the same value as the rotation–obliquity–tilt decomposition's (it
    needs no heading)."""
    right_up = np.einsum("nj,j->n", r[:, 2, :], axes_sensor[:, 2])
    return np.degrees(np.arcsin(np.clip(-right_up, -1.0, 1.0)))


def imu_pelvis(gyr: np.ndarray, acc: np.ndarray, fs: float, method: str = "vqf",
               still: tuple[int, int] | str | None = "auto",
               contacts: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
               forward_sensor: np.ndarray | None = None) -> ImuPelvis:
    """Pelvis angles from a sacral IMU. ``still``: [start, stop) samples of quiet standing,
    ``"auto"`` to find it, or None for none (angles then relative to the run's mean posture).
    ``contacts``: per side ("L"/"R") arrays of initial-contact and toe-off times in seconds
    from the first sample. ``forward_sensor``: the forward direction in sensor axes, if known."""
    gyr = np.asarray(gyr, dtype=np.float64)
    acc = np.asarray(acc, dtype=np.float64)
    if gyr.shape != acc.shape or gyr.ndim != 2 or gyr.shape[1] != 3:
        raise ValueError("gyr and acc must both be (n, 3)")
    if still == "auto":
        still = find_still(gyr, acc, fs)
    bias = np.zeros(3)
    if still is not None:
        a, b = still
        bias = gyr[a:b].mean(axis=0)
    r = fuse(gyr - bias, acc, fs, method)
    moving = np.ones(gyr.shape[0], dtype=bool)
    if still is not None:
        moving[still[0]:still[1]] = False
    ref = slice(*still) if still is not None else moving
    c, how, info = pelvis_axes(r, acc, fs, ref, moving, contacts, forward_sensor)
    body = r @ c  # pelvis axes in the earth frame (Z up)
    # earth frame -> ISB lab axes (forward, up, right) with forward = the body's mean heading
    x0 = body[ref, :, 0].mean(axis=0)
    lab = np.column_stack([np.r_[x0[:2], 0.0], [0.0, 0.0, 1.0], np.zeros(3)])
    lab[:, 0] /= np.linalg.norm(lab[:, 0])
    lab[:, 2] = np.cross(lab[:, 0], lab[:, 1])
    p = np.einsum("ji,njk->nik", lab, body)
    return ImuPelvis(cardan_rot_obl_tilt(p), "static" if still is not None else "run_mean",
                     still, bias, how, info)
