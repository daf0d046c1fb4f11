"""The running foot as seen by a pressure treadmill: a few isotropic Gaussian blobs.

Foot frame: origin at the heel centre, ``u`` forward along the foot's long axis,
``v`` toward the foot's lateral side (metres, for a 0.26 m foot; scaled linearly with
foot length). Each blob carries a share of the vertical force that depends only on
the normalised stance phase ``phi`` in [0, 1] (heel falls, forefoot rises); after
``phi = RIGID_FROM`` the pattern no longer changes shape, only its total force.

Isotropic blobs stay separable in x and y after rotation by the foot progression
angle, so each can be integrated exactly over sensor cells with erf differences.
"""

from __future__ import annotations

import numpy as np

REF_FOOT_M = 0.26
BLOB_NAMES = ("heel", "lateral_midfoot", "medial_metatarsals", "lateral_metatarsals", "hallux")
BLOB_U = np.array([0.0, 0.075, 0.150, 0.140, 0.200])
BLOB_V = np.array([0.0, 0.025, -0.018, 0.022, -0.020])
BLOB_SIGMA = np.array([0.020, 0.016, 0.015, 0.015, 0.011])
RIGID_FROM = 0.55
GRF_EXPONENT = 0.6  # F(phi) = peak * sin(pi*phi)**0.6: steep rise after initial contact


def _smoothstep(x: np.ndarray, a: float, b: float) -> np.ndarray:
    s = np.clip((x - a) / (b - a), 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def blob_fractions(phi: np.ndarray) -> np.ndarray:
    """Share of the vertical force on each blob, shape ``phi.shape + (5,)``, rows sum to 1."""
    phi = np.asarray(phi, dtype=float)
    w = np.stack(
        [
            1.0 - _smoothstep(phi, 0.05, 0.50),
            0.6 * _smoothstep(phi, 0.0, 0.20) * (1.0 - _smoothstep(phi, 0.30, RIGID_FROM)),
            0.5 * _smoothstep(phi, 0.10, 0.50),
            0.5 * _smoothstep(phi, 0.10, 0.50),
            0.4 * _smoothstep(phi, 0.25, RIGID_FROM),
        ],
        axis=-1,
    )
    return w / w.sum(axis=-1, keepdims=True)


def grf_shape(phi: np.ndarray) -> np.ndarray:
    """Vertical force over stance as a fraction of its peak (0 outside [0, 1])."""
    phi = np.asarray(phi, dtype=float)
    inside = (phi > 0) & (phi < 1)
    return np.where(inside, np.abs(np.sin(np.pi * np.clip(phi, 0, 1))) ** GRF_EXPONENT, 0.0)


def blob_geometry(foot_length_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blob (u, v, sigma) in metres for a foot of the given length."""
    k = foot_length_m / REF_FOOT_M
    return BLOB_U * k, BLOB_V * k, BLOB_SIGMA * k


def lateral_centroid_offset(foot_length_m: float, progression_rad: float, n: int = 20001) -> float:
    """Stance-averaged, force-weighted lateral offset (m) of the pressure centroid from the heel.

    The ML pressure centroid of a whole contact is ``x_heel + side_sign * offset``; it
    is computed by fine quadrature of the continuous model (not from a sensor grid),
    and is the same for every contact because blob shares depend only on phase.
    """
    phi = (np.arange(n) + 0.5) / n
    weights = grf_shape(phi)[:, None] * blob_fractions(phi)
    share = weights.sum(axis=0) / weights.sum()
    u, v, _ = blob_geometry(foot_length_m)
    dx = u * np.sin(progression_rad) + v * np.cos(progression_rad)
    return float(np.dot(share, dx))


def blob_centres(
    x_heel: np.ndarray, y_heel: np.ndarray, side_sign: np.ndarray, progression_rad: float,
    foot_length_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Belt coordinates (x across from the left edge, y back from the front edge) of each blob.

    Inputs are per-frame arrays of shape (n,); outputs have shape (n, 5). The foot
    points forward (toward y = 0), toes turned out by ``progression_rad``.
    """
    u, v, _ = blob_geometry(foot_length_m)
    s = np.asarray(side_sign, dtype=float)[:, None]
    sin, cos = np.sin(progression_rad), np.cos(progression_rad)
    # forward = (s*sin, -cos); lateral = (s*cos, sin)
    bx = x_heel[:, None] + s * (u * sin + v * cos)
    by = y_heel[:, None] - u * cos + v * sin
    return bx, by
