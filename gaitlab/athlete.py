"""Athlete profiles: the person being measured, and (for the virtual athlete) how they move.

A profile is a TOML file. ``[athlete]`` holds what any session needs (anthropometrics,
dynamometer lever arm, involved side); the other tables describe the athlete's gait,
muscle timing and strength, which the virtual athlete simulates and which are the
ground truth that the analysis is validated against. Real athletes only need
``[athlete]``.

All quantities carry their unit in the key name; sides are "L" and "R" (the athlete's
own left and right).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from gaitlab.errors import ProfileError
from gaitlab.toml_files import build_table, read_toml_text

SIDES = ("L", "R")
DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class MuscleTiming:
    """Activation of one muscle on one side during running, relative to that side's initial contact."""

    onset_ms: float  # negative = before initial contact
    offset_ms: float
    peak_pct_mvc: float  # burst amplitude, % of the hip-abduction MVC activation


@dataclass(frozen=True)
class Athlete:
    id: str
    name: str = ""
    sex: str = ""  # "F", "M" or ""
    body_mass_kg: float = 70.0
    height_m: float = 1.75
    leg_length_m: float = 0.90  # ASIS to medial malleolus
    lever_arm_m: float = 0.45  # hip joint centre to dynamometer pad (hip abduction)
    involved_side: str = ""  # "L", "R" or "" (none / bilateral)


@dataclass(frozen=True)
class RunModel:
    speed_mps: float = 3.0
    cadence_spm: float = 166.0
    cadence_sd_pct: float = 1.0  # step-to-step variability of step time
    contact_time_ms: float = 250.0
    step_width_mean_cm: float = 2.0  # signed: x(right) - x(left); <= 0 is a crossover step
    step_width_sd_cm: float = 2.0
    foot_progression_deg: float = 7.0  # toe-out, positive = toes point away from midline
    wander_sd_cm: float = 3.0  # slow side-to-side drift of the runner on the belt
    foot_length_m: float = 0.26


@dataclass(frozen=True)
class EmgModel:
    snr_db: float = 20.0  # RMS of a burst at 100 %MVC over baseline noise RMS
    mvc_rms_uV: float = 300.0  # RMS of the EMG at 100 %MVC
    mains_hz: float = 50.0  # 50 or 60
    hum_uV: float = 20.0  # amplitude of mains interference (0 = off)
    impact_artefacts: bool = True
    impact_artefact_uV: float = 150.0
    onset_jitter_ms: float = 8.0  # SD of the step-to-step variation of onset and offset
    muscles: dict[str, MuscleTiming] = field(default_factory=dict)  # key "GMED_L" …


@dataclass(frozen=True)
class StrengthModel:
    hip_abduction_N: dict[str, float] = field(default_factory=lambda: {"L": 180.0, "R": 180.0})
    trial_cv_pct: float = 4.0  # trial-to-trial variation of the peak


@dataclass(frozen=True)
class DeviceModel:
    emg_rate_hz: float = 2000.0
    pressure_rate_hz: float = 120.0
    pressure_rows: int = 128  # along the belt, row 0 = front edge
    pressure_cols: int = 42  # across the belt, col 0 = runner's left
    pressure_row_pitch_mm: float = 11.72
    pressure_col_pitch_mm: float = 11.9
    dynamometer_rate_hz: float = 100.0
    imu_rate_hz: float = 148.148  # a Trigno Avanti IMU sensor's inertial rate


