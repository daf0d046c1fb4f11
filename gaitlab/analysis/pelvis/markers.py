"""Pelvis orientation from optical markers: ASIS/PSIS landmarks (ISB) or a rigid cluster.

Pure functions over marker trajectories ``(n_frames, 3)`` in one lab frame (any unit; NaN
= marker not seen in that frame).

Landmarks (Wu et al. 2002, J Biomech 35:543, the ISB pelvis): origin midway between the
ASISs; Z (right) along the line from the left to the right ASIS; X (anterior) in the plane
of the two ASISs and the mid-point of the PSISs, orthogonal to Z; Y (superior) = Z × X.
A sacral marker (SACR) stands in for the mid-PSIS where the PSISs are not labelled.

Cluster: a rigid plate of ≥ 3 markers on the pelvis gives a technical frame; it is used
relative to the static standing trial (the frame is then the pelvis's up to a constant that
the static posture removes, because the standing pelvis is taken as level and facing the
progression — the same assumption that aligns a sacral IMU).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from gaitlab.analysis.pelvis.angles import (
    PelvisAngles,
    cardan_rot_obl_tilt,
    in_lab_axes,
    lab_axes,
    mean_rotation,
    relative_to,
)

_SIDE = {"L": "L", "LEFT": "L", "R": "R", "RIGHT": "R"}
_LANDMARK = {"ASIS": "ASIS", "ASI": "ASIS", "PSIS": "PSIS", "PSI": "PSIS"}
_SACRUM = {"SACR", "SACRUM", "SACRAL", "SAC", "S1"}


def canonical_label(label: str) -> str | None:
    """'L_ASIS', 'LASI', 'L.ASIS', 'Subject:LASI', 'LeftASIS', 'ASIS_L' -> 'L_ASIS'
    (likewise R_/PSIS); 'SACR'/'S1' -> 'SACRUM'; anything else -> None."""
    s = label.rsplit(":", 1)[-1].upper()
    parts = [p for p in re.split(r"[^A-Z0-9]+", s) if p]
    joined = "".join(parts)
    if joined in _SACRUM:
        return "SACRUM"
    for side_word in sorted(_SIDE, key=len, reverse=True):
        for lm_word, lm in _LANDMARK.items():
            if joined in (side_word + lm_word, lm_word + side_word):
                return f"{_SIDE[side_word]}_{lm}"
    return None


def find_pelvis_markers(labels: list[str]) -> dict[str, int]:
    """Indices of the pelvis landmarks among ``labels`` by canonical name (first match wins)."""
    out: dict[str, int] = {}
    for i, lab in enumerate(labels):
        c = canonical_label(lab)
        if c is not None and c not in out:
            out[c] = i
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def isb_frame(lasis: np.ndarray, rasis: np.ndarray, mid_psis: np.ndarray) -> np.ndarray:
    """ISB pelvis axes (n, 3, 3), columns X anterior, Y superior, Z right, in lab coordinates."""
    la, ra, mp = (np.asarray(v, dtype=np.float64) for v in (lasis, rasis, mid_psis))
    z = _unit(ra - la)
    v = 0.5 * (la + ra) - mp  # points forward, in the ASIS–mid-PSIS plane
    x = _unit(v - np.sum(v * z, axis=-1, keepdims=True) * z)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


def landmark_frame(markers: Mapping[str, np.ndarray]) -> np.ndarray:
    """ISB pelvis frame from canonical landmark trajectories (``L_ASIS``, ``R_ASIS`` and either
    both PSISs or ``SACRUM``)."""
    missing = [k for k in ("L_ASIS", "R_ASIS") if k not in markers]
    if missing:
        raise KeyError(f"pelvis markers missing: {', '.join(missing)}")
    if "L_PSIS" in markers and "R_PSIS" in markers:
        mp = 0.5 * (np.asarray(markers["L_PSIS"], float) + np.asarray(markers["R_PSIS"], float))
    elif "SACRUM" in markers:
        mp = np.asarray(markers["SACRUM"], float)
    else:
        raise KeyError("pelvis markers missing: L_PSIS and R_PSIS (or SACRUM)")
    return isb_frame(markers["L_ASIS"], markers["R_ASIS"], mp)


def cluster_frame(points: np.ndarray) -> np.ndarray:
    """Technical frame (n, 3, 3) of a rigid cluster ``points`` (n, k ≥ 3, 3): first axis from the
    centroid of the cluster to its first marker, second in the plane of the first two markers
    and the centroid, third their cross product."""
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 3 or p.shape[1] < 3:
        raise ValueError("a cluster needs at least 3 markers")
    c = p.mean(axis=1)
    a = _unit(p[:, 0] - c)
    b = p[:, 1] - c
    b = _unit(b - np.sum(b * a, axis=-1, keepdims=True) * a)
    return np.stack([a, b, np.cross(a, b)], axis=-1)


def marker_angles(a: np.ndarray, a_static: np.ndarray | None, forward: np.ndarray | None,
                  up: np.ndarray) -> tuple[PelvisAngles, str]:
    """Pelvis angles of frames ``a`` (n, 3, 3) relative to the standing posture ``a_static``
    (3, 3; None: relative to the run's mean orientation), decomposed in the ISB lab axes
    given by the lab's ``up`` and the direction of progression ``forward`` (None: the mean
    horizontal direction of the pelvis's anterior axis over the run, right for a treadmill).
    Returns the angles and the reference used ("static" or "run_mean")."""
    a = np.asarray(a, dtype=np.float64)
    ref, how = (a_static, "static") if a_static is not None else (mean_rotation(a), "run_mean")
    if forward is None:
        forward = np.nanmean(a[:, :, 0], axis=0)
    lab = lab_axes(np.asarray(forward, float), np.asarray(up, float))
    return cardan_rot_obl_tilt(in_lab_axes(relative_to(a, ref), lab)), how
