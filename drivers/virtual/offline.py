"""Render a whole virtual-athlete session straight into a session file, without LSL.

The file follows docs/hdf5-schema.md (``gaitlab.session/2``, pressure sparse) and is written by the
recorder's own SessionWriter. Stream metadata is the info XML of
:func:`outlets.stream_info`, i.e. exactly what the live simulator publishes; samples
are the same renderers' output, stamped ``t0 + n / rate`` (markers: ``t0 + model
time``). Useful for validating the analysis against the model's ground truth quickly
and deterministically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

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


def write_offline_session(model: SessionModel, path: str | Path, t0: float = 1000.0,
                          devices: tuple[str, ...] = outlets.DEVICES) -> Path:
    """Write ``model`` as a complete session file at ``path`` (replacing it); model time 0
    is LSL ``t0``. Written by the same SessionWriter as live recordings."""
    path = Path(path)
    w = SessionWriter(path, model.profile, overwrite=True, start_lsl_time=t0,
                      session=session_attrs(model.protocol))
    try:
        w.file.attrs["software"] = f"gaitlab {__version__} (virtual athlete, offline)"
        for dev in devices:
            _write_stream(w, model, dev, t0)
        w.flush()
    finally:
        w.close(complete=True, stop_lsl_time=t0 + model.duration_s)
    return path
