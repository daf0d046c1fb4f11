"""Session files written with plain h5py to docs/hdf5-schema.md, from arrays."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pylsl


@dataclass
class StreamArrays:
    name: str
    type: str
    labels: list[str]
    units: list[str]
    srate: float
    times: np.ndarray
    data: np.ndarray  # (n, C) numbers, or (n,) str for markers
    fmt: str = "float32"
    desc: dict[str, Any] = field(default_factory=dict)  # extra desc children, e.g. geometry


def info_xml(s: StreamArrays) -> str:
    """Real LSL info XML, made by liblsl itself."""
    info = pylsl.StreamInfo(s.name, s.type, len(s.labels), s.srate, s.fmt, uuid.uuid4().hex)
    chans = info.desc().append_child("channels")
    for lab, unit in zip(s.labels, s.units, strict=True):
        ch = chans.append_child("channel")
        ch.append_child_value("label", lab)
        if unit:
            ch.append_child_value("unit", unit)
    for k, v in s.desc.items():
        if isinstance(v, dict):
            g = info.desc().append_child(k)
            for kk, vv in v.items():
                g.append_child_value(kk, str(vv))
        else:
            info.desc().append_child_value(k, str(v))
    return info.as_xml()


ATHLETE = {"id": "t-001", "name": "Test runner", "sex": "F", "body_mass_kg": 62.0,
           "height_m": 1.68, "leg_length_m": 0.88, "lever_arm_m": 0.42, "involved_side": "R"}


def write_session(path: Path, streams: list[StreamArrays], athlete: dict[str, Any] | None = None,
                  complete: bool = True) -> Path:
    with h5py.File(path, "w", libver="latest") as f:
        f.attrs.update({"schema": "gaitlab.session/1", "software": "tests", "complete": int(complete),
                        "created_utc": "2025-01-01T00:00:00+00:00", "recorder_host": "test",
                        "lsl_library_version": pylsl.library_version(),
                        "start_lsl_time": 0.0, "stop_lsl_time": 100.0})
        a = f.create_group("athlete")
        for k, v in (ATHLETE if athlete is None else athlete).items():
            a.attrs[k] = v
        root = f.create_group("streams")
        for s in streams:
            g = root.create_group(s.name)
            n = len(s.times)
            g.attrs.update({"name": s.name, "type": s.type, "source_id": "x", "hostname": "test",
                            "channel_count": len(s.labels), "nominal_srate": s.srate,
                            "channel_format": s.fmt, "info_xml": info_xml(s),
                            "first_seen_lsl_time": 0.0})
            g.create_dataset("time_stamps", data=np.asarray(s.times, np.float64), maxshape=(None,))
            if s.fmt == "string":
                d = g.create_dataset("data", (n, 1), dtype=h5py.string_dtype(), maxshape=(None, 1))
                if n:
                    d[:, 0] = list(s.data)
            else:
                data = np.asarray(s.data).reshape(n, -1)
                g.create_dataset("data", data=data, maxshape=(None, data.shape[1]),
                                 chunks=(min(max(n, 1), 256), data.shape[1]),
                                 compression="gzip", compression_opts=1, shuffle=True)
            g.create_dataset("channel_labels", data=np.array(s.labels, dtype=object),
                             dtype=h5py.string_dtype())
            g.create_dataset("channel_units", data=np.array(s.units, dtype=object),
                             dtype=h5py.string_dtype())
            g.create_dataset("clock_offsets", data=np.empty((0, 2)), maxshape=(None, 2))
            g.create_dataset("gaps", data=np.empty((0, 2)), maxshape=(None, 2))
    return path
