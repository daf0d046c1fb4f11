"""Finding the pelvis sensor among a session's IMU channels, and its samples in SI units.

Pure functions over channel metadata and arrays (the session reading is in
:mod:`gaitlab.analysis.pipeline`). An IMU stream (type "MoCap"/"IMU", the XDF MoCap
convention that the Trigno driver writes) has per channel a label such as
``SACRUM_AccelerationX`` and/or a type ``AccelerationX``/``AngularVelocityX``; the sensor's
location is the label without that suffix. The pelvis sensor is the one whose location names
the pelvis (SACRUM, SACR, PELVIS, S1, L5, …). An optical stream (type "MoCap") has
PositionX/Y/Z channels per marker (``LASI_PositionX`` or ``LASI_X``); the pelvis landmarks are
found by their common spellings (:func:`gaitlab.analysis.pelvis.markers.canonical_label`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from gaitlab.analysis.pelvis.markers import canonical_label

PELVIS_LOCATIONS = {"SACRUM", "SACR", "SACRAL", "PELVIS", "PELVIC", "S1", "S2", "L5", "L4", "LOWERBACK",
                    "LUMBAR"}
_KIND = {"ACCELERATION": "acc", "ACC": "acc", "ACCEL": "acc", "ANGULARVELOCITY": "gyr", "GYRO": "gyr",
         "GYR": "gyr", "GYROSCOPE": "gyr"}
_LABEL = re.compile(r"^(?P<loc>.*?)[\s._-]*"
                    r"(?P<kind>AngularVelocity|Acceleration|Accel|Acc|Gyroscope|Gyro|Gyr)"
                    r"[\s._-]*(?P<axis>[XYZ])$", re.IGNORECASE)
ACC_UNITS = {"g": 9.80665, "m/s^2": 1.0, "m/s2": 1.0, "m/s²": 1.0, "ms^-2": 1.0, "": 1.0}
GYR_UNITS = {"deg/s": math.pi / 180, "dps": math.pi / 180, "°/s": math.pi / 180, "degree/s": math.pi / 180,
             "degrees/s": math.pi / 180, "rad/s": 1.0, "": 1.0}


@dataclass(frozen=True)
class PelvisImu:
    location: str
    acc_cols: tuple[int, int, int]
    gyr_cols: tuple[int, int, int]
    acc_scale: float  # to m/s²
    gyr_scale: float  # to rad/s


def _parse(label: str, ctype: str) -> tuple[str, str, str] | None:
    m = _LABEL.match(label.strip())
    if m:
        return m.group("loc").strip("_.- ").upper(), _KIND[m.group("kind").upper()], m.group("axis").upper()
    t = _LABEL.match(ctype.strip()) if ctype else None
    if t:
        return label.strip().upper(), _KIND[t.group("kind").upper()], t.group("axis").upper()
    return None


def find_pelvis_imu(labels: list[str], units: list[str], types: list[str] | None = None
                    ) -> tuple[PelvisImu | None, str]:
    """The pelvis sensor's columns among one stream's channels, or None and why not."""
    types = types or [""] * len(labels)
    found: dict[str, dict[str, dict[str, int]]] = {}
    for i, (lab, ty) in enumerate(zip(labels, types, strict=True)):
        p = _parse(lab, ty)
        if p:
            loc, kind, axis = p
            found.setdefault(loc, {}).setdefault(kind, {})[axis] = i
    if not found:
        return None, "no acceleration/angular-velocity channels"
    pelvis = [loc for loc in found if re.sub(r"[^A-Z0-9]", "", loc) in PELVIS_LOCATIONS]
    if not pelvis:
        return None, f"no sensor on the pelvis (sensors: {', '.join(sorted(found))}; name one SACRUM)"
    loc = pelvis[0]
    kinds = found[loc]
    if set(kinds.get("acc", {})) != {"X", "Y", "Z"} or set(kinds.get("gyr", {})) != {"X", "Y", "Z"}:
        return None, f"sensor {loc}: needs AccelerationX/Y/Z and AngularVelocityX/Y/Z channels"
    ka, kg = kinds["acc"], kinds["gyr"]
    acc, gyr = (ka["X"], ka["Y"], ka["Z"]), (kg["X"], kg["Y"], kg["Z"])
    au = {units[i].strip().lower().replace(" ", "") for i in acc}
    gu = {units[i].strip().lower().replace(" ", "") for i in gyr}
    if len(au) != 1 or len(gu) != 1 or next(iter(au)) not in ACC_UNITS or next(iter(gu)) not in GYR_UNITS:
        return None, (f"sensor {loc}: units {sorted(au)} / {sorted(gu)} not understood "
                      "(acceleration in g or m/s^2, angular velocity in deg/s or rad/s)")
    return PelvisImu(loc, acc, gyr, ACC_UNITS[au.pop()], GYR_UNITS[gu.pop()]), ""


def uniform(t: np.ndarray, x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Samples ``x`` (n, k) at times ``t`` put on a regular grid at ``fs`` Hz (linear
    interpolation; missing samples bridged), as fusion needs a constant sampling interval."""
    t = np.asarray(t, dtype=np.float64)
    ok = np.isfinite(t) & np.all(np.isfinite(x), axis=1)
    t, x = t[ok], np.asarray(x, dtype=np.float64)[ok]
    if t.size < 2:
        raise ValueError("fewer than 2 usable IMU samples")
    tu = t[0] + np.arange(int(np.floor((t[-1] - t[0]) * fs)) + 1) / fs
    return tu, np.column_stack([np.interp(tu, t, x[:, j]) for j in range(x.shape[1])])


