"""Which devices belong to this lab: the lab profile, and the choice of one device per role.

LSL has no notion of a lab: every stream on the network (another clinic room's PC, a
simulator left running, a stream that borrows a name) is visible to every recorder. A
session must hold only its own lab's devices and never guess between two. This module is
the one place that decides it, as pure functions over stream descriptions:

* :class:`Device` describes one stream as seen on the network (name, type, role, side,
  host, source_id), built from its info XML by :func:`device_from_xml`.
* :class:`LabProfile` is the lab profile (a TOML file, ``gaitlab lab init`` writes one):
  for each role, the device by ``source_id`` and/or ``host`` (a shell-style pattern) and
  optionally ``name``. :func:`load_lab` reads it; :func:`lab_toml` writes one.
* :class:`DeviceChooser` takes the streams one by one (and the first batch at once) and
  says which are recorded. Two streams that would serve one *slot* (the same role and
  side) are never both taken and never picked between: at start the recorder refuses
  (:meth:`DeviceChooser.check_start`), later the newcomer is ignored, and the reason is
  kept (:attr:`DeviceChooser.ignored`) for the session file.

Lab profile format (docs/security.md has the threat model)::

    [lab]
    name = "Clinic A, treadmill room"

    [[device]]
    role = "emg"                       # emg, pressure, force_treadmill, dynamometer, ...
    source_id = "TrignoSN12345:emg"    # exact; pins the device
    host = "gaitlab-pc-1"              # shell pattern (fnmatch, case-insensitive)
    name = "Trigno EMG"                # optional, exact
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gaitlab.errors import ProfileError, RecordingError, StreamFormatError
from gaitlab.streams import parse_info_xml

ROLES = ("emg", "pressure", "force_treadmill", "dynamometer", "markers", "imu", "belt_speed",
         "other")
ROLE_WORDS = {"emg": "EMG", "pressure": "pressure", "force_treadmill": "force-treadmill",
              "dynamometer": "dynamometer", "markers": "marker", "imu": "IMU",
              "belt_speed": "belt-speed", "other": "other"}
HOW_TO_CHOOSE = ("choose with --lab FILE (make one: gaitlab lab init), --source-id ID, "
                 "--name NAME or --host PATTERN")


@dataclass(frozen=True)
class Device:
    """One stream as seen on the network."""

    identity: str  # sid:<source_id> or uid:<uid> (gaitlab.record.filters.identity_of)
    name: str
    type: str
    role: str
    host: str
    source_id: str
    side: str = ""  # desc/side, for a device that measures one side only
    channel_count: int = 0

    @property
    def slot(self) -> tuple[str, str]:
        """What the device serves: its role and side. Streams of unknown role ('other') are
        never used by the analysis; two of them are rivals only when they share type and name."""
        if self.role == "other":
            return ("other", f"{self.type}/{self.name}")
        return (self.role, self.side)

    def describe(self) -> str:
        return f"'{self.name}' on host {self.host or '?'} (source_id {self.source_id or 'none'})"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "role": self.role, "side": self.side,
                "host": self.host, "source_id": self.source_id}


def slot_words(slot: tuple[str, str]) -> str:
    role, side = slot
    word = ROLE_WORDS.get(role, role)
    if role == "other":
        return f"'{side}'"
    return f"{word} ({side})" if side else word


def device_from_xml(identity: str, xml: str) -> Device:
    """A :class:`Device` from a stream's full info XML; metadata that breaks the stream
    conventions gives role 'other' (the recorder stores such a stream raw)."""
    try:
        spec = parse_info_xml(xml)
        return Device(identity, spec.name, spec.type, spec.role, spec.hostname, spec.source_id,
                      spec.side, spec.channel_count)
    except StreamFormatError:
        try:
            root = ET.fromstring(xml)
        except ET.ParseError:
            return Device(identity, "?", "", "other", "", "")

        def text(tag: str) -> str:
            node = root.find(tag)
            return (node.text or "").strip() if node is not None else ""

        return Device(identity, text("name") or "?", text("type"), "other", text("hostname"),
                      text("source_id"))


# --- lab profile -------------------------------------------------------------------------
@dataclass(frozen=True)
class DeviceRule:
    """One device of the lab: its role, and what pins it (source_id, host pattern, name)."""

    role: str
    source_id: str = ""
    host: str = ""
    name: str = ""
    side: str = ""

    def matches(self, d: Device) -> bool:
        if d.role != self.role:
            return False
        if self.side and d.side != self.side:
            return False
        if self.source_id and d.source_id != self.source_id:
            return False
        if self.name and d.name != self.name:
            return False
        return not (self.host and not fnmatch.fnmatch(d.host.lower(), self.host.lower()))

    def describe(self) -> str:
        pins = [f"{k} {v}" for k, v in (("source_id", self.source_id), ("host", self.host),
                                         ("side", self.side)) if v]
        if self.name:
            pins.insert(2, f"name '{self.name}'")
        return f"{slot_words((self.role, self.side))} device ({', '.join(pins)})"


@dataclass(frozen=True)
class LabProfile:
    name: str
    devices: tuple[DeviceRule, ...]
    source_text: str = field(default="", repr=False)
    path: str = ""

    def rule_for(self, d: Device) -> int | None:
        """Index of the lab's device rule this stream matches, else None."""
        for i, r in enumerate(self.devices):
            if r.matches(d):
                return i
        return None

    def impostor(self, d: Device) -> str:
        """Why a stream that is not the lab's device looks like one (its source_id is pinned
        by the profile, but host or name differ): a copy or a spoof. Empty when it doesn't."""
        for r in self.devices:
            if r.source_id and d.source_id == r.source_id and not r.matches(d):
                return (f"stream {d.describe()} carries the source_id of the lab's "
                        f"{r.describe()} but does not match it: a copy or a spoof; not recorded")
        return ""


