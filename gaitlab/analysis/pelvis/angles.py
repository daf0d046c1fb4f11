"""Pelvis orientation to clinical angles: the rotation–obliquity–tilt Cardan sequence.

Pure functions over arrays. Rotation matrices are ``(..., 3, 3)`` with the body axes as
columns, expressed in a lab frame. The decomposition works in the ISB axes of that lab
(Wu et al. 2002): X forward (direction of progression), Y up, Z to the runner's right.

Baker (2001, Gait Posture 13:1) showed that the order matters: with the rotation about the
vertical first, then obliquity about the (rotated) forward axis, then tilt about the pelvis's
own mediolateral axis, obliquity is simply the elevation of the pelvis's mediolateral axis
above the horizontal plane and is not contaminated by pelvic rotation; the tilt-first order can
report several degrees of obliquity that the pelvis does not have. In that order

    P = Ry(rotation) · Rx(obliquity) · Rz(tilt)

so sin(obliquity) = −(pelvis Z axis)·up. Sign conventions of the returned angles (degrees):
``obliquity`` + = the pelvis's **right side lower** than its left; ``tilt`` + = anterior tilt;
``rotation`` + = the pelvis faces to the left of the progression (right side forward).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PelvisAngles:
    rotation_deg: np.ndarray
    obliquity_deg: np.ndarray  # + = right side lower
    tilt_deg: np.ndarray  # + = anterior


def lab_axes(forward: np.ndarray, up: np.ndarray) -> np.ndarray:
    """ISB lab frame as columns (forward, up, right) in lab coordinates: ``up`` is kept,
    ``forward`` is made horizontal (orthogonal to up), right = forward × up."""
    u = np.asarray(up, dtype=np.float64)
    u = u / np.linalg.norm(u)
    f = np.asarray(forward, dtype=np.float64)
    f = f - (f @ u) * u
    n = np.linalg.norm(f)
    if not np.isfinite(n) or n < 1e-9:
        raise ValueError("the forward direction is vertical or undefined")
    f = f / n
    return np.column_stack([f, u, np.cross(f, u)])


def cardan_rot_obl_tilt(p: np.ndarray) -> PelvisAngles:
    """Angles of rotation matrices ``p`` (..., 3, 3) already expressed in ISB lab axes
    (X forward, Y up, Z right). NaN matrices give NaN angles."""
    p = np.asarray(p, dtype=np.float64)
    s = np.clip(-p[..., 1, 2], -1.0, 1.0)
    obl = np.degrees(np.arcsin(s))
    rot = np.degrees(np.arctan2(p[..., 0, 2], p[..., 2, 2]))
    # Ry·Rx leave the vertical component unchanged, so row Y of P is (cos b sin c, cos b cos c, −sin b)
    tilt = -np.degrees(np.arctan2(p[..., 1, 0], p[..., 1, 1]))
    return PelvisAngles(rot, obl, tilt)


def relative_to(a: np.ndarray, a_ref: np.ndarray) -> np.ndarray:
    """Orientation of the body-fixed frame that coincided with the lab axes at the reference
    posture: ``A(t) · A_ref^T``. With the static standing posture as reference, the
    standing posture reads 0 in every angle."""
    return np.einsum("...ij,kj->...ik", np.asarray(a, float), np.asarray(a_ref, float))


def in_lab_axes(p: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """Express lab-frame rotations ``p`` in the ISB lab axes ``lab`` (columns, from
    :func:`lab_axes`): L^T · P · L."""
    return np.einsum("ji,...jk,kl->...il", lab, np.asarray(p, float), lab)


def mean_rotation(r: np.ndarray) -> np.ndarray:
    """Chordal L2 mean of rotation matrices (nearest rotation to their arithmetic mean);
    NaN entries are ignored."""
    r = np.asarray(r, dtype=np.float64).reshape(-1, 3, 3)
    ok = np.all(np.isfinite(r), axis=(1, 2))
    if not ok.any():
        raise ValueError("no finite orientation to average")
    return nearest_rotation(r[ok].mean(axis=0))


def nearest_rotation(m: np.ndarray) -> np.ndarray:
    """Closest proper rotation to ``m`` (..., 3, 3) in the Frobenius norm (SVD)."""
    u, _, vt = np.linalg.svd(m)
    d = np.sign(np.linalg.det(u @ vt))
    u = u.copy()
    u[..., :, -1] *= d[..., None]
    return u @ vt


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Unit quaternions ``(..., 4)`` as (w, x, y, z) to rotation matrices (..., 3, 3)."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = (q[..., i] for i in range(4))
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1),
    ], axis=-2)