_POS = re.compile(r"^(?P<loc>.*?)[\s._-]*(?:Position)?[\s._-]*(?P<axis>[XYZ])$", re.IGNORECASE)
LENGTH_UNITS = {"mm": 1e-3, "millimeters": 1e-3, "millimetres": 1e-3, "cm": 1e-2, "m": 1.0, "meters": 1.0,
                "metres": 1.0, "": 1.0}


def find_pelvis_marker_columns(labels: list[str], units: list[str], types: list[str] | None = None
                               ) -> tuple[dict[str, tuple[int, int, int]] | None, float, str]:
    """Columns (X, Y, Z) of each pelvis landmark (canonical names, :mod:`.markers`) among a MoCap
    stream's PositionX/Y/Z channels, the factor to metres, or None and why not."""
    types = types or [""] * len(labels)
    found: dict[str, dict[str, int]] = {}
    unit_of: dict[str, str] = {}
    for i, (lab, ty) in enumerate(zip(labels, types, strict=True)):
        m = _POS.match(lab.strip())
        if not m or (ty and not ty.lower().startswith("position")):
            continue
        canon = canonical_label(m.group("loc"))
        if canon is None:
            continue
        found.setdefault(canon, {})[m.group("axis").upper()] = i
        unit_of[canon] = units[i].strip().lower()
    full = {k: (v["X"], v["Y"], v["Z"]) for k, v in found.items() if set(v) == {"X", "Y", "Z"}}
    if not found:
        return None, 1.0, "no pelvis marker (ASIS/PSIS/SACR PositionX/Y/Z channels)"
    need = {"L_ASIS", "R_ASIS"}
    if not need <= set(full) or not ({"L_PSIS", "R_PSIS"} <= set(full) or "SACRUM" in full):
        return None, 1.0, (f"pelvis markers {', '.join(sorted(full))}: need both ASISs and both PSISs "
                           "(or SACR)")
    us = {unit_of[k] for k in full}
    if len(us) != 1 or next(iter(us)) not in LENGTH_UNITS:
        return None, 1.0, f"marker units {sorted(us)} not understood (mm, cm or m)"
    return full, LENGTH_UNITS[us.pop()], ""
