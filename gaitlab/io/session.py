"""Reading gaitlab session files (schemas ``gaitlab.session/1`` and ``/2``, docs/hdf5-schema.md).

Schema 2 stores pressure-treadmill streams sparse (``layout = "sparse"``);
:meth:`RecordedStream.read` still returns dense frames, :meth:`RecordedStream.read_sparse`
gives the stored points (and builds them from dense frames for schema-1 files).

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
from gaitlab.errors import GaitlabError, SessionFileError
from gaitlab.io.chunks import read_rows
from gaitlab.io.guard import check_file, open_h5
from gaitlab.io.sparse import SparseFrames, to_dense
from gaitlab.streams import Channel, Role, StreamSpec, parse_info_xml

SCHEMA = "gaitlab.session/2"
SCHEMA_MAJORS = ("1", "2")  # schema 1 (all dense) is still read


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
    _ptr: tuple[int, np.ndarray] | None = field(default=None, init=False, repr=False)
    _si: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def role(self) -> Role:
        return self.spec.role

    @property
    def montage(self) -> dict[str, str]:
        """EMG montage stored with the stream (channel label → MUSCLE_SIDE; attribute
        ``montage_json``, written when the clinician corrected it while recording), else {}."""
        raw = self.group.attrs.get("montage_json")
        if raw is None:
            return {}
        try:
            m = json.loads(_str(raw))
        except ValueError:
            raise SessionFileError(f"stream '{self.spec.name}': montage_json is not JSON; the file "
                                   "is damaged (pass a montage to the analysis instead)") from None
        return {str(k): str(v) for k, v in m.items()} if isinstance(m, dict) else {}

    @property
    def layout(self) -> str:
        """``"sparse"`` (schema 2 pressure streams) or ``"dense"``."""
        return _str(self.group.attrs.get("layout", "dense"))

    @property
    def n_samples(self) -> int:
        """Samples safely on disk: the datasets' length, capped by the recorder's
        ``flushed_samples`` mark (rows past it may be unwritten after a crash or full disk)
        and, for the sparse layout, by the frames whose points are all on disk."""
        n = int(self.group["time_stamps"].shape[0])
        mark = self.group.attrs.get("flushed_samples")
        n = n if mark is None else min(n, int(mark))
        if self.layout == "sparse":
            n = min(n, len(self.frame_ptr()) - 1)
        return n

    def frame_ptr(self) -> np.ndarray:
        """Sparse layout: (frames + 1,) int64 offsets of each frame's first point (CSR
        pointer, the cumulative sum of ``frame_points``), cut at the last frame whose points
        are all on disk. Read once and cached."""
        g = self.group
        for k in ("frame_points", "point_sensor", "point_value"):
            if k not in g or g[k].ndim != 1:
                raise SessionFileError(f"stream '{self.spec.name}': sparse layout without a 1-D "
                                       f"'{k}' dataset; the file is damaged")
        n = int(g["frame_points"].shape[0])
        if self._ptr is None or self._ptr[0] != n:
            ptr = np.zeros(n + 1, np.int64)
            np.cumsum(g["frame_points"][:n], out=ptr[1:])
            n_pts = min(int(g["point_sensor"].shape[0]), int(g["point_value"].shape[0]))
            whole = int(np.searchsorted(ptr, n_pts, side="right")) - 1
            self._ptr = (n, ptr[: whole + 1])
        return self._ptr[1]

    @property
    def time_stamps(self) -> np.ndarray:
        """Raw stamps in the source's clock (s)."""
        return self.group["time_stamps"][: self.n_samples]

    def _pairs(self, name: str) -> np.ndarray:
        if name not in self.group:
            return np.empty((0, 2))
        x = self.group[name][:]
        return x[np.isfinite(x[:, 0])]  # unwritten rows (fill value NaN) are dropped

    @property
    def clock_offsets(self) -> np.ndarray:
        return self._pairs("clock_offsets")

    @property
    def gaps(self) -> np.ndarray:
        """[before, after] rows (source time) around each break in the data."""
        return self._pairs("gaps")

    def times(self) -> np.ndarray:
        """Stamps on the recorder's clock: raw + fitted clock offset (s)."""
        ts = self.time_stamps
        a, b = clock_offset_fit(self.clock_offsets)
        # offset measured at recorder time ~ ts + a; first-order correction is enough
        return ts + a + b * ts

    @property
    def dataset(self) -> h5py.Dataset:
        """The raw dense ``data`` dataset, for block-wise reading of long recordings
        (rows from ``n_samples`` on are not guaranteed after a crash). Sparse streams have
        none: use :meth:`read` or :meth:`read_sparse`."""
        if self.layout == "sparse":
            raise SessionFileError(f"stream '{self.spec.name}' is stored sparse (no dense 'data' "
                                   "dataset); read it with read() or read_sparse()")
        return self.group["data"]

    def _scale_of(self, dtype: np.dtype) -> np.ndarray | None:
        """Per-channel factor to SI in the dtype the product should have; None if all 1."""
        if self._si is None:  # looked up once: 5,376 pressure channels take ~0.06 s
            self._si = np.asarray(self.spec.si_scale(), dtype=np.float64)
        scale = self._si
        if not np.any(scale != 1.0):
            return None
        return scale.astype(dtype if dtype.kind == "f" else np.float64)

    def read(self, start: int | None = None, stop: int | None = None, si: bool = True) -> np.ndarray:
        """Samples [start, stop) as an (n, C) array; scaled to SI units (V, N, m) when ``si``.

        Pressure stays in N/cm^2 (kPa and Pa sources are converted to it). String
        streams come back as an array of Python str. Sparse streams come back dense.
        """
        start, stop, _ = slice(start, stop).indices(self.n_samples)
        if self.layout == "sparse":
            sp = self.read_sparse(start, stop, si)
            return to_dense(sp.ptr, sp.sensor, sp.value, self.spec.channel_count)
        ds = self.group["data"]
        if self.spec.is_string:
            return ds.asstr()[start:stop]
        x = ds[start:stop]
        scale = self._scale_of(x.dtype) if si else None
        return x if scale is None else x * scale

    def read_channels(self, channels: list[int], start: int | None = None,
                      stop: int | None = None, si: bool = True,
                      dtype: np.dtype | type = np.float64) -> np.ndarray:
        """Channels ``channels`` of samples [start, stop) as a channel-major
        (len(channels), n) array of ``dtype``, decoded, scaled and transposed chunk by
        chunk in threads (no (n, C) copy of the whole recording; the same values as
        ``read(...)[:, channels].T.astype(dtype)``)."""
        start, stop, _ = slice(start, stop).indices(self.n_samples)
        stop = max(start, stop)
        chans = np.asarray(channels, dtype=np.int64)
        out = np.empty((chans.size, stop - start), dtype)
        if self.layout == "sparse" or self.spec.is_string:
            out[:] = self.read(start, stop, si)[:, chans].T
            return out
        ds = self.group["data"]
        scale = self._scale_of(ds.dtype) if si else None
        every = chans.size == ds.shape[1] and bool(np.all(chans == np.arange(chans.size)))

        def sink(a: int, b: int, x: np.ndarray) -> None:  # runs in the decoding threads
            if scale is not None:
                x = x * scale
            out[:, a:b] = (x if every else x[:, chans]).T

        read_rows(ds, start, stop, sink=sink)
        return out

    def read_sparse(self, start: int | None = None, stop: int | None = None, si: bool = True
                    ) -> SparseFrames:
        """Frames [start, stop) as sparse points (every sensor-frame whose stored bits are
        not all zero), shaped (n, rows, cols) for pressure streams, else (n, 1, C).
        A dense (schema 1) stream is read dense and converted."""
        start, stop, _ = slice(start, stop).indices(self.n_samples)
        stop = max(start, stop)
        geo = self.spec.geometry
        c = self.spec.channel_count
        shape = (stop - start, geo.rows, geo.cols) if geo is not None else (stop - start, 1, c)
        if self.layout != "sparse":
            return SparseFrames.from_dense(self.read(start, stop, si).reshape(shape))
        g = self.group
        ptr = self.frame_ptr()[start:stop + 1]
        p0, p1 = int(ptr[0]), int(ptr[-1])
        sensor = read_rows(g["point_sensor"], p0, p1)  # chunks decoded in threads
        value = read_rows(g["point_value"], p0, p1)
        if sensor.size and int(sensor.max()) >= c:
            raise SessionFileError(f"stream '{self.spec.name}': sparse sensor index "
                                   f"{int(sensor.max())} is outside its {c} channels; the file "
                                   "is damaged")
        scale = self._scale_of(value.dtype) if si else None
        if scale is not None:  # the same products as the dense read, point by point
            value = value * (scale[0] if np.ptp(scale) == 0 else scale[sensor])
        return SparseFrames(shape, ptr - p0, sensor, value)


