"""One gait/session model from which every virtual device is rendered.

``build_session(profile, protocol, seed)`` is pure and deterministic: the same inputs
give the same events. Times are seconds from session start (t = 0); positions are on
the pressure treadmill's sensor area: x across the belt from its left edge (+ toward
the runner's right), y along the belt from its front edge (+ backward).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from gaitlab.athlete import Profile
from gaitlab.drivers.virtual import foot
from gaitlab.protocols import Protocol

SIDES = ("L", "R")
HIP_ABDUCTORS = ("GMED", "GMAX", "TFL")
G = 9.80665
PEAK_GRF_BW = 2.5
WANDER_TAU_S = 5.0
CONTACT_CV = 0.02  # step-to-step variation of contact time
AMP_CV = 0.05  # step-to-step variation of EMG burst amplitude
MIN_BURST_S = 0.03
LANDING_Y_M = 0.45  # heel centre at initial contact, from the belt's front edge
LANDING_Y_SD_M = 0.015


@dataclass(frozen=True)
class Contacts:
    """Foot contacts of the run block, in time order, strictly alternating sides."""

    side: np.ndarray  # '<U1' "L"/"R"
    t_ic: np.ndarray
    t_to: np.ndarray
    x: np.ndarray  # true pressure-weighted ML centroid of the contact (m)
    x_heel: np.ndarray  # heel-centre ML position (m)
    y_ic: np.ndarray  # heel-centre AP position at initial contact (m)
    peak_force_N: np.ndarray
    impact_gain: np.ndarray
    pelvic_drop_deg: np.ndarray  # peak contralateral pelvic drop of this stance (+ = swing side lower)

    def __len__(self) -> int:
        return int(self.t_ic.size)

    @property
    def sign(self) -> np.ndarray:
        """+1 for right, -1 for left."""
        return np.where(self.side == "R", 1.0, -1.0)


@dataclass(frozen=True)
class Bursts:
    """EMG bursts of one channel, in time order."""

    onset: np.ndarray
    offset: np.ndarray
    amplitude: np.ndarray  # fraction of MVC activation
    contact: np.ndarray  # index into Contacts


@dataclass(frozen=True)
class Trials:
    """Dynamometer make tests, in time order."""

    side: np.ndarray
    t_rise: np.ndarray  # force leaves zero
    t_hold: np.ndarray  # peak reached
    t_release: np.ndarray  # release starts
    t_end: np.ndarray  # force back to zero
    peak_N: np.ndarray

    def __len__(self) -> int:
        return int(self.t_rise.size)

    def best(self, side: str) -> float:
        sel = self.peak_N[self.side == side]
        return float(sel.max()) if sel.size else float("nan")


@dataclass(frozen=True)
class SessionModel:
    profile: Profile
    protocol: Protocol
    seed: int
    duration_s: float
    run_start: float | None
    run_end: float | None
    belt_speed_mps: float
    progression_rad: float
    contacts: Contacts
    bursts: dict[str, Bursts]
    trials: Trials
    test: str
    markers: list[tuple[float, str]] = field(default_factory=list)
    strength_end: float | None = None  # the athlete lies on the plinth until here (strength block)
    stand_still: tuple[float, float] | None = None  # quiet standing on the belt before the run

    @property
    def emg_channels(self) -> list[str]:
        return list(self.bursts)

    @property
    def belt_width_m(self) -> float:
        d = self.profile.devices
        return d.pressure_cols * d.pressure_col_pitch_mm / 1000

    @property
    def belt_length_m(self) -> float:
        d = self.profile.devices
        return d.pressure_rows * d.pressure_row_pitch_mm / 1000


def _ou(t: np.ndarray, centre: float, sd: float, tau: float, rng: np.random.Generator) -> np.ndarray:
    """Ornstein–Uhlenbeck process sampled exactly at times t (stationary start)."""
    out = np.empty(t.size)
    if t.size == 0:
        return out
    z = rng.standard_normal(t.size)
    out[0] = centre + sd * z[0]
    a = np.exp(-np.diff(t) / tau)
    noise = sd * np.sqrt(1 - a**2) * z[1:]
    # x_k = c + a_k (x_{k-1} - c) + e_k; a short recursion over contacts, not samples
    for k in range(1, t.size):
        out[k] = centre + a[k - 1] * (out[k - 1] - centre) + noise[k - 1]
    return out


def _contacts(profile: Profile, start: float, end: float, belt_w: float, belt_l: float,
              rng: np.random.Generator) -> Contacts:
    run = profile.run
    step_s = 60.0 / run.cadence_spm
    n_max = int((end - start) / (step_s * 0.9)) + 2
    steps = step_s * (1 + run.cadence_sd_pct / 100 * rng.standard_normal(n_max))
    t_ic = start + np.concatenate([[0.0], np.cumsum(np.maximum(steps, 0.5 * step_s))[:-1]])
    tc = run.contact_time_ms / 1000 * (1 + CONTACT_CV * rng.standard_normal(n_max))
    t_to = t_ic + tc
    n = int(np.searchsorted(t_to, end, side="right"))
    first = int(rng.integers(2))
    side = np.array(SIDES)[(first + np.arange(n_max)) % 2]

    # Midline wander (OU, centred on the belt) plus per-foot half step widths whose sum,
    # together with the midline change over one step, gives pair widths of the wanted SD.
    mid = _ou(t_ic, belt_w / 2, run.wander_sd_cm / 100, WANDER_TAU_S, rng)
    sd_w = run.step_width_sd_cm / 100
    var_dmid = 2 * (run.wander_sd_cm / 100) ** 2 * (1 - np.exp(-step_s / WANDER_TAU_S))
    sd_half = np.sqrt(max(sd_w**2 - var_dmid, 0.0) / 2)
    half = run.step_width_mean_cm / 200 + sd_half * rng.standard_normal(n_max)
    sign = np.where(side == "R", 1.0, -1.0)
    margin = 0.08
    x = np.clip(mid + sign * half, margin, belt_w - margin)
    offset = foot.lateral_centroid_offset(run.foot_length_m, np.radians(run.foot_progression_deg))
    x_heel = x - sign * offset

    y_hi = belt_l - run.speed_mps * tc - 0.06  # heel must stay on the belt until toe-off
    y_lo = run.foot_length_m + 0.02  # toes on the belt at initial contact
    y_ic = LANDING_Y_M + LANDING_Y_SD_M * rng.standard_normal(n_max)
    y_ic = np.minimum(np.maximum(y_ic, y_lo), np.maximum(y_hi, y_lo))

    bw = profile.athlete.body_mass_kg * G
    peak = PEAK_GRF_BW * bw * (1 + 0.03 * rng.standard_normal(n_max))
    gain = np.clip(1 + 0.15 * rng.standard_normal(n_max), 0.5, 1.5)
    return Contacts(side[:n], t_ic[:n], t_to[:n], x[:n], x_heel[:n], y_ic[:n], peak[:n], gain[:n],
                    np.zeros(n))


def _pelvic_drops(profile: Profile, side: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Peak pelvic drop of each stance: the side's drop (tied to its abductor strength, see
    :class:`gaitlab.athlete.PelvisModel`) with step-to-step variation, never below 0."""
    pm = profile.pelvis
    nominal = np.array([pm.drop_for(s, profile.athlete, profile.strength) for s in SIDES])
    d = nominal[(side == "R").astype(int)] if side.size else np.empty(0)
    return np.maximum(d * (1 + pm.drop_cv_pct / 100 * rng.standard_normal(side.size)), 0.0)