@dataclass(frozen=True)
class PelvisModel:
    """The pelvis and the sacral IMU taped over it (the virtual athlete's pelvic drop).

    ``drop_deg.X`` is the peak contralateral pelvic drop during stances of foot X (the swing
    side lowers; degrees, relative to quiet standing). Left empty it follows the athlete's hip
    abductors: a weak side lets the pelvis drop more while standing on it,
    ``drop_at_reference_deg + deg_per_Nm_per_kg * (reference_Nm_per_kg - torque_X)`` with
    torque_X = hip_abduction_N.X * lever_arm_m / body_mass_kg, clipped to 0-15 degrees.
    """

    drop_deg: dict[str, float] = field(default_factory=dict)  # {"L": …, "R": …}; {} = from strength
    drop_at_reference_deg: float = 5.0  # drop of an athlete with the reference torque
    reference_Nm_per_kg: float = 1.16  # 180 N at 0.45 m for 70 kg
    deg_per_Nm_per_kg: float = 8.0  # more drop per N·m/kg of weakness
    drop_cv_pct: float = 10.0  # step-to-step variation of the peak drop
    peak_at_stance_pct: float = 40.0  # where in stance the drop peaks
    static_tilt_deg: float = 10.0  # standing posture: anterior tilt of the pelvis
    static_obliquity_deg: float = 1.0  # standing posture: + = right side lower
    tilt_amplitude_deg: float = 2.0  # tilt oscillation at step frequency while running
    rotation_amplitude_deg: float = 5.0  # axial rotation at stride frequency while running
    misalignment_deg: float = 8.0  # sensor taped crooked: rotation from its nominal mounting
    misalignment_axis: list[float] = field(default_factory=lambda: [1.0, 2.0, -1.0])  # in sensor axes
    gyro_noise_deg_s: float = 0.3  # white noise per sample
    gyro_bias_deg_s: float = 1.0  # constant bias, up to this per axis
    gyro_bias_drift_deg_s: float = 0.1  # slow bias wander (minutes), up to this per axis
    acc_noise_m_s2: float = 0.03
    acc_bias_m_s2: float = 0.1

    def drop_for(self, side: str, athlete: Athlete, strength: StrengthModel) -> float:
        """Peak drop (degrees) during stances of ``side``."""
        if side in self.drop_deg:
            return float(self.drop_deg[side])
        torque = strength.hip_abduction_N[side] * athlete.lever_arm_m / athlete.body_mass_kg
        d = self.drop_at_reference_deg + self.deg_per_Nm_per_kg * (self.reference_Nm_per_kg - torque)
        return float(min(max(d, 0.0), 15.0))


@dataclass(frozen=True)
class Profile:
    athlete: Athlete
    run: RunModel = field(default_factory=RunModel)
    emg: EmgModel = field(default_factory=EmgModel)
    strength: StrengthModel = field(default_factory=StrengthModel)
    devices: DeviceModel = field(default_factory=DeviceModel)
    pelvis: PelvisModel = field(default_factory=PelvisModel)
    source_text: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("source_text", None)
        return d


def _build(cls: type, table: Any, where: str) -> Any:
    return build_table(cls, table, where, "profile")


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ProfileError(f"profile: {msg}")