_RULE_KEYS = {"role", "source_id", "host", "name", "side"}


def parse_lab(text: str, where: str = "lab profile") -> LabProfile:
    """Parse lab-profile TOML text. Raises a one-line :class:`ProfileError`."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: not valid TOML ({exc}); fix the file or make a new one "
                           "with 'gaitlab lab init'") from None
    unknown = set(doc) - {"lab", "device"}
    if unknown:
        raise ProfileError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}; a lab profile "
                           "has [lab] and [[device]] tables")
    lab = doc.get("lab", {})
    if not isinstance(lab, dict) or set(lab) - {"name"}:
        raise ProfileError(f"{where}: [lab] holds only name = \"...\"")
    name = lab.get("name", "")
    if not isinstance(name, str):
        raise ProfileError(f"{where}: [lab] name must be a string")
    raw = doc.get("device", [])
    if not isinstance(raw, list) or not raw:
        raise ProfileError(f"{where}: no [[device]] tables; list each device of the lab "
                           "(role and source_id and/or host)")
    rules: list[DeviceRule] = []
    for i, t in enumerate(raw, 1):
        if not isinstance(t, dict):
            raise ProfileError(f"{where}: device {i} must be a table")
        bad = set(t) - _RULE_KEYS
        if bad:
            raise ProfileError(f"{where}: device {i}: unknown key(s) {', '.join(sorted(bad))}; "
                               f"known keys are {', '.join(sorted(_RULE_KEYS))}")
        if not all(isinstance(v, str) for v in t.values()):
            raise ProfileError(f"{where}: device {i}: every value must be a string")
        role = t.get("role", "")
        if role not in ROLES:
            raise ProfileError(f"{where}: device {i}: role '{role}' is not one of {', '.join(ROLES)}")
        side = t.get("side", "").upper()
        if side not in ("", "L", "R"):
            raise ProfileError(f"{where}: device {i}: side must be L or R (or left out)")
        if not (t.get("source_id") or t.get("host")):
            raise ProfileError(f"{where}: device {i} ({role}): give its source_id and/or host, "
                               "else any stream of that role would match")
        rules.append(DeviceRule(role, t.get("source_id", ""), t.get("host", ""), t.get("name", ""),
                                side))
    slots: dict[tuple, int] = {}
    for i, r in enumerate(rules, 1):
        k = (r.role, r.side, r.source_id, r.host, r.name)
        if k in slots:
            raise ProfileError(f"{where}: devices {slots[k]} and {i} are the same; remove one")
        slots[k] = i
    return LabProfile(name, tuple(rules), text)


def load_lab(path: str | Path) -> LabProfile:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{p}: no such lab profile; make one with 'gaitlab lab init --out {p}'"
                           ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{p}: cannot read the lab profile ({exc})") from None
    lab = parse_lab(text, str(p))
    return LabProfile(lab.name, lab.devices, lab.source_text, str(p))


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def lab_toml(name: str, devices: Iterable[Device], pin_host: bool = True) -> str:
    """A lab profile pinning these devices by source_id (and host, unless ``pin_host`` is
    False); a stream without source_id is pinned by host and name."""
    lines = ["# gaitlab lab profile: the devices of this lab (gaitlab record --lab THIS_FILE).",
             "# Each [[device]] is pinned by source_id and/or host (a shell pattern: * and ?).",
             "", "[lab]", f"name = {_q(name)}", ""]
    for d in devices:
        lines += ["[[device]]", f"role = {_q(d.role)}"]
        if d.side:
            lines.append(f"side = {_q(d.side)}")
        if d.source_id:
            lines.append(f"source_id = {_q(d.source_id)}")
        if (pin_host or not d.source_id) and d.host:
            lines.append(f"host = {_q(d.host)}")
        if not d.source_id:
            lines.append(f"name = {_q(d.name)}")
        lines.append(f"# {d.name} ({d.type}, {d.channel_count} ch)")
        lines.append("")
    return "\n".join(lines)


# --- choosing ----------------------------------------------------------------------------
def rivals(devices: Iterable[Device], lab: LabProfile | None = None) -> list[list[Device]]:
    """Groups of two or more devices that would serve one slot (with a lab profile: match one
    of its device rules)."""
    groups: dict[object, list[Device]] = {}
    for d in devices:
        if lab is not None:
            i = lab.rule_for(d)
            if i is None:
                continue
            key: object = ("rule", i)
        else:
            key = d.slot
        groups.setdefault(key, []).append(d)
    return [g for g in groups.values() if len({d.identity for d in g}) > 1]


def rivals_error(group: list[Device], lab: LabProfile | None) -> str:
    d0 = group[0]
    what = (f"the lab profile's {lab.devices[lab.rule_for(d0) or 0].describe()}" if lab is not None
            else f"one {slot_words(d0.slot)} role")
    listed = "; ".join(d.describe() for d in group)
    fix = ("pin it by source_id in the lab profile" if lab is not None else HOW_TO_CHOOSE)
    return f"{len(group)} streams would serve {what}: {listed}; {fix}"


@dataclass
class Ignored:
    device: Device
    reason: str


class DeviceChooser:
    """Decides which streams a session records: one per slot, never a guess.

    ``explicit`` identities were named by the user (``--source-id``, the console's own
    marker outlet): they are taken whatever else serves their slot.
    """

    def __init__(self, lab: LabProfile | None = None, explicit: Iterable[str] = ()):
        self.lab = lab
        self.explicit = set(explicit)
        self.chosen: dict[str, Device] = {}  # identity -> device
        self.ignored: dict[str, Ignored] = {}  # identity -> why

    def _key(self, d: Device) -> object:
        if self.lab is not None:
            return ("rule", self.lab.rule_for(d))
        return d.slot

    def check_start(self, devices: list[Device]) -> None:
        """The streams found before recording starts: raise a one-line RecordingError when two
        would serve one slot (and were not both named explicitly)."""
        pool = [d for d in devices if d.identity not in self.explicit]
        for g in rivals(pool, self.lab):
            raise RecordingError(rivals_error(g, self.lab))

    def offer(self, batch: list[Device]) -> tuple[list[Device], list[Ignored]]:
        """New streams (those resolved together): returns (to record, newly ignored)."""
        take: list[Device] = []
        newly: list[Ignored] = []
        fresh = [d for d in batch if d.identity not in self.chosen and d.identity not in self.ignored]
        for d in fresh:
            if d.identity in self.explicit:
                take.append(d)
                continue
            reason = ""
            if self.lab is not None:
                if self.lab.rule_for(d) is None:
                    reason = self.lab.impostor(d) or (
                        f"stream {d.describe()} is not a device of lab profile "
                        f"{self.lab.path or self.lab.name}; not recorded")
            if not reason:
                key = self._key(d)
                holder = next((c for c in self.chosen.values()
                               if c.identity not in self.explicit and self._key(c) == key), None)
                same = [o for o in fresh if o is not d and o.identity not in self.explicit
                        and self._key(o) == key]
                if holder is not None:
                    reason = (f"stream {d.describe()} would be a second {slot_words(d.slot)} "
                              f"device beside {holder.describe()}; not recorded ({HOW_TO_CHOOSE})")
                elif same:
                    reason = (f"streams {d.describe()} and {same[0].describe()} appeared together "
                              f"for one {slot_words(d.slot)} role; neither is recorded "
                              f"({HOW_TO_CHOOSE})")
            if reason:
                ig = Ignored(d, reason)
                self.ignored[d.identity] = ig
                newly.append(ig)
            else:
                take.append(d)
        # a batch's rivals: all of them were ignored above, none taken
        for d in take:
            self.chosen[d.identity] = d
        return take, newly

    def forget(self, identity: str) -> None:
        """An ignored stream left the network: judge it again if it comes back."""
        self.ignored.pop(identity, None)

    def choice_json(self, keys: dict[str, str]) -> str:
        """The device choice for the session file: role -> [stream group keys], from
        ``keys`` (identity -> group key) of the streams recorded so far."""
        out: dict[str, list[str]] = {}
        for ident, d in self.chosen.items():
            if ident in keys:
                out.setdefault(d.role, []).append(keys[ident])
        return json.dumps({k: sorted(v) for k, v in sorted(out.items())})

    def ignored_json(self) -> str:
        return json.dumps([{**ig.device.as_dict(), "reason": ig.reason}
                           for ig in self.ignored.values()])


def choose_panel(devices: list[Device], lab: LabProfile | None = None,
                 picks: dict[tuple[str, str], str] | None = None
                 ) -> tuple[list[Device], list[list[Device]]]:
    """The console's choice among the streams on the network: (devices to record, groups of
    rivals still to be resolved). With a lab profile, its devices; without, one stream per
    slot. ``picks`` (slot -> identity, the clinician's "use this device") settles a slot."""
    picks = picks or {}
    pool = [d for d in devices if lab is None or lab.rule_for(d) is not None]
    groups: dict[object, list[Device]] = {}
    for d in pool:
        key = ("rule", lab.rule_for(d)) if lab is not None else d.slot
        groups.setdefault(key, []).append(d)
    chosen: list[Device] = []
    open_: list[list[Device]] = []
    for g in groups.values():
        if len(g) == 1:
            chosen.append(g[0])
            continue
        pick = next((d for d in g if picks.get(d.slot) == d.identity), None)
        if pick is not None:
            chosen.append(pick)
        else:
            open_.append(g)
    return chosen, open_