def _spec_of(g: h5py.Group) -> StreamSpec:
    """The stream's spec from its info XML; recorded raw (role from the group's attributes)
    when the metadata does not follow the conventions (the recorder stored it as "other")."""
    xml = _str(g.attrs.get("info_xml", ""))
    if "metadata_error" not in g.attrs:
        try:
            return parse_info_xml(xml)
        except GaitlabError:
            pass
    a = g.attrs
    labels = [_str(x) for x in g["channel_labels"][:]] if "channel_labels" in g else []
    units = [_str(x) for x in g["channel_units"][:]] if "channel_units" in g else []
    n = int(a.get("channel_count", len(labels) or 1))
    labels = labels if len(labels) == n else [f"ch{i + 1}" for i in range(n)]
    units = units if len(units) == n else [""] * n
    return StreamSpec(
        name=_str(a.get("name", g.name)), type=_str(a.get("type", "")),
        source_id=_str(a.get("source_id", "")), hostname=_str(a.get("hostname", "")),
        channel_count=n, nominal_srate=float(a.get("nominal_srate", 0.0)),
        channel_format=_str(a.get("channel_format", "float32")),
        channels=tuple(Channel(lb, "") for lb in labels), role="other", xml=xml,
    )


class Session:
    """An open session file. Use as a context manager: ``with open_session(p) as s: ...``."""

    def __init__(self, path: Path, f: h5py.File):
        self.path = path
        self.file = f
        self.streams: dict[str, RecordedStream] = {}
        self._picks: dict[str, str] = {}
        for key, g in f.get("streams", {}).items():
            self.streams[key] = RecordedStream(key, _spec_of(g), g)

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

    def device_choice(self) -> dict[str, list[str]] | None:
        """The recorder's device choice (role -> stream keys; attribute
        ``device_choice_json``), None in files recorded before it existed or imported."""
        raw = self.file.attrs.get("device_choice_json")
        if raw is None:
            return None
        try:
            choice = json.loads(_str(raw))
        except ValueError:
            return None
        if not isinstance(choice, dict):
            return None
        return {str(k): [str(x) for x in v] for k, v in choice.items() if isinstance(v, list)}

    def use_devices(self, picks: dict[str, str]) -> None:
        """Pick the stream of a role by hand (role -> stream key, e.g. from
        ``gaitlab analyze --device emg=EMG_2``); it overrides the stored choice."""
        for role, key in picks.items():
            st = self.streams.get(key)
            if st is None:
                raise SessionFileError(f"{self.path}: --device {role}={key}: no stream '{key}'; "
                                       f"the file has {', '.join(self.streams) or 'no streams'}")
            if st.role != role:
                raise SessionFileError(f"{self.path}: --device {role}={key}: '{key}' is a "
                                       f"{st.role} stream, not {role}")
        self._picks = dict(picks)

    def by_role(self, role: Role) -> list[RecordedStream]:
        """The streams that serve a role: the one picked by hand, else those of the stored
        device choice, else all of that role. Never a guess: two that would serve the same
        role and side (markers: two hosts) raise a one-line :class:`SessionFileError`
        naming them and how to pick one."""
        if role in self._picks:
            return [self.streams[self._picks[role]]]
        found, stored = self._of_choice(role)
        if stored and role == "markers":
            return found  # the lab's own event streams (device, console), chosen together
        slots: dict[str, list[RecordedStream]] = {}
        for s in found:
            slots.setdefault(s.spec.hostname if role == "markers" else s.spec.side, []).append(s)
        if role == "markers" and len(slots) > 1:
            rivals = found
        else:
            rivals = next((g for g in slots.values() if len(g) > 1), [])
        if len(rivals) > 1:
            listed = "; ".join(f"{s.key} ('{s.spec.name}' on host {s.spec.hostname or '?'}, "
                               f"source_id {s.spec.source_id or 'none'})" for s in rivals)
            why = "the stored device choice lists" if stored else "no device choice stored for"
            raise SessionFileError(
                f"{self.path}: {len(rivals)} {role} streams and {why} one: {listed}; pick one with "
                f"'gaitlab analyze --device {role}={rivals[0].key}' (or another key)")
        return found

    def candidates(self, role: Role) -> list[RecordedStream]:
        """The streams of a role that may serve it: the one picked by hand, else those of the
        stored device choice, else all of that role (no check for rivals: see :meth:`by_role`)."""
        if role in self._picks:
            return [self.streams[self._picks[role]]]
        return self._of_choice(role)[0]

    def _of_choice(self, role: Role) -> tuple[list[RecordedStream], bool]:
        """The role's streams in the stored device choice (all of them when it names none for
        the role), and whether it names some."""
        found = [s for s in self.streams.values() if s.role == role]
        choice = self.device_choice()
        if choice is None or role not in choice:
            return found, False
        return [s for s in found if s.key in choice[role]], True

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_session(path: str | Path, mode: str = "r") -> Session:
    """Open a session file for reading ("r") or to add analysis results ("r+").

    Raises :class:`SessionFileError` with a one-line message, at a bounded cost
    (:mod:`gaitlab.io.guard`), for a missing, empty, foreign, truncated or damaged file, or
    an HDF5 file that is not a gaitlab session.
    """
    p = Path(path)
    check_file(p)
    try:
        f = open_h5(p, mode)
    except OSError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SessionFileError(f"{p}: cannot open ({first}); is another program writing it?") from None
    try:
        return _session_of(p, f)
    except GaitlabError:
        f.close()
        raise
    except Exception as exc:  # HDF5 errors reading a damaged file's metadata
        f.close()
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise SessionFileError(f"{p}: damaged ({first}); run 'gaitlab repair {p}' to recover "
                               "what it holds") from None


