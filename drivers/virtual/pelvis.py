"""The virtual athlete's pelvis and the sacral IMU taped over it (issue #12).

Pure functions of the session model and times (seconds from session start), so the IMU
renderer is chunk-invariant like the other devices (:mod:`.render`).

**Pelvis orientation.** In the ISB lab axes (X forward, Y up, Z to the runner's right), the
pelvis axes are ``A(t) = L(t) · P(t) · S``: ``S`` the standing posture (anterior tilt and
obliquity of the profile), ``P = Ry(rotation) · Rx(obliquity) · Rz(−tilt)`` the running motion in
the rotation–obliquity–tilt order that the analysis decomposes (Baker 2001), and ``L`` the
lying posture of the strength block (supine on the plinth: 90° about the lab's mediolateral
axis), undone while the athlete gets up and steps onto the belt (the pause). Obliquity
relative to standing is therefore exactly the model's: in each stance of foot X a bump that
lowers the opposite side by that stance's ``pelvic_drop_deg`` (:func:`drop_shape`: level at
initial contact, peak at ``peak_at_stance_pct`` of the stance, level again at toe-off);
+ = right side lower, as in
:mod:`gaitlab.analysis.pelvis.angles`. Tilt (step frequency) and rotation (stride frequency)
are phase-locked to the contacts and fade in over the belt's start-up.

**Sacrum acceleration.** Vertical specific force = the feet's vertical ground reaction force
(the pressure plate's own force curve) over body mass, scaled so that its mean over the run is
g (no net vertical drift); in flight it is zero (free fall). Fore–aft: braking in the first half
of each stance, propulsion in the second; sideways: toward the midline in each stance. Standing
and lying: 1 g up.

**Sensor.** Nominally x up, y to the left, z backward on the sacrum (a Trigno sensor's usual
placement), rotated by the profile's misalignment. The gyroscope reads the sensor's body-frame
angular velocity, the accelerometer the specific force in sensor axes, each with white noise
(counter-based, :func:`.render.block_normal`), a constant bias, and for the gyroscope a slow
bias wander (three sinusoids of 4–15 min periods, so that any chunk renders the same samples).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.spatial.transform import Rotation

from gaitlab.drivers.virtual import foot
from gaitlab.drivers.virtual.model import G, SessionModel
from gaitlab.drivers.virtual.render import block_normal, live_stances

SENSOR_LABEL = "SACRUM"
CHANNEL_KINDS = (("Acceleration", "g"), ("AngularVelocity", "deg/s"))  # render_imu's columns
DEV_IMU = 5
LYING_DEG = 90.0  # supine on the plinth for the strength block
GET_UP_S = 2.0  # at most this long to get up at the start of the pause
AP_PEAK_G = 0.35  # fore-aft acceleration at peak braking and propulsion (g)
ML_PEAK_G = 0.12  # sideways acceleration toward the midline at midstance (g)
H_S = 1e-4  # half step of the central difference giving angular velocity
MOUNT_BASE = np.array([[0, 0, -1.0], [1.0, 0, 0], [0, -1.0, 0]])  # sensor x up, y left, z back
DRIFT_PERIODS_S = (240.0, 530.0, 900.0)


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3 - 2 * u)


def drop_shape(model: SessionModel, phi: np.ndarray) -> np.ndarray:
    """The drop bump over a stance (phi 0 at IC, 1 at TO): phi^a (1 - phi)^b with a = 2, peak 1 at
    ``peak_at_stance_pct``, level and flat at both ends (no jump in angular velocity); 0 outside."""
    p = model.profile.pelvis.peak_at_stance_pct / 100
    a, b = 2.0, 2.0 * (1 - p) / p
    u = np.clip(phi, 0.0, 1.0)
    return np.where((phi > 0) & (phi < 1), u**a * (1 - u) ** b / (p**a * (1 - p) ** b), 0.0)


def running_envelope(model: SessionModel, t: np.ndarray) -> np.ndarray:
    """0 before the belt starts, rising to 1 by the first initial contact."""
    c = model.contacts
    if model.run_start is None or not len(c):
        return np.zeros(t.shape)
    a = model.run_start
    b = max(float(c.t_ic[0]), a + 0.3)
    return _smoothstep((t - a) / (b - a))


def lying_weight(model: SessionModel, t: np.ndarray) -> np.ndarray:
    """1 while supine for the strength block, falling to 0 as the athlete gets up."""
    if model.strength_end is None:
        return np.zeros(t.shape)
    pause = model.protocol.pause.pause_s if model.protocol.pause is not None else 0.0
    up_s = min(GET_UP_S, pause) if pause >= 0.5 else 0.5
    return 1.0 - _smoothstep((t - model.strength_end) / up_s)


def pelvis_angles(model: SessionModel, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rotation, obliquity, tilt) in degrees at times t, relative to the standing posture,
    signs as in :mod:`gaitlab.analysis.pelvis.angles` (obliquity + = right side lower)."""
    pm = model.profile.pelvis
    c = model.contacts
    obl = np.zeros(t.shape)
    for live, kk, phi in live_stances(model.contacts, t):
        sign = np.where(c.side[kk] == "L", 1.0, -1.0)  # left stance: the right side drops
        obl += np.where(live, sign * c.pelvic_drop_deg[kk] * drop_shape(model, phi), 0.0)
    env = running_envelope(model, t)
    if len(c) >= 2:
        psi = np.interp(t, c.t_ic, np.arange(len(c), dtype=float))  # step phase, 1 per step
        first_left = 1.0 if c.side[0] == "L" else -1.0
        tilt = pm.tilt_amplitude_deg * np.sin(2 * np.pi * psi) * env
        rot = first_left * pm.rotation_amplitude_deg * np.sin(np.pi * psi) * env
    else:
        tilt = rot = np.zeros(t.shape)
    return rot, obl, tilt


