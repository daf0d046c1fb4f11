"""Reading gaitlab session files (schema ``gaitlab.session/1``, docs/hdf5-schema.md).

The reader opens finished and interrupted recordings alike: a file left by a killed
recorder still carries the HDF5 "open for write" flag and opens only in SWMR read
mode, which is tried when a plain read fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gaitlab import __version__
from gaitlab.errors import SessionFileError
from gaitlab.streams import Role, StreamSpec, parse_info_xml

SCHEMA = "gaitlab.session/1"
SCHEMA_MAJOR = SCHEMA.rsplit("/", 1)[1]


def _str(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def clock_offset_fit(offsets: np.ndarray) -> tuple[float, float]:
    """Robust line ``offset(t) = a + b·t`` through ``[recorder_time, offset]`` pairs.

    Least squares with one round of rejecting points more than 3 MAD from the line
    (a slow network reply to time_correction shows up as an outlier). Returns (a, b);
    (0, 0) when there are no measurements, (median, 0) when there are fewer than 3.
    """
    if offsets.size == 0:
        return 0.0, 0.0
    t, o = offsets[:, 0], offsets[:, 1]
    ok = np.isfinite(t) & np.isfinite(o)
    t, o = t[ok], o[ok]
    if t.size == 0:
        return 0.0, 0.0
    if t.size < 3 or np.ptp(t) == 0:
        return float(np.median(o)), 0.0
    b, a = np.polyfit(t, o, 1)
    resid = o - (a + b * t)
    mad = np.median(np.abs(resid - np.median(resid))) or 1e-12
    keep = np.abs(resid) <= 3 * 1.4826 * mad + 1e-9
    if keep.sum() >= 3:
        b, a = np.polyfit(t[keep], o[keep], 1)
    return float(a), float(b)


@dataclass
class RecordedStream:
    """One stream of a session file. Data stay on disk until read."""

    key: str
    spec: StreamSpec
    group: h5py.Group = field(repr=False)

    @property
    def role(self) -> Role:
        return self.spec.role

    @property
    def n_samples(self) -> int:
        return int(self.group["time_stamps"].shape[0])

    @property
    def time_stamps(self) -> np.ndarray:
        """Raw stamps in the source's clock (s)."""
        return self.group["time_stamps"][:]

    @property
    def clock_offsets(self) -> np.ndarray:
        return self.group["clock_offsets"][:] if "clock_offsets" in self.group else np.empty((0, 2))

    @property
    def gaps(self) -> np.ndarray:
        return self.group["gaps"][:] if "gaps" in self.group else np.empty((0, 2))

    def times(self) -> np.ndarray:
        """Stamps on the recorder's clock: raw + fitted clock offset (s)."""
        ts = self.time_stamps
        a, b = clock_offset_fit(self.clock_offsets)
        # offset measured at recorder time ~ ts + a; first-order correction is enough
        return ts + a + b * ts

    @property
    def dataset(self) -> h5py.Dataset:
        """The raw ``data`` dataset, for block-wise reading of long recordings."""
        return self.group["data"]

    def read(self, start: int | None = None, stop: int | None = None, si: bool = True) -> np.ndarray:
        """Samples [start, stop) as an (n, C) array; scaled to SI units (V, N, m) when ``si``.

        Pressure stays in N/cm^2 (kPa and Pa sources are converted to it). String
        streams come back as an array of Python str.
        """
        ds = self.group["data"]
        if self.spec.is_string:
            return ds.asstr()[start:stop]
        x = ds[start:stop]
        if si:
            scale = np.asarray(self.spec.si_scale(), dtype=np.float64)
            if np.any(scale != 1.0):
                x = x * scale.astype(x.dtype if x.dtype.kind == "f" else np.float64)
        return x


class Session:
    """An open session file. Use as a context manager: ``with open_session(p) as s: ...``."""

    def __init__(self, path: Path, f: h5py.File):
        self.path = path
        self.file = f
        self.streams: dict[str, RecordedStream] = {}
        for key, g in f.get("streams", {}).items():
            xml = _str(g.attrs.get("info_xml", ""))
            spec = parse_info_xml(xml)
            self.streams[key] = RecordedStream(key, spec, g)

    @property
    def attrs(self) -> dict[str, Any]:
        return {k: (_str(v) if isinstance(v, bytes | str) else v) for k, v in self.file.attrs.items()}

    @property
    def complete(self) -> bool:
        return bool(self.file.attrs.get("complete", 0))

    @property
    def athlete(self) -> dict[str, Any]:
        g = self.file.get("athlete")
        if g is None:
            return {}
        out: dict[str, Any] = {}
        for k, v in g.attrs.items():
            if isinstance(v, bytes | str):
                out[k] = _str(v)
            elif isinstance(v, np.generic):
                out[k] = v.item()
            else:
                out[k] = v
        return out

    def by_role(self, role: Role) -> list[RecordedStream]:
        return [s for s in self.streams.values() if s.role == role]

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_h5(path: Path, mode: str) -> h5py.File:
    if mode == "r":
        try:
            return h5py.File(path, "r")
        except OSError:
            # An interrupted recording keeps the "open for write" flag: SWMR read works.
            return h5py.File(path, "r", swmr=True)
    return h5py.File(path, mode, libver="latest")


def open_session(path: str | Path, mode: str = "r") -> Session:
    """Open a session file for reading ("r") or to add analysis results ("r+").

    Raises :class:`SessionFileError` with a one-line message for a missing file, a file
    that is not HDF5, or an HDF5 file that is not a gaitlab session.
    """
    p = Path(path)
    if not p.exists():
        raise SessionFileError(f"{p}: no such file; give the path of a session .h5 file")
    if p.is_dir():
        raise SessionFileError(f"{p}: is a folder; give the path of a session .h5 file")
    if not h5py.is_hdf5(p):
        raise SessionFileError(f"{p}: not an HDF5 file; give a session file made by 'gaitlab record'")
    try:
        f = _open_h5(p, mode)
    except OSError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SessionFileError(f"{p}: cannot open ({first}); is another program writing it?") from None
    schema = _str(f.attrs.get("schema", ""))
    if not schema.startswith("gaitlab.session/"):
        f.close()
        raise SessionFileError(f"{p}: HDF5 but not a gaitlab session (no 'schema' attribute)")
    if schema.rsplit("/", 1)[1] != SCHEMA_MAJOR:
        f.close()
        raise SessionFileError(
            f"{p}: session schema {schema} is not supported by gaitlab {__version__}; upgrade gaitlab"
        )
    try:
        return Session(p, f)
    except Exception:
        f.close()
        raise


def write_analysis(path: str | Path, metrics: dict[str, Any], parameters: dict[str, Any]) -> None:
    """Store the metrics and the parameters that produced them in ``/analysis``."""
    p = Path(path)
    with open_session(p, "r+") as s:
        f = s.file
        if "analysis" in f:
            del f["analysis"]
        g = f.create_group("analysis")
        g.attrs["software"] = f"gaitlab {__version__}"
        g.attrs["created_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
        g.attrs["parameters_json"] = json.dumps(parameters, sort_keys=True)
        g.attrs["metrics_json"] = json.dumps(metrics)