def parse_profile(text: str, origin: str = "<profile>") -> Profile:
    """Parse and validate a profile's TOML text."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{origin}: not valid TOML ({exc})") from None
    if "athlete" not in doc:
        raise ProfileError(f"{origin}: no [athlete] table; see data/athletes/default.toml")
    unknown = set(doc) - {"athlete", "run", "emg", "strength", "devices", "pelvis"}
    if unknown:
        raise ProfileError(f"{origin}: unknown table(s) {', '.join(sorted(unknown))}")
    athlete = _build(Athlete, doc["athlete"], "athlete")
    run = _build(RunModel, doc.get("run", {}), "run")
    emg_t = doc.get("emg", {})
    if not isinstance(emg_t, dict) or not isinstance(emg_t.get("muscles", {}), dict):
        raise ProfileError(f"{origin}: [emg] and [emg.muscles] must be tables")
    emg_t = dict(emg_t)
    muscles_t = emg_t.pop("muscles", {})
    muscles = {k.upper(): _build(MuscleTiming, v, f"emg.muscles.{k}") for k, v in muscles_t.items()}
    emg = _build(EmgModel, {**emg_t, "muscles": muscles}, "emg")
    strength = _build(StrengthModel, doc.get("strength", {}), "strength")
    devices = _build(DeviceModel, doc.get("devices", {}), "devices")
    pelvis = _build(PelvisModel, doc.get("pelvis", {}), "pelvis")

    _check(athlete.involved_side in ("L", "R", ""), "athlete.involved_side must be 'L', 'R' or ''")
    _check(20 <= athlete.body_mass_kg <= 250, "athlete.body_mass_kg must be 20–250 kg")
    _check(1.0 <= athlete.height_m <= 2.3, "athlete.height_m must be 1.0–2.3 m")
    _check(0.5 <= athlete.leg_length_m <= 1.3, "athlete.leg_length_m must be 0.5–1.3 m")
    _check(0.1 <= athlete.lever_arm_m <= 1.0, "athlete.lever_arm_m must be 0.1–1.0 m")
    _check(0.5 <= run.speed_mps <= 8, "run.speed_mps must be 0.5–8 m/s")
    _check(100 <= run.cadence_spm <= 240, "run.cadence_spm must be 100–240 steps/min")
    _check(100 <= run.contact_time_ms < 0.95 * 60000 / run.cadence_spm * 2,
           "run.contact_time_ms must be >= 100 ms and shorter than a stride")
    _check(run.step_width_sd_cm >= 0 and run.wander_sd_cm >= 0, "SDs must be >= 0")
    _check(emg.mains_hz in (50.0, 60.0), "emg.mains_hz must be 50 or 60")
    for k, m in muscles.items():
        _check(k.endswith(("_L", "_R")), f"emg.muscles.{k}: name must be MUSCLE_L or MUSCLE_R")
        _check(m.offset_ms > m.onset_ms, f"emg.muscles.{k}: offset_ms must be after onset_ms")
        _check(0 < m.peak_pct_mvc <= 150, f"emg.muscles.{k}: peak_pct_mvc must be in (0, 150]")
    _check(set(strength.hip_abduction_N) == {"L", "R"}, "strength.hip_abduction_N needs L and R")
    _check(all(v > 0 for v in strength.hip_abduction_N.values()), "strength forces must be > 0")
    _check(100 <= devices.pressure_rate_hz <= 300, "devices.pressure_rate_hz must be 100–300 Hz")
    _check(500 <= devices.emg_rate_hz <= 10000, "devices.emg_rate_hz must be 500–10000 Hz")
    _check(isinstance(pelvis.drop_deg, dict) and set(pelvis.drop_deg) <= {"L", "R"}
           and all(isinstance(v, int | float) and 0 <= v <= 20 for v in pelvis.drop_deg.values()),
           "pelvis.drop_deg must be a table of L and/or R drops, 0–20 degrees")
    _check(0 <= pelvis.misalignment_deg <= 45, "pelvis.misalignment_deg must be 0–45 degrees")
    ax = pelvis.misalignment_axis
    _check(isinstance(ax, list) and len(ax) == 3 and all(isinstance(v, int | float) for v in ax)
           and any(v != 0 for v in ax), "pelvis.misalignment_axis must be 3 numbers, not all 0")
    _check(10 <= pelvis.peak_at_stance_pct <= 90, "pelvis.peak_at_stance_pct must be 10–90 %")
    _check(0 <= pelvis.drop_cv_pct <= 50, "pelvis.drop_cv_pct must be 0–50 %")
    _check(50 <= devices.imu_rate_hz <= 2000, "devices.imu_rate_hz must be 50–2000 Hz")
    return Profile(athlete, run, emg, strength, devices, pelvis, source_text=text)


def builtin_profile_path(name: str) -> Path:
    """Path of a profile shipped in data/athletes/ (e.g. "default")."""
    return Path(str(resources.files("gaitlab.data") / "athletes" / f"{name}.toml"))


def load_profile(path_or_name: str | Path | None = None) -> Profile:
    """Load a profile from a TOML path, or a built-in by name; None gives the default athlete."""
    if path_or_name is None:
        path_or_name = DEFAULT_PROFILE
    p, text = read_toml_text(path_or_name, builtin_profile_path,
                             missing_hint="athlete profile; give a .toml path or a built-in name "
                             "(see data/athletes/)", what="profile")
    return parse_profile(text, str(p))


def gaitlab_home() -> Path:
    """The user's gaitlab data folder: $GAITLAB_HOME, else $XDG_DATA_HOME/gaitlab
    (~/.local/share/gaitlab). Holds the registry and the athletes created in the app."""
    home = os.environ.get("GAITLAB_HOME")
    if home:
        return Path(home)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "gaitlab"


def user_athletes_dir() -> Path:
    return gaitlab_home() / "athletes"


def athlete_toml(a: Athlete) -> str:
    """An ``[athlete]``-only profile (a real athlete: no simulation tables)."""
    lines = ["# Athlete profile written by gaitlab. Units are in the key names.", "", "[athlete]"]
    for f in fields(Athlete):
        v = getattr(a, f.name)
        lines.append(f"{f.name} = {v!r}" if isinstance(v, float)
                     else f"{f.name} = {json.dumps(v, ensure_ascii=False)}")  # a TOML basic string
    return "\n".join(lines) + "\n"


def save_athlete(a: Athlete, folder: Path | None = None, overwrite: bool = False) -> Path:
    """Validate and write a new athlete profile as ``<folder>/<id>.toml``; returns its path.

    Raises :class:`ProfileError` (one line) for an invalid athlete, an id that is not a
    plain name, or an existing profile unless ``overwrite``.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", a.id):
        raise ProfileError(f"athlete id '{a.id}': use letters, digits, '-', '_' or '.' (max 64)")
    text = athlete_toml(a)
    parse_profile(text, f"athlete {a.id}")  # same checks as any profile file
    folder = folder or user_athletes_dir()
    path = folder / f"{a.id}.toml"
    if path.exists() and not overwrite:
        raise ProfileError(f"{path}: an athlete with id '{a.id}' exists; choose another id")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot write ({exc.strerror}); check the folder") from None
    return path