def sensor_mount(model: SessionModel) -> np.ndarray:
    """Sensor axes (columns) in pelvis axes: the nominal mounting turned by the misalignment."""
    pm = model.profile.pelvis
    ax = np.asarray(pm.misalignment_axis, dtype=np.float64)
    mis = Rotation.from_rotvec(np.radians(pm.misalignment_deg) * ax / np.linalg.norm(ax)).as_matrix()
    return mis @ MOUNT_BASE


def _standing(model: SessionModel) -> Rotation:
    pm = model.profile.pelvis
    return Rotation.from_euler("YXZ", [0.0, pm.static_obliquity_deg, -pm.static_tilt_deg], degrees=True)


def pelvis_rotation(model: SessionModel, t: np.ndarray) -> Rotation:
    """Pelvis axes in the ISB lab frame at times t: L(t) · P(t) · S."""
    rot, obl, tilt = pelvis_angles(model, t)
    p = Rotation.from_euler("YXZ", np.column_stack([rot, obl, -tilt]), degrees=True)
    lie = Rotation.from_euler("Z", LYING_DEG * lying_weight(model, t)[:, None], degrees=True)
    return lie * p * _standing(model)


def _sensor_rotation(model: SessionModel, t: np.ndarray) -> Rotation:
    return pelvis_rotation(model, t) * Rotation.from_matrix(sensor_mount(model))


@lru_cache(maxsize=32)
def _grf_integral() -> float:
    u = np.linspace(0.0, 1.0, 20001)
    return float(np.trapezoid(foot.grf_shape(u), u))


def _vertical_scale(model: SessionModel) -> float:
    """Factor making the mean vertical specific force over the run exactly g."""
    c = model.contacts
    if len(c) < 2:
        return 1.0
    m = model.profile.athlete.body_mass_kg
    # the stances that begin in [first IC, last IC) carry the body over that span
    impulse = np.sum((c.peak_force_N * (c.t_to - c.t_ic))[:-1]) * _grf_integral() / m
    return float(G * (c.t_ic[-1] - c.t_ic[0]) / impulse)


def specific_force_lab(model: SessionModel, t: np.ndarray) -> np.ndarray:
    """Specific force of the sacrum (a − g, m/s²) in the ISB lab axes, shape (n, 3)."""
    c = model.contacts
    m = model.profile.athlete.body_mass_kg
    env = running_envelope(model, t)
    f = np.zeros((t.size, 3))
    vert = np.zeros(t.shape)
    scale = _vertical_scale(model)
    for live, kk, phi in live_stances(model.contacts, t):
        vert += np.where(live, c.peak_force_N[kk] * foot.grf_shape(phi) / m * scale, 0.0)
        f[:, 0] += np.where(live, -AP_PEAK_G * G * np.sin(2 * np.pi * phi), 0.0)
        toward_mid = np.where(c.side[kk] == "L", 1.0, -1.0)  # left stance pushes to the right
        f[:, 2] += np.where(live, toward_mid * ML_PEAK_G * G * np.sin(np.pi * np.clip(phi, 0, 1)), 0.0)
    f[:, 1] = (1 - env) * G + env * vert
    f[:, [0, 2]] *= env[:, None]
    return f


def imu_truth(model: SessionModel, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free (angular velocity rad/s, specific force m/s²) in sensor axes, each (n, 3)."""
    r_minus, r_plus = _sensor_rotation(model, t - H_S), _sensor_rotation(model, t + H_S)
    gyr = (r_minus.inv() * r_plus).as_rotvec() / (2 * H_S)
    acc = _sensor_rotation(model, t).inv().apply(specific_force_lab(model, t))
    return gyr, acc


def _offsets(model: SessionModel) -> dict[str, np.ndarray]:
    pm = model.profile.pelvis
    rng = np.random.default_rng([model.seed, DEV_IMU, 0])
    return {
        "gyr_bias": np.radians(pm.gyro_bias_deg_s) * rng.uniform(-1, 1, 3),
        "acc_bias": pm.acc_bias_m_s2 * rng.uniform(-1, 1, 3),
        "drift_amp": np.radians(pm.gyro_bias_drift_deg_s) / len(DRIFT_PERIODS_S) * rng.uniform(0, 1, (3, 3)),
        "drift_phase": rng.uniform(0, 2 * np.pi, (3, 3)),
    }


def render_imu(model: SessionModel, n0: int, n1: int) -> np.ndarray:
    """Sacral IMU samples [n0, n1): shape (n, 6), float32: AccelerationX/Y/Z in g, then
    AngularVelocityX/Y/Z in deg/s (the Trigno driver's units), sensor axes."""
    pm = model.profile.pelvis
    fs = model.profile.devices.imu_rate_hz
    t = np.arange(n0, n1) / fs
    gyr, acc = imu_truth(model, t)
    o = _offsets(model)
    w = 2 * np.pi / np.asarray(DRIFT_PERIODS_S)
    drift = np.einsum("ak,nak->na", o["drift_amp"], np.sin(t[:, None, None] * w + o["drift_phase"]))
    noise = block_normal((model.seed, DEV_IMU, 1), n0, n1, 6)
    gyr = gyr + o["gyr_bias"] + drift + np.radians(pm.gyro_noise_deg_s) * noise[:, 3:]
    acc = acc + o["acc_bias"] + pm.acc_noise_m_s2 * noise[:, :3]
    return np.column_stack([acc / G, np.degrees(gyr)]).astype(np.float32)
