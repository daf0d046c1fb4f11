"""Render a whole virtual-athlete session straight into a session file, without LSL.

The file follows docs/hdf5-schema.md (``gaitlab.session/1``) and is written with plain
h5py. Stream metadata is the info XML of :func:`outlets.stream_info`, i.e. exactly what
the live simulator publishes; samples are the same renderers' output, stamped
``t0 + n / rate`` (markers: ``t0 + model time``). Useful for validating the analysis
against the model's ground truth quickly and deterministically.
"""

from __future__ import annotations

import socket
from pathlib import Path

import h5py
import numpy as np
import pylsl

from gaitlab import __version__
from gaitlab.drivers.virtual import outlets, render
from gaitlab.drivers.virtual.model import SessionModel
from gaitlab.streams import parse_info_xml

SCHEMA = "gaitlab.session/1"
STR_DTYPE = h5py.string_dtype("utf-8")
CHUNK_BYTES = 1 << 20  # rows rendered and appended per step: about 1 MiB of samples


def _safe_key(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-." else "-" for ch in name)


def _stream_group(root: h5py.Group, model: SessionModel, device: str, t0: float) -> h5py.Group:
    info = outlets.stream_info(model, device, "offline")
    xml = info.as_xml()
    spec = parse_info_xml(xml)
    g = root.create_group(_safe_key(spec.name))
    g.attrs.update({
        "name": spec.name, "type": info.type(), "source_id": info.source_id(),
        "hostname": socket.gethostname(), "channel_count": info.channel_count(),
        "nominal_srate": info.nominal_srate(), "channel_format": spec.channel_format,
        "role": spec.role, "info_xml": xml, "first_seen_lsl_time": t0,
    })
    labels = [ch.label or f"ch{i + 1}" for i, ch in enumerate(spec.channels)]
    units = [ch.unit for ch in spec.channels]
    g.create_dataset("channel_labels", data=np.array(labels, dtype=object), dtype=STR_DTYPE)
    g.create_dataset("channel_units", data=np.array(units, dtype=object), dtype=STR_DTYPE)
    g.create_dataset("clock_offsets", data=np.array([[t0, 0.0]]), maxshape=(None, 2))
    g.create_dataset("gaps", shape=(0, 2), dtype=np.float64, maxshape=(None, 2))
    return g


def _write_numeric(g: h5py.Group, model: SessionModel, device: str, t0: float) -> None:
    spec = outlets.device_spec(model, device)
    assert spec.render is not None
    n = render.n_samples(model.duration_s, spec.rate_hz)
    step = max(int(CHUNK_BYTES // (4 * spec.n_channels)), 1)
    data = g.create_dataset("data", shape=(n, spec.n_channels), dtype=np.float32,
                            chunks=(min(max(n, 1), step), spec.n_channels),
                            maxshape=(None, spec.n_channels),
                            compression="gzip", compression_opts=1, shuffle=True)
    g.create_dataset("time_stamps", data=t0 + np.arange(n) / spec.rate_hz, maxshape=(None,))
    for a in range(0, n, step):  # chunk-sized appends; renderers are chunk-invariant
        b = min(a + step, n)
        data[a:b] = spec.render(model, a, b)


def _write_markers(g: h5py.Group, model: SessionModel, t0: float) -> None:
    mk = render.markers_between(model, -np.inf, np.inf)
    g.create_dataset("time_stamps", data=np.array([t0 + t for t, _ in mk], np.float64),
                     maxshape=(None,))
    d = g.create_dataset("data", (len(mk), 1), dtype=STR_DTYPE, maxshape=(None, 1))
    if mk:
        d[:, 0] = [s for _, s in mk]


def write_offline_session(model: SessionModel, path: str | Path, t0: float = 1000.0,
                          devices: tuple[str, ...] = outlets.DEVICES) -> Path:
    """Write ``model`` as a complete session file at ``path``; model time 0 is LSL ``t0``."""
    path = Path(path)
    a = model.profile.athlete
    with h5py.File(path, "w", libver="latest") as f:
        f.attrs.update({
            "schema": SCHEMA, "software": f"gaitlab {__version__} (virtual athlete, offline)",
            "created_utc": "1970-01-01T00:00:00+00:00", "recorder_host": socket.gethostname(),
            "lsl_library_version": pylsl.library_version(), "complete": 1,
            "start_lsl_time": t0, "stop_lsl_time": t0 + model.duration_s,
        })
        ath = f.create_group("athlete")
        for k in a.__dataclass_fields__:
            ath.attrs[k] = getattr(a, k)
        ath.attrs["profile_toml"] = model.profile.source_text
        root = f.create_group("streams")
        for dev in devices:
            g = _stream_group(root, model, dev, t0)
            if dev == "markers":
                _write_markers(g, model, t0)
            else:
                _write_numeric(g, model, dev, t0)
    return path
