"""The gaitlab stream conventions, as code.

Any LSL source that follows these conventions is understood by the recorder and the
analysis, not only gaitlab's own drivers. This module turns a stream's info XML (the
``<info>`` document every LSL stream carries) into a :class:`StreamSpec`: its role in
the lab, channel labels, units and the factor that converts each channel to SI.

Conventions (docs/streams.md has the full text):

* EMG: type "EMG", one channel per electrode, labels ``<MUSCLE>_<SIDE>`` (GMED_L …),
  units V, mV or uV.
* Pressure treadmill: type "Pressure", rows×cols channels row-major, row 0 = front
  edge of the belt, col 0 = runner's left; ``desc/geometry/{rows, cols, row_pitch_mm,
  col_pitch_mm}``; optional ``desc/belt_speed_mps``; unit N/cm^2 or kPa.
* Instrumented treadmill: type "Force", channels Fz (N), COPx (m, + to the runner's
  right), COPy (m, + forward); split belt adds _L/_R suffixes.
* Handheld dynamometer: type "Force" with exactly one channel, unit N, lbf or kgf.
* Markers: type "Markers", string format.
* Treadmill belt speed: type "BeltSpeed", channels speed_L, speed_R in m/s.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal

from gaitlab.errors import StreamFormatError

#: more channels than any lab device has (a 256 x 256 pressure mat): a larger count is garbage
MAX_CHANNELS = 1 << 16

Role = Literal[
    "emg", "pressure", "force_treadmill", "dynamometer", "markers", "imu", "belt_speed", "other"
]
Side = Literal["L", "R"]

#: Multiplier from a unit as written in stream metadata to the SI unit used inside gaitlab.
#: Pressure is kept in N/cm^2 (the clinical unit of pressure plates: 1 N/cm^2 = 10 kPa)
#: because thresholds and norms are published in it; every other quantity is SI.
UNIT_TO_SI: dict[str, tuple[str, float]] = {
    "v": ("V", 1.0),
    "volts": ("V", 1.0),
    "mv": ("V", 1e-3),
    "millivolts": ("V", 1e-3),
    "uv": ("V", 1e-6),
    "µv": ("V", 1e-6),
    "μv": ("V", 1e-6),
    "microvolts": ("V", 1e-6),
    "n": ("N", 1.0),
    "newton": ("N", 1.0),
    "newtons": ("N", 1.0),
    "lbf": ("N", 4.4482216152605),
    "kgf": ("N", 9.80665),
    "m": ("m", 1.0),
    "mm": ("m", 1e-3),
    "cm": ("m", 1e-2),
    "n/cm^2": ("N/cm^2", 1.0),
    "n/cm2": ("N/cm^2", 1.0),
    "n/cm²": ("N/cm^2", 1.0),
    "kpa": ("N/cm^2", 0.1),
    "pa": ("N/cm^2", 1e-4),
    "m/s": ("m/s", 1.0),
    "mps": ("m/s", 1.0),
}

_LABEL_RE = re.compile(r"^(?P<muscle>[A-Za-z][A-Za-z0-9]*)_(?P<side>[LR])$")
_MARKER_TYPES = {"markers", "marker", "events"}
_IMU_TYPES = {"mocap", "imu", "accelerometer", "gyroscope", "magnetometer", "orientation"}


def to_si(unit: str | None) -> tuple[str, float]:
    """Return (si_unit, factor) for a unit string; unknown or empty units map to factor 1."""
    if not unit:
        return ("", 1.0)
    key = unit.strip().lower().replace(" ", "")
    return UNIT_TO_SI.get(key, (unit, 1.0))


def parse_emg_label(label: str) -> tuple[str, Side] | None:
    """Split ``GMED_L`` into ("GMED", "L"); None when the label does not follow the convention."""
    m = _LABEL_RE.match(label.strip())
    if not m:
        return None
    return m.group("muscle").upper(), m.group("side")  # type: ignore[return-value]


def check_montage(labels: list[str], montage: dict[str, str]) -> dict[str, str]:
    """Check an EMG montage (channel label → ``MUSCLE_SIDE``) against a stream's channel labels.

    Returns it cleaned (names upper-cased, empty entries dropped: that channel keeps its own
    label). Raises a one-line :class:`StreamFormatError` for a label the stream does not have,
    a name that is not ``MUSCLE_SIDE``, or two channels that would get the same muscle and side.
    """
    clean: dict[str, str] = {}
    for label, target in montage.items():
        if label not in labels:
            raise StreamFormatError(f"montage: the stream has no channel '{label}'; map only its "
                                    f"channels ({', '.join(labels)})")
        name = str(target).strip().upper()
        if not name:
            continue
        if parse_emg_label(name) is None:
            raise StreamFormatError(f"montage: '{target}' for channel '{label}' is not MUSCLE_SIDE; "
                                    "write e.g. GMED_L or TFL_R")
        clean[label] = name
    seen: dict[str, str] = {}
    for label in labels:
        name = clean.get(label, label)
        if parse_emg_label(name) is None:
            continue
        if name in seen:
            raise StreamFormatError(f"montage: {name} is given to two channels ({seen[name]}, {label}); "
                                    "give each channel its own muscle and side")
        seen[name] = label
    return clean


@dataclass(frozen=True)
class Channel:
    label: str
    unit: str = ""
    type: str = ""

    @property
    def si(self) -> tuple[str, float]:
        return to_si(self.unit)


@dataclass(frozen=True)
class PressureGeometry:
    rows: int
    cols: int
    row_pitch_m: float
    col_pitch_m: float
    belt_speed_mps: float | None = None


@dataclass(frozen=True)
class StreamSpec:
    """What gaitlab needs to know about one LSL stream, parsed from its info XML."""

    name: str
    type: str
    source_id: str
    hostname: str
    channel_count: int
    nominal_srate: float
    channel_format: str
    channels: tuple[Channel, ...]
    role: Role
    manufacturer: str = ""
    geometry: PressureGeometry | None = None
    side: str = ""  # desc/side: "L" or "R" for a device that measures one side only
    xml: str = field(default="", repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.channels]

    @property
    def key(self) -> str:
        """Identity that survives a restart of the source: source_id, else name@host."""
        return self.source_id or f"{self.name}@{self.hostname}"

    @property
    def is_string(self) -> bool:
        return self.channel_format == "string"

    def si_scale(self) -> list[float]:
        return [c.si[1] for c in self.channels]

    def emg_muscles(self, montage: dict[str, str] | None = None) -> dict[int, tuple[str, Side]]:
        """Map channel index to (muscle, side) for EMG channels.

        ``montage`` maps a channel label to a ``MUSCLE_SIDE`` label, for sources whose
        channels are named otherwise (e.g. {"EMG1": "GMED_L"}). Channels that map to no
        muscle are left out (they are still recorded).
        """
        montage = montage or {}
        out: dict[int, tuple[str, Side]] = {}
        for i, ch in enumerate(self.channels):
            parsed = parse_emg_label(montage.get(ch.label, ch.label))
            if parsed:
                out[i] = parsed
        return out


def _text(node: ET.Element | None, tag: str, default: str = "") -> str:
    if node is None:
        return default
    child = node.find(tag)
    return (child.text or "").strip() if child is not None and child.text else default


def _float(text: str, what: str, stream: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # "nan" / "inf" parse, but no rate, pitch or speed is one
        raise StreamFormatError(
            f"stream '{stream}': {what} is '{text[:40]}', not a finite number; fix the source's "
            "metadata"
        ) from None
    return value


def _count(text: str, what: str, stream: str) -> int:
    value = _float(text, what, stream)
    if value != int(value) or not 0 <= value <= MAX_CHANNELS:
        raise StreamFormatError(f"stream '{stream}': {what} is '{text[:40]}', not a whole number "
                                f"from 0 to {MAX_CHANNELS}; fix the source's metadata")
    return int(value)


def classify(stype: str, channel_format: str, channels: tuple[Channel, ...]) -> Role:
    """The stream's role in the lab, from its type and channel labels."""
    t = stype.strip().lower()
    labels = {c.label for c in channels}
    if t == "emg":
        return "emg"
    if t == "pressure":
        return "pressure"
    if t == "force":
        if "Fz" in labels or {"Fz_L", "Fz_R"} <= labels:
            return "force_treadmill"
        if len(channels) == 1:
            return "dynamometer"
        return "other"
    if t in _MARKER_TYPES or (channel_format == "string" and t in {"", "marker"}):
        return "markers"
    if t in _IMU_TYPES:
        return "imu"
    if t == "beltspeed":
        return "belt_speed"
    return "other"


