"""Assessment protocols as data (TOML), and their loader.

A protocol is an optional strength block (handheld-dynamometer make tests), an
optional pause, and an optional treadmill run, always in that order. The shipped
protocols live beside this file: ``assessment`` (strength + pause + run) and ``run``
(treadmill run only). All durations are seconds.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gaitlab.errors import ProfileError
from gaitlab.toml_files import build_table, read_toml_text

DEFAULT_PROTOCOL = "assessment"
ORDERS = ("alternating", "per_side")


@dataclass(frozen=True)
class StrengthBlock:
    """Make tests with a handheld dynamometer: ramp to peak, hold, release, rest."""

    test: str = "hip_abduction"
    trials_per_side: int = 3
    order: str = "alternating"  # "alternating" (L,R,L,R…) or "per_side" (L,L,L,R,R,R)
    first_side: str = "L"
    lead_in_s: float = 1.0
    contraction_s: float = 3.5  # ramp + hold + release
    ramp_s: float = 1.0
    release_s: float = 0.5
    rest_s: float = 1.5
    marker_margin_s: float = 0.25

    @property
    def hold_s(self) -> float:
        return self.contraction_s - self.ramp_s - self.release_s

    @property
    def duration_s(self) -> float:
        """Block length: lead-in, the trials with rests between them, and a lead-out."""
        n = 2 * self.trials_per_side
        return 2 * self.lead_in_s + n * self.contraction_s + (n - 1) * self.rest_s

    def sides(self) -> list[str]:
        """Trial order, e.g. ['L', 'R', 'L', 'R', 'L', 'R']."""
        other = "R" if self.first_side == "L" else "L"
        if self.order == "per_side":
            return [self.first_side] * self.trials_per_side + [other] * self.trials_per_side
        return [self.first_side, other] * self.trials_per_side


@dataclass(frozen=True)
class PauseBlock:
    pause_s: float = 3.0


@dataclass(frozen=True)
class RunBlock:
    duration_s: float = 40.0
    settle_s: float = 0.5  # from block start to the first initial contact
    # Quiet standing on the treadmill just before the run block (marked static_start and
    # static_end): the reference posture of a sacral IMU or pelvis markers; 0 = none.
    stand_still_s: float = 0.0
    # The fixed belt speed of the test run (m/s), the same at every visit; None = not fixed
    # by the protocol (the virtual athlete then runs at its profile's speed).
    speed_mps: float | None = None


@dataclass(frozen=True)
class Protocol:
    name: str
    description: str = ""
    strength: StrengthBlock | None = None
    pause: PauseBlock | None = None
    run: RunBlock | None = None

    @property
    def pre_run_s(self) -> float:
        """Time from session start to the start of the run block."""
        s = self.strength.duration_s if self.strength else 0.0
        return (s + (self.pause.pause_s if self.pause else 0.0)
                + (self.run.stand_still_s if self.run else 0.0))


def _build(cls: type, table: Any, where: str) -> Any:
    return build_table(cls, table, where, "protocol")


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ProfileError(f"protocol: {msg}")


def _validate(p: Protocol) -> None:
    s = p.strength
    if s is not None:
        _check(isinstance(s.trials_per_side, int) and 1 <= s.trials_per_side <= 10,
               "strength.trials_per_side must be an integer 1–10")
        _check(s.order in ORDERS, f"strength.order must be one of {', '.join(ORDERS)}")
        _check(s.first_side in ("L", "R"), "strength.first_side must be 'L' or 'R'")
        _check(bool(s.test) and " " not in s.test, "strength.test must be one word, e.g. hip_abduction")
        for key in ("lead_in_s", "contraction_s", "ramp_s", "release_s", "rest_s", "marker_margin_s"):
            v = getattr(s, key)
            _check(isinstance(v, int | float) and 0 <= v <= 60, f"strength.{key} must be 0–60 s")
        _check(s.ramp_s > 0 and s.release_s > 0, "strength.ramp_s and release_s must be > 0")
        _check(s.hold_s >= 0, "strength.contraction_s must be >= ramp_s + release_s")
        _check(s.marker_margin_s <= min(s.lead_in_s, s.rest_s / 2),
               "strength.marker_margin_s must fit in lead_in_s and half of rest_s")
    if p.pause is not None:
        v = p.pause.pause_s
        _check(isinstance(v, int | float) and 0 <= v <= 600, "pause.pause_s must be 0–600 s")
    if p.run is not None:
        d, st = p.run.duration_s, p.run.settle_s
        _check(isinstance(d, int | float) and 1 <= d <= 36000, "run.duration_s must be 1–36000 s")
        _check(isinstance(st, int | float) and 0 <= st < d, "run.settle_s must be 0 … duration_s")
        v = p.run.stand_still_s
        _check(isinstance(v, int | float) and 0 <= v <= 120, "run.stand_still_s must be 0–120 s")
        v = p.run.speed_mps
        _check(v is None or (isinstance(v, int | float) and not isinstance(v, bool) and 0.5 <= v <= 8),
               "run.speed_mps must be 0.5–8 m/s")
    _check(p.strength is not None or p.run is not None,
           "needs a [strength] or a [run] table (or both)")


def session_attrs(p: Protocol) -> dict[str, str]:
    """What a recording of this protocol writes at the session file's root: its name and,
    with a strength block, the trials' sides in order (``strength_order``, e.g. "LRLRLR"),
    so that trials found in the force signal without markers still get their sides."""
    out = {"protocol": p.name}
    if p.strength is not None:
        out["strength_order"] = "".join(p.strength.sides())
    return out


def parse_protocol(text: str, origin: str = "<protocol>") -> Protocol:
    """Parse and validate a protocol's TOML text."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{origin}: not valid TOML ({exc})") from None
    unknown = set(doc) - {"protocol", "strength", "pause", "run"}
    if unknown:
        raise ProfileError(f"{origin}: unknown table(s) {', '.join(sorted(unknown))}; "
                           "known: protocol, strength, pause, run")
    head = doc.get("protocol", {})
    if not isinstance(head, dict):
        raise ProfileError(f"{origin}: [protocol] must be a table")
    extra = set(head) - {"name", "description"}
    if extra:
        raise ProfileError(f"{origin}: unknown key(s) in [protocol]: {', '.join(sorted(extra))}")
    proto = Protocol(
        name=str(head.get("name", Path(origin).stem)),
        description=str(head.get("description", "")),
        strength=_build(StrengthBlock, doc["strength"], "strength") if "strength" in doc else None,
        pause=_build(PauseBlock, doc["pause"], "pause") if "pause" in doc else None,
        run=_build(RunBlock, doc["run"], "run") if "run" in doc else None,
    )
    try:
        _validate(proto)
    except ProfileError as exc:
        raise ProfileError(f"{origin}: {exc}") from None
    return proto


def builtin_protocol_path(name: str) -> Path:
    """Path of a protocol shipped with gaitlab (e.g. "assessment", "run")."""
    return Path(str(resources.files("gaitlab.protocols") / f"{name}.toml"))


def load_protocol(name_or_path: str | Path | None = None) -> Protocol:
    """Load a protocol from a TOML path or a built-in name; None gives "assessment"."""
    if name_or_path is None:
        name_or_path = DEFAULT_PROTOCOL
    p, text = read_toml_text(name_or_path, builtin_protocol_path,
                             missing_hint="protocol; give a .toml path or a built-in name "
                             "(assessment, demo, run)", what="protocol")
    return parse_protocol(text, str(p))