def _bursts(profile: Profile, contacts: Contacts, rng: np.random.Generator) -> dict[str, Bursts]:
    jit = profile.emg.onset_jitter_ms / 1000
    out: dict[str, Bursts] = {}
    for name, m in profile.emg.muscles.items():
        idx = np.flatnonzero(contacts.side == name[-1])
        t = contacts.t_ic[idx]
        on = t + m.onset_ms / 1000 + jit * rng.standard_normal(idx.size)
        off = t + m.offset_ms / 1000 + jit * rng.standard_normal(idx.size)
        off = np.maximum(off, on + MIN_BURST_S)
        amp = np.clip(m.peak_pct_mvc / 100 * (1 + AMP_CV * rng.standard_normal(idx.size)), 0, None)
        out[name] = Bursts(on, off, amp, idx)
    return out


def _empty_contacts() -> Contacts:
    e = np.empty(0)
    return Contacts(np.empty(0, dtype="<U1"), e, e, e, e, e, e, e, e)


def build_session(profile: Profile, protocol: Protocol, seed: int = 0,
                  run_duration_s: float | None = None,
                  max_duration_s: float | None = None) -> SessionModel:
    """Build the whole lab session: strength block, pause, treadmill run (at the protocol's
    ``run.speed_mps`` when it sets one, else at the profile's speed).

    ``run_duration_s`` overrides the protocol's run length; ``max_duration_s`` cuts the
    session at that time (contacts and trials not complete by then are dropped).
    """
    if protocol.run is not None and protocol.run.speed_mps is not None:  # the protocol fixes it
        profile = replace(profile, run=replace(profile.run, speed_mps=float(protocol.run.speed_mps)))
    rng_gait = np.random.default_rng([seed, 1])
    rng_emg = np.random.default_rng([seed, 2])
    rng_str = np.random.default_rng([seed, 3])
    rng_pelvis = np.random.default_rng([seed, 4])
    run_block = protocol.run
    if run_block is not None and run_duration_s is not None:
        run_block = replace(run_block, duration_s=float(run_duration_s))
    d = profile.devices
    belt_w = d.pressure_cols * d.pressure_col_pitch_mm / 1000
    belt_l = d.pressure_rows * d.pressure_row_pitch_mm / 1000
    markers: list[tuple[float, str]] = []
    t = 0.0

    sides: list[str] = []
    rise: list[float] = []
    test = "hip_abduction"
    s = protocol.strength
    strength_end = None
    if s is not None:
        test = s.test
        markers.append((t, "block_start strength"))
        sides = s.sides()
        rise = [t + s.lead_in_s + i * (s.contraction_s + s.rest_s) for i in range(len(sides))]
        t += s.duration_s
        strength_end = t
        markers.append((t, "block_end strength"))
    side_arr = np.array(sides, dtype="<U1")
    t_rise = np.array(rise, dtype=float)
    cv = profile.strength.trial_cv_pct / 100
    nominal = np.array([profile.strength.hip_abduction_N[x] for x in sides], dtype=float)
    peaks = np.clip(nominal * (1 + cv * rng_str.standard_normal(len(sides))), 1.0, None)
    ramp = s.ramp_s if s else 1.0
    rel = s.release_s if s else 0.5
    con = s.contraction_s if s else 3.5
    margin = s.marker_margin_s if s else 0.0
    trials = Trials(side_arr, t_rise, t_rise + ramp, t_rise + con - rel, t_rise + con, peaks)

    if protocol.pause is not None and protocol.pause.pause_s > 0:
        markers.append((t, "block_start pause"))
        t += protocol.pause.pause_s
        markers.append((t, "block_end pause"))

    contacts = _empty_contacts()
    run_start = run_end = None
    stand_still = None
    if run_block is not None and run_block.stand_still_s > 0:
        stand_still = (t, t + run_block.stand_still_s)
        markers.append((t, "static_start"))
        t += run_block.stand_still_s
        markers.append((t, "static_end"))
    if run_block is not None:
        run_start, run_end = t, t + run_block.duration_s
        markers.append((run_start, "block_start treadmill_run"))
        contacts = _contacts(profile, run_start + run_block.settle_s, run_end, belt_w, belt_l,
                             rng_gait)
        contacts = replace(contacts, pelvic_drop_deg=_pelvic_drops(profile, contacts.side, rng_pelvis))
        markers.append((run_end, "block_end treadmill_run"))
        t = run_end
    duration = t

    if max_duration_s is not None and max_duration_s < duration:
        duration = float(max_duration_s)
        keep = contacts.t_to <= duration
        contacts = Contacts(*(getattr(contacts, f)[keep] for f in Contacts.__dataclass_fields__))
        keep_tr = trials.t_end + margin <= duration
        trials = Trials(*(getattr(trials, f)[keep_tr] for f in Trials.__dataclass_fields__))
        markers = [m for m in markers if m[0] < duration]
        if stand_still is not None and stand_still[1] > duration:
            stand_still = None
        if run_end is not None and run_start is not None:
            run_end = min(run_end, duration) if run_start < duration else None
            run_start = run_start if run_start < duration else None

    for i in range(len(trials)):
        tag = f"{test} {trials.side[i]}"
        markers.append((float(trials.t_rise[i] - margin), f"trial_start {tag}"))
        markers.append((float(trials.t_end[i] + margin), f"trial_end {tag}"))
    markers.sort(key=lambda m: m[0])

    bursts = _bursts(profile, contacts, rng_emg)
    return SessionModel(
        profile=profile, protocol=protocol, seed=seed, duration_s=duration,
        run_start=run_start, run_end=run_end, belt_speed_mps=profile.run.speed_mps,
        progression_rad=float(np.radians(profile.run.foot_progression_deg)),
        contacts=contacts, bursts=bursts, trials=trials, test=test, markers=markers,
        strength_end=strength_end, stand_still=stand_still,
    )


def resolve_duration(protocol: Protocol, duration_s: float | None) -> tuple[float | None,
                                                                          float | None]:
    """Map the CLI's ``--duration`` to ``(run_duration_s, max_duration_s)``.

    ``--duration`` sets the treadmill run's length; when it is shorter than the strength
    block (or the protocol has no run), the session is instead cut at that time.
    """
    if duration_s is None:
        return None, None
    strength = protocol.strength.duration_s if protocol.strength else 0.0
    if protocol.run is None or duration_s < strength:
        return None, float(duration_s)
    return float(duration_s), None