def parse_info_xml(xml: str) -> StreamSpec:
    """Parse an LSL stream info XML document into a :class:`StreamSpec`.

    Raises :class:`StreamFormatError` with a one-line message when the metadata is
    malformed or contradicts the conventions (e.g. a pressure grid whose rows×cols is
    not the channel count).
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise StreamFormatError(f"stream info is not valid XML ({exc}); check the source") from None
    name = _text(root, "name", "?")
    stype = _text(root, "type")
    try:
        n_ch = int(_text(root, "channel_count", "0"))
    except ValueError:
        raise StreamFormatError(f"stream '{name}': channel_count is not an integer") from None
    if not 1 <= n_ch <= MAX_CHANNELS:
        raise StreamFormatError(f"stream '{name}': channel_count {n_ch} is not between 1 and "
                                f"{MAX_CHANNELS}; fix the source's metadata")
    srate = _float(_text(root, "nominal_srate", "0"), "nominal_srate", name)
    if srate < 0:
        raise StreamFormatError(f"stream '{name}': nominal_srate {srate:g} is negative; use 0 for "
                                "an irregular stream")
    fmt = _text(root, "channel_format", "float32")
    desc = root.find("desc")
    chans: list[Channel] = []
    if desc is not None and desc.find("channels") is not None:
        for ch in desc.find("channels").findall("channel"):  # type: ignore[union-attr]
            chans.append(Channel(_text(ch, "label"), _text(ch, "unit"), _text(ch, "type")))
    if chans and len(chans) != n_ch:
        raise StreamFormatError(
            f"stream '{name}': desc lists {len(chans)} channels but channel_count is {n_ch}; "
            "fix the source's channel metadata"
        )
    if not chans:
        chans = [Channel(f"ch{i + 1}") for i in range(n_ch)]
    channels = tuple(chans)
    role = classify(stype, fmt, channels)
    geometry = None
    if role == "pressure":
        geo = desc.find("geometry") if desc is not None else None
        if geo is None:
            raise StreamFormatError(
                f"stream '{name}': a Pressure stream needs desc/geometry/{{rows, cols, "
                "row_pitch_mm, col_pitch_mm}}; add it to the source's metadata"
            )
        rows = _count(_text(geo, "rows", "0"), "geometry/rows", name)
        cols = _count(_text(geo, "cols", "0"), "geometry/cols", name)
        if rows * cols != n_ch:
            raise StreamFormatError(
                f"stream '{name}': geometry {rows}x{cols} = {rows * cols} sensors but the "
                f"stream has {n_ch} channels; fix desc/geometry"
            )
        belt = _text(desc, "belt_speed_mps")  # type: ignore[arg-type]
        geometry = PressureGeometry(
            rows=rows,
            cols=cols,
            row_pitch_m=_float(_text(geo, "row_pitch_mm", "0"), "row_pitch_mm", name) / 1000,
            col_pitch_m=_float(_text(geo, "col_pitch_mm", "0"), "col_pitch_mm", name) / 1000,
            belt_speed_mps=_float(belt, "belt_speed_mps", name) if belt else None,
        )
        if geometry.row_pitch_m <= 0 or geometry.col_pitch_m <= 0:
            raise StreamFormatError(f"stream '{name}': geometry pitches must be positive (mm)")
        unit = chans[0].unit if chans and chans[0].unit else (_text(desc, "unit") or "N/cm^2")
        if to_si(unit)[0] != "N/cm^2":
            raise StreamFormatError(
                f"stream '{name}': pressure unit '{unit}' is not N/cm^2, kPa or Pa"
            )
        if not any(c.unit for c in chans):
            channels = tuple(Channel(c.label, unit, c.type) for c in chans)
    manufacturer = _text(desc, "manufacturer") if desc is not None else ""
    side = (_text(desc, "side") if desc is not None else "").strip().upper()
    if side not in ("", "L", "R"):
        raise StreamFormatError(f"stream '{name}': desc/side is '{side}'; use L or R (or leave "
                                "it out)")
    return StreamSpec(
        name=name,
        type=stype,
        source_id=_text(root, "source_id"),
        hostname=_text(root, "hostname"),
        channel_count=n_ch,
        nominal_srate=srate,
        channel_format=fmt,
        channels=channels,
        role=role,
        manufacturer=manufacturer,
        geometry=geometry,
        side=side,
        xml=xml,
    )
