"""A virtual 6-axis IMU from a rigid body's motion (for validation and the virtual athlete).

Given the sensor's orientation (sensor axes as columns in a lab frame) and its position
(m) at ``fs`` Hz, the gyroscope reads the body-frame angular velocity (from the derivative of
the orientation: the rotation vector between neighbouring samples over their time step) and
the accelerometer the specific force ``R^T (a − g)`` (with g = −9.80665 m/s² along ``up``),
each with white noise, a constant bias and, for the gyroscope, a slow bias random walk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

G = 9.80665


@dataclass
class ImuNoise:
    gyr_sd_rad_s: float = np.radians(0.3)  # white noise per sample
    gyr_bias_rad_s: float = np.radians(1.0)  # constant bias, uniform in ±this per axis
    gyr_walk_rad_s_per_sqrt_s: float = np.radians(0.01)  # bias instability
    acc_sd_m_s2: float = 0.03
    acc_bias_m_s2: float = 0.1


NO_NOISE = ImuNoise(0.0, 0.0, 0.0, 0.0, 0.0)


def axis_angle(axis: np.ndarray, deg: float) -> np.ndarray:
    a = np.asarray(axis, dtype=np.float64)
    return Rotation.from_rotvec(np.radians(deg) * a / np.linalg.norm(a)).as_matrix()


def body_rates(rot: np.ndarray, fs: float) -> np.ndarray:
    """Body-frame angular velocity (rad/s) of orientations ``rot`` (n, 3, 3)."""
    r = Rotation.from_matrix(rot)
    mid = (r[:-1].inv() * r[1:]).as_rotvec() * fs  # (n-1,) at the half samples
    w = np.empty((len(r), 3))
    w[1:-1] = 0.5 * (mid[:-1] + mid[1:])
    w[0], w[-1] = mid[0], mid[-1]
    return w


def virtual_imu(rot: np.ndarray, pos_m: np.ndarray, fs: float, up: np.ndarray,
                noise: ImuNoise = NO_NOISE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(gyr rad/s, acc m/s²), each (n, 3) in sensor axes."""
    rot = np.asarray(rot, dtype=np.float64)
    pos = np.asarray(pos_m, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n = rot.shape[0]
    dt = 1.0 / fs
    acc_lab = np.gradient(np.gradient(pos, dt, axis=0), dt, axis=0)
    u = np.asarray(up, dtype=np.float64)
    u = u / np.linalg.norm(u)
    f = np.einsum("nji,nj->ni", rot, acc_lab + G * u)
    w = body_rates(rot, fs)
    walk = np.cumsum(rng.normal(0.0, noise.gyr_walk_rad_s_per_sqrt_s * np.sqrt(dt), (n, 3)), axis=0)
    gyr = (w + rng.uniform(-1, 1, 3) * noise.gyr_bias_rad_s + walk
           + rng.normal(0.0, noise.gyr_sd_rad_s, (n, 3)))
    acc = f + rng.uniform(-1, 1, 3) * noise.acc_bias_m_s2 + rng.normal(0.0, noise.acc_sd_m_s2, (n, 3))
    return gyr, acc