def _session_of(p: Path, f: h5py.File) -> Session:
    schema = _str(f.attrs.get("schema", ""))
    if not schema.startswith("gaitlab.session/"):
        raise SessionFileError(f"{p}: HDF5 but not a gaitlab session (no 'schema' attribute)")
    if schema.rsplit("/", 1)[1] not in SCHEMA_MAJORS:
        raise SessionFileError(
            f"{p}: session schema {schema} is not supported by gaitlab {__version__}; upgrade gaitlab"
        )
    return Session(p, f)


def _check_writable_session(p: Path) -> None:
    check_file(p)
    try:
        open_h5(p, "r+").close()
    except OSError:
        raise SessionFileError(
            f"{p}: the recording was interrupted (or is still running), so the file is "
            f"read-only; run 'gaitlab repair {p}' once the recorder has stopped"
        ) from None


#: unit of each column of ``/analysis/contacts`` (docs/hdf5-schema.md)
CONTACT_UNITS = {"ic_s": "s", "to_s": "s", "side": "0 = L, 1 = R, -1 = unknown",
                 "used": "1 = used by the metrics, 0 = left out",
                 "left_out": "why the contact is left out ('' = used; docs/metrics.md)",
                 "bout": "running bout id, -1 = not in a bout", "x_m": "m",
                 "step_width_cm": "cm", "contact_time_ms": "ms", "foot_progression_deg": "deg",
                 "gait_line_x_m": "m", "gait_line_y_m": "m"}


