"""Render a whole virtual-athlete session straight into a session file, without LSL.

The file follows docs/hdf5-schema.md (``gaitlab.session/2``, pressure sparse) and is written by the
recorder's own SessionWriter. Stream metadata is the info XML of
:func:`outlets.stream_info`, i.e. exactly what the live simulator publishes; samples
are the same renderers' output, stamped ``t0 + n / rate`` (markers: ``t0 + model
time``). Useful for validating the analysis against the model's ground truth quickly
and deterministically.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pylsl

from gaitlab import __version__
from gaitlab.drivers.virtual import outlets, render
from gaitlab.drivers.virtual.model import SessionModel
from gaitlab.io.writer import SessionWriter, header_from_xml
from gaitlab.protocols import session_attrs

CHUNK_BYTES = 1 << 20  # rows rendered and appended per step: about 1 MiB of samples


def _write_stream(w: SessionWriter, model: SessionModel, device: str, t0: float) -> None:
    header, problem = header_from_xml(outlets.stream_info(model, device, "offline").as_xml(), t0)
    assert not problem, problem  # our own metadata always follows the conventions
    _, sw = w.add_stream(header)
    sw.add_offsets(np.array([[t0, 0.0]]))  # one clock: the offset is zero
    if device == "markers":
        mk = render.markers_between(model, -np.inf, np.inf)
        sw.append(np.array([t0 + t for t, _ in mk], np.float64),
                  np.array([[text] for _, text in mk], dtype=object).reshape(-1, 1))
        return
    spec = outlets.device_spec(model, device)
    assert spec.render is not None
    n = render.n_samples(model.duration_s, spec.rate_hz)
    step = max(int(CHUNK_BYTES // (4 * spec.n_channels)), 1)
    for a in range(0, n, step):  # chunk-sized appends; renderers are chunk-invariant
        b = min(a + step, n)
        sw.append(t0 + np.arange(a, b) / spec.rate_hz, spec.render(model, a, b))


def _write_foot_switch(w: SessionWriter, model: SessionModel, sides: str, t0: float) -> None:
    """A "FootSwitch" marker stream: "IC <side>" / "TO <side>" at the model's realised
    contacts of ``sides`` ("L", "R" or "LR"), as a foot-switch box sends them."""
    info = pylsl.StreamInfo("gaitlab-sim_FootSwitch", "Markers", 1, 0.0, "string",
                            f"gaitlab-sim-footswitch-{sides}")
    info.desc().append_child("channels").append_child("channel").append_child_value("label", "event")
    header, problem = header_from_xml(info.as_xml(), t0)
    assert not problem, problem
    _, sw = w.add_stream(header)
    sw.add_offsets(np.array([[t0, 0.0]]))
    c = model.contacts
    keep = np.isin(c.side, list(sides))
    t = np.r_[c.t_ic[keep], c.t_to[keep]]
    text = np.r_[[f"IC {s}" for s in c.side[keep]], [f"TO {s}" for s in c.side[keep]]]
    o = np.argsort(t, kind="stable")
    sw.append(t0 + t[o], np.asarray(text[o], dtype=object).reshape(-1, 1))


def write_offline_session(model: SessionModel, path: str | Path, t0: float = 1000.0,
                          devices: tuple[str, ...] = outlets.DEVICES,
                          foot_switch: str = "") -> Path:
    """Write ``model`` as a complete session file at ``path`` (replacing it); model time 0
    is LSL ``t0``. Written by the same SessionWriter as live recordings. ``foot_switch``
    ("L", "R" or "LR") adds the gait events of those feet as a foot-switch marker stream."""
    path = Path(path)
    w = SessionWriter(path, model.profile, overwrite=True, start_lsl_time=t0,
                      session=session_attrs(model.protocol))
    try:
        w.file.attrs["software"] = f"gaitlab {__version__} (virtual athlete, offline)"
        for dev in devices:
            _write_stream(w, model, dev, t0)
        if foot_switch:
            _write_foot_switch(w, model, foot_switch, t0)
            # both marker streams serve the analysis (protocol markers and gait events)
            w.set_devices(json.dumps({"markers": sorted(k for k in w.streams
                                                        if "Markers" in k or "FootSwitch" in k)}),
                          "[]")
        w.flush()
    finally:
        w.close(complete=True, stop_lsl_time=t0 + model.duration_s)
    return path
