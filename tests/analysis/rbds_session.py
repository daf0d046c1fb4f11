"""The real single-belt running trial RBDS0041 runT25 as a session file (test helper).

data/real/rbds0041_runT252_forces.txt.gz (Fukuchi, CC BY 4.0; data/real/README.md) is
written by the recorder's SessionWriter as one instrumented-treadmill stream "Force" with
channels Fz (N, the file's vertical ``Fy``) and COPx (m, + toward the runner's right: the
file's ``COPz`` / 1000), 300 Hz, sample k at t0 + (k − 1) / 300 s.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pylsl

from gaitlab.io.writer import SessionWriter, header_from_xml

REAL = Path(__file__).resolve().parents[2] / "data" / "real"
FORCES = REAL / "rbds0041_runT252_forces.txt.gz"
REFERENCE = REAL / "rbds0041_runT252_reference.json"
FS = 300.0
T0 = 1000.0  # session clock at sample 1
CHUNK = 1024


def load_forces() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t in s on the session clock, vertical force N, COP across the belt m)."""
    with gzip.open(FORCES, "rt") as fh:
        a = np.genfromtxt(fh, delimiter="\t", names=True)
    return T0 + (a["Time"] - 1) / FS, a["Fy"], a["COPz"] / 1000.0


def load_reference() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text())


def write_session(path: Path) -> Path:
    t, fz, copx = load_forces()
    info = pylsl.StreamInfo("RBDS0041 treadmill plate", "Force", 2, FS, "float32", "rbds0041")
    chans = info.desc().append_child("channels")
    for label, unit in (("Fz", "N"), ("COPx", "m")):
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
    header, problem = header_from_xml(info.as_xml(), float(t[0]))
    assert not problem, problem
    w = SessionWriter(path, None, overwrite=True, start_lsl_time=T0)
    try:
        _, sw = w.add_stream(header)
        sw.add_offsets(np.array([[t[0], 0.0]]))
        x = np.stack([fz, copx], axis=1).astype(np.float32)
        for a in range(0, t.size, CHUNK):
            sw.append(t[a:a + CHUNK], x[a:a + CHUNK])
            w.flush()
    finally:
        w.close(complete=True, stop_lsl_time=float(t[-1]))
    return path