def write_analysis(path: str | Path, metrics: dict[str, Any], parameters: dict[str, Any],
                   ensembles: dict[str, Any] | None = None,
                   extras: dict[str, Any] | None = None,
                   contacts: dict[str, np.ndarray] | None = None,
                   emg_cycles: dict[str, dict[str, Any]] | None = None,
                   pelvis_cycles: dict[str, dict[str, Any]] | None = None,
                   notes: dict[str, str] | None = None) -> None:
    """Store the metrics and the parameters that produced them in ``/analysis``.

    Optional: ``ensembles`` (name → object with ``mean``, ``sd`` arrays, ``n_cycles``,
    ``unit``) go to ``/analysis/ensemble/<name>``; ``extras`` (JSON-able) to the
    ``extras_json`` attribute; ``contacts`` (column → array, one row per contact,
    :func:`gaitlab.analysis.gait.contact_table`) to ``/analysis/contacts``; ``emg_cycles``
    (``MUSCLE_SIDE`` → ``ic_s``, ``onset_ms``, ``offset_ms``, ``reason``, ``method``) to
    ``/analysis/emg_cycles/<MUSCLE_SIDE>``; ``pelvis_cycles`` (side → ``ic_s``, ``curves_deg``
    (cycles × points): the drop signal over each gait cycle) to ``/analysis/pelvis_cycles/<L|R>``;
    ``notes`` (metric path → why it is null) to the ``notes_json`` attribute.

    A recording interrupted by a crash cannot be opened for writing (HDF5 keeps its
    "open for write" flag): this raises a one-line error pointing to ``gaitlab repair``
    (``gaitlab.io.writer.repair_session``) instead of repairing silently, because a file
    that a recorder is still writing carries the same flag."""
    p = Path(path)
    _check_writable_session(p)
    with open_session(p, "r+") as s:
        f = s.file
        if "analysis" in f:
            del f["analysis"]
        g = f.create_group("analysis")
        g.attrs["software"] = f"gaitlab {__version__}"
        g.attrs["created_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
        g.attrs["parameters_json"] = json.dumps(parameters, sort_keys=True)
        g.attrs["metrics_json"] = json.dumps(metrics)
        if extras is not None:
            g.attrs["extras_json"] = json.dumps(extras)
        if notes is not None:
            g.attrs["notes_json"] = json.dumps(dict(sorted(notes.items())))
        if ensembles:
            eg = g.create_group("ensemble")
            for name, e in ensembles.items():
                h = eg.create_group(name)
                h.create_dataset("mean", data=np.asarray(e.mean, dtype=np.float64))
                h.create_dataset("sd", data=np.asarray(e.sd, dtype=np.float64))
                h.attrs["n_cycles"] = int(e.n_cycles)
                h.attrs["unit"] = str(e.unit)
                h.attrs["x"] = "percent of the gait cycle, ipsilateral IC (0) to next IC (100)"
        if contacts:
            cg = g.create_group("contacts")
            cg.attrs["rows"] = "one per foot contact, in time order"
            cg.attrs["gait_line_phase_pct"] = np.linspace(0.0, 100.0, 21)
            for name, col in contacts.items():
                arr = np.asarray(col)
                if arr.dtype.kind in "OU":  # text column (e.g. left_out): variable-length UTF-8
                    arr = np.asarray([str(v) for v in arr], dtype=h5py.string_dtype())
                d = cg.create_dataset(name, data=arr, compression="gzip", compression_opts=4)
                d.attrs["unit"] = CONTACT_UNITS.get(name, "")
        if emg_cycles:
            eg = g.create_group("emg_cycles")
            for name, cyc in emg_cycles.items():
                h = eg.create_group(name)
                h.create_dataset("ic_s", data=np.asarray(cyc["ic_s"], dtype=np.float64))
                h.create_dataset("onset_ms", data=np.asarray(cyc["onset_ms"], dtype=np.float64))
                h.create_dataset("offset_ms", data=np.asarray(cyc["offset_ms"], dtype=np.float64))
                h.create_dataset("reason", data=np.asarray([str(r) for r in cyc["reason"]],
                                                           dtype=h5py.string_dtype()))
                h.attrs["method"] = str(cyc.get("method", ""))
                h.attrs["onset_ms"] = "burst onset − ipsilateral IC (ms; NaN = cycle rejected)"
                h.attrs["reason"] = "why a cycle was rejected ('' when accepted)"
        if pelvis_cycles:
            pg = g.create_group("pelvis_cycles")
            for side, cyc in pelvis_cycles.items():
                h = pg.create_group(side)
                h.create_dataset("ic_s", data=np.asarray(cyc["ic_s"], dtype=np.float64))
                h.create_dataset("curves_deg", data=np.asarray(cyc["curves_deg"], dtype=np.float64))
                h.attrs["curves_deg"] = ("per gait cycle (rows; IC of this side at 0 %, next IC at 100 %), "
                                         "the lowering of the opposite side relative to standing, degrees "
                                         "(+ = opposite side lower; docs/metrics.md, Pelvis)")
                h.attrs["ic_s"] = "IC of each cycle, recorder clock (s)"
