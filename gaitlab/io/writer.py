"""Writing gaitlab session files (schema ``gaitlab.session/2``) crash-safely.

Pressure-treadmill streams are stored sparse (``layout = "sparse"``: only the sensors that
do not read +0.0, see :mod:`gaitlab.io.sparse`), every other stream dense as in schema 1.

The file is opened with ``libver="latest"`` and switched to SWMR mode right after the
root attributes are written. From then on every object is only appended to and the
caller flushes at least once a second, so a writer killed at any moment leaves a file
that opens with ``h5py.File(path, "r", swmr=True)`` and holds every flushed row.
With the HDF5 shipped in h5py >= 3.16 groups, datasets and attributes created *after*
``swmr_mode = True`` survive a kill too (tests/io/test_writer.py checks this), which is
what streams that appear late rely on.

A file left by a killed writer keeps HDF5's "open for write" flag: it cannot be opened
for writing again. :func:`repair_session` copies it into a clean file.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pylsl

from gaitlab import __version__
from gaitlab.athlete import Profile
from gaitlab.errors import GaitlabError, RecordingError, SessionFileError
from gaitlab.io.paths import check_writable
from gaitlab.io.sparse import sensor_dtype, to_sparse
from gaitlab.streams import MAX_CHANNELS, parse_info_xml

SCHEMA = "gaitlab.session/2"

#: LSL channel_format -> numpy dtype (None: variable-length UTF-8 string)
LSL_DTYPES: dict[str, np.dtype | None] = {
    "float32": np.dtype("<f4"),
    "double64": np.dtype("<f8"),
    "int8": np.dtype("i1"),
    "int16": np.dtype("<i2"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "string": None,
}

STR_DTYPE = h5py.string_dtype("utf-8")
CHUNK_MAX_BYTES = 1 << 20  # 1 MiB
CHUNK_MIN_BYTES = 16 << 10  # 16 KiB
POINT_CHUNK = 1 << 15  # sparse layout: points per chunk (128 KiB of float32 values)
COMPRESSION = {"compression": "gzip", "compression_opts": 1, "shuffle": True}


def chunk_rows(row_bytes: int, srate: float) -> int:
    """Rows per HDF5 chunk: about one second of data, within 16 KiB … 1 MiB."""
    row_bytes = max(1, row_bytes)
    one_second = int(np.ceil(srate)) if srate > 0 else 256
    rows = max(one_second, CHUNK_MIN_BYTES // row_bytes)
    return int(max(1, min(rows, CHUNK_MAX_BYTES // row_bytes)))


def chunk_cache(chunks: tuple[int, ...], dtype: np.dtype | None) -> dict[str, float]:
    """``create_dataset`` options bounding a dataset's chunk cache to two chunks.

    The writer only appends, so a chunk is needed in memory only while it is being filled
    (and the next one, which an append may run into). HDF5 2.0 gives every open dataset an
    8 MiB cache by default and keeps it full of chunks already written, so the recorder's
    RSS grew by ~10-25 MB/h for hours, up to 8 MiB per dataset (docs/reliability.md,
    "Memory"). With two chunks (at most 2 MiB) per dataset the simulated lab's datasets
    cache under 1 MB in all. Strings: a chunk holds 16-byte global-heap references."""
    itemsize = 16 if dtype is None or dtype.kind == "O" else dtype.itemsize
    return {"rdcc_nbytes": 2 * int(np.prod(chunks)) * itemsize, "rdcc_nslots": 11, "rdcc_w0": 1.0}


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_output_path(path: Path, overwrite: bool) -> None:
    """Raise a one-line :class:`RecordingError` if a session cannot be written at ``path``."""
    check_writable(path, "--out", "session.h5", overwrite, RecordingError)


@dataclass(frozen=True)
class StreamHeader:
    """What the writer stores about a stream besides its samples."""

    name: str
    type: str
    source_id: str
    hostname: str
    channel_count: int
    nominal_srate: float
    channel_format: str
    role: str
    info_xml: str
    labels: tuple[str, ...]
    units: tuple[str, ...]
    first_seen_lsl_time: float
    metadata_error: str = ""


def is_sparse(header: StreamHeader) -> bool:
    """Streams stored in the sparse layout: numeric pressure-treadmill streams."""
    return header.role == "pressure" and LSL_DTYPES.get(header.channel_format) is not None


def safe_key(name: str) -> str:
    key = "".join(c if c.isalnum() or c in "_-." else "_" for c in name).strip(".")
    return key or "stream"


def header_from_xml(xml: str, first_seen: float) -> tuple[StreamHeader, str]:
    """StreamHeader from an info XML; unparseable metadata → role "other" + the error text."""
    try:
        spec = parse_info_xml(xml)
    except GaitlabError as exc:
        return _raw_header(xml, first_seen, str(exc)), str(exc)
    return StreamHeader(
        name=spec.name, type=spec.type, source_id=spec.source_id, hostname=spec.hostname,
        channel_count=spec.channel_count, nominal_srate=spec.nominal_srate,
        channel_format=spec.channel_format, role=spec.role, info_xml=xml,
        labels=tuple(spec.labels), units=tuple(c.unit for c in spec.channels),
        first_seen_lsl_time=first_seen,
    ), ""


def _raw_header(xml: str, first_seen: float, error: str) -> StreamHeader:
    def text(root: ET.Element, tag: str, default: str) -> str:
        node = root.find(tag)
        return (node.text or default).strip() if node is not None else default

    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        root = ET.Element("info")
    try:
        n = min(max(1, int(text(root, "channel_count", "1"))), MAX_CHANNELS)
    except ValueError:
        n = 1
    try:
        srate = float(text(root, "nominal_srate", "0"))
    except ValueError:
        srate = 0.0
    return StreamHeader(
        name=text(root, "name", "stream"), type=text(root, "type", ""),
        source_id=text(root, "source_id", ""), hostname=text(root, "hostname", ""),
        channel_count=n, nominal_srate=srate,
        channel_format=text(root, "channel_format", "float32"), role="other", info_xml=xml,
        labels=tuple(f"ch{i + 1}" for i in range(n)), units=("",) * n,
        first_seen_lsl_time=first_seen, metadata_error=error,
    )



def _extend(ds: h5py.Dataset, x: np.ndarray) -> None:
    """Append ``x`` to a 1-D resizable dataset."""
    if len(x):
        start = ds.shape[0]
        ds.resize(start + len(x), axis=0)
        ds[start:] = x


class StreamWriter:
    """The datasets of one ``/streams/<key>`` group; appends whole blocks."""

    def __init__(self, group: h5py.Group, header: StreamHeader):
        self.group = group
        self.header = header
        self.dtype = LSL_DTYPES.get(header.channel_format, np.dtype("<f4"))
        c = header.channel_count
        for k in ("name", "type", "source_id", "hostname", "channel_format", "role", "info_xml"):
            group.attrs[k] = getattr(header, k)
        group.attrs["channel_count"] = c
        group.attrs["nominal_srate"] = header.nominal_srate
        group.attrs["first_seen_lsl_time"] = header.first_seen_lsl_time
        if header.metadata_error:
            group.attrs["metadata_error"] = header.metadata_error
        group.create_dataset("channel_labels", data=list(header.labels), dtype=STR_DTYPE)
        group.create_dataset("channel_units", data=list(header.units), dtype=STR_DTYPE)
        srate = header.nominal_srate
        self.sparse = is_sparse(header)
        group.attrs["layout"] = "sparse" if self.sparse else "dense"
        if self.dtype is None:
            rows = 256
            self.data = group.create_dataset(
                "data", shape=(0, c), maxshape=(None, c), chunks=(rows, c), dtype=STR_DTYPE,
                **chunk_cache((rows, c), None))
        elif self.sparse:
            rows = chunk_rows(c * self.dtype.itemsize, srate)  # the recorder's block size
            fp_chunks = (chunk_rows(4, srate),)
            self.frame_points = group.create_dataset(
                "frame_points", shape=(0,), maxshape=(None,), dtype="<u4",
                chunks=fp_chunks, fillvalue=0, **COMPRESSION,
                **chunk_cache(fp_chunks, np.dtype("<u4")))
            self.point_sensor = group.create_dataset(
                "point_sensor", shape=(0,), maxshape=(None,), dtype=sensor_dtype(c),
                chunks=(POINT_CHUNK,), **COMPRESSION,
                **chunk_cache((POINT_CHUNK,), sensor_dtype(c)))
            self.point_value = group.create_dataset(
                "point_value", shape=(0,), maxshape=(None,), dtype=self.dtype,
                chunks=(POINT_CHUNK,), **COMPRESSION, **chunk_cache((POINT_CHUNK,), self.dtype))
        else:
            rows = chunk_rows(c * self.dtype.itemsize, srate)
            self.data = group.create_dataset(
                "data", shape=(0, c), maxshape=(None, c), chunks=(rows, c), dtype=self.dtype,
                **COMPRESSION, **chunk_cache((rows, c), self.dtype))
        self.chunk_rows = rows
        ts_chunks = (chunk_rows(8, srate),)
        self.time_stamps = group.create_dataset(
            "time_stamps", shape=(0,), maxshape=(None,), dtype="<f8", chunks=ts_chunks,
            fillvalue=np.nan, **chunk_cache(ts_chunks, np.dtype("<f8")))
        self._flushed = -1
        self.mark_flushed()
        self.clock_offsets = self._pairs("clock_offsets")
        self.gaps = self._pairs("gaps")

    def _pairs(self, name: str) -> h5py.Dataset:
        return self.group.create_dataset(
            name, shape=(0, 2), maxshape=(None, 2), chunks=(64, 2), dtype="<f8",
            fillvalue=np.nan, **chunk_cache((64, 2), np.dtype("<f8")))

    @property
    def n_samples(self) -> int:
        return int(self.time_stamps.shape[0])

    def mark_flushed(self) -> None:
        """Record (in attr ``flushed_samples``) that the rows so far reached the disk."""
        n = self.n_samples
        if n != self._flushed:
            self.group.attrs["flushed_samples"] = n
            self._flushed = n

    def append(self, time_stamps: np.ndarray, data: np.ndarray) -> None:
        """Append ``len(time_stamps)`` samples (data shaped (n, C))."""
        n = len(time_stamps)
        if n == 0:
            return
        start = self.n_samples
        if self.sparse:
            counts, sensor, value = to_sparse(np.asarray(data, dtype=self.dtype),
                                              self.header.channel_count)
            _extend(self.point_sensor, sensor)
            _extend(self.point_value, value)
            _extend(self.frame_points, counts)
        else:
            self.data.resize(start + n, axis=0)
            self.data[start:] = data
        self.time_stamps.resize(start + n, axis=0)
        self.time_stamps[start:] = time_stamps

    @staticmethod
    def _append_pairs(ds: h5py.Dataset, pairs: np.ndarray) -> None:
        pairs = np.asarray(pairs, dtype=np.float64).reshape(-1, 2)
        if len(pairs):
            start = ds.shape[0]
            ds.resize(start + len(pairs), axis=0)
            ds[start:] = pairs

    def set_montage(self, montage: dict[str, str]) -> None:
        """Store the EMG montage (channel label → MUSCLE_SIDE) as attribute ``montage_json``."""
        self.group.attrs["montage_json"] = json.dumps(dict(sorted(montage.items())))

    def add_offsets(self, pairs: np.ndarray) -> None:
        self._append_pairs(self.clock_offsets, pairs)

    def add_gaps(self, pairs: np.ndarray) -> None:
        self._append_pairs(self.gaps, pairs)


class SessionWriter:
    """One session file being recorded. Create, ``add_stream`` …, ``flush`` often, ``close``."""

    def __init__(self, path: str | Path, athlete: Profile | None = None, overwrite: bool = False,
                 start_lsl_time: float | None = None, session: dict[str, str] | None = None):
        self.path = Path(path)
        check_output_path(self.path, overwrite)
        try:
            self.file = h5py.File(self.path, "w", libver="latest")
        except OSError as exc:
            raise RecordingError(f"{self.path}: cannot create ({_first_line(exc)})") from None
        f = self.file
        f.attrs["schema"] = SCHEMA
        f.attrs["software"] = f"gaitlab {__version__}"
        f.attrs["created_utc"] = _now_utc()
        f.attrs["lsl_library_version"] = int(pylsl.library_version())
        f.attrs["recorder_host"] = socket.gethostname()
        f.attrs["complete"] = 0
        f.attrs["start_lsl_time"] = pylsl.local_clock() if start_lsl_time is None else start_lsl_time
        f.attrs["stop_lsl_time"] = np.nan
        for k, v in (session or {}).items():  # e.g. visit, rehab_phase: written before any data
            f.attrs[k] = v
        if athlete is not None:
            g = f.create_group("athlete")
            for k, v in vars(athlete.athlete).items():
                g.attrs[k] = v
            g.attrs["profile_toml"] = athlete.source_text
        self.streams_group = f.create_group("streams")
        f.swmr_mode = True
        f.flush()
        self.streams: dict[str, StreamWriter] = {}

    def add_stream(self, header: StreamHeader) -> tuple[str, StreamWriter]:
        """Create ``/streams/<key>`` for a stream; returns (key, writer)."""
        base = safe_key(header.name)
        key, i = base, 2
        while key in self.streams_group:
            key, i = f"{base}_{i}", i + 1
        sw = StreamWriter(self.streams_group.create_group(key), header)
        self.streams[key] = sw
        return key, sw

    def set_devices(self, choice_json: str, ignored_json: str) -> None:
        """Store which stream serves each role (``device_choice_json``: role -> [stream
        keys]; the analysis reads only these) and the streams seen but not recorded, with
        the reason (``ignored_streams_json``)."""
        self.file.attrs["device_choice_json"] = choice_json
        self.file.attrs["ignored_streams_json"] = ignored_json

    def flush(self) -> None:
        """Flush the rows, then (a second flush) the ``flushed_samples`` marks that vouch
        for them: a flush that fails half-way (full disk, kill) never leaves a mark past
        rows that are not on disk."""
        self.file.flush()
        for sw in self.streams.values():
            sw.mark_flushed()
        self.file.flush()

    def size_bytes(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def close(self, complete: bool = True, stop_lsl_time: float | None = None) -> None:
        """Mark the file complete (if ``complete``) and close it."""
        if not self.file:
            return
        try:
            if complete:
                self.file.flush()
                for sw in self.streams.values():
                    sw.mark_flushed()
                self.file.attrs["stop_lsl_time"] = (
                    pylsl.local_clock() if stop_lsl_time is None else stop_lsl_time
                )
                self.file.attrs["complete"] = 1
            self.file.flush()
        finally:
            self.file.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_open_for_write(path: str | Path) -> bool:
    """True when the file still carries HDF5's "open for write" flag (killed or live writer)."""
    try:
        h5py.File(path, "r+").close()
    except OSError:
        return True
    return False


def repair_session(path: str | Path, out: str | Path | None = None) -> Path:
    """Copy an interrupted recording into a clean file that opens normally (also "r+").

    Everything the killed recorder had flushed is kept; ``complete`` stays 0 and the root
    gets ``repaired_utc``. Without ``out`` the file is replaced in place (via a temporary
    file in the same folder, renamed over it only when the copy succeeded).
    Do not run this on a file a recorder is still writing. A truncated or damaged file is
    not touched: see :func:`repair_file`.
    """
    return repair_file(path, out)[0]


def recovered_path(src: Path) -> Path:
    """Where the recovered part of a truncated ``src`` goes without ``--out``."""
    return src.with_name(f"{src.stem}.recovered.h5")


def repair_file(path: str | Path, out: str | Path | None = None) -> tuple[Path, str]:
    """Repair an interrupted recording (as :func:`repair_session`) or recover what a
    truncated or damaged file still holds (:func:`gaitlab.io.salvage.salvage_session`) into
    ``out`` (default ``<name>.recovered.h5`` beside it; the input is never changed then).
    Returns the clean file and a one-line summary."""
    from gaitlab.io.guard import check_file, open_h5
    from gaitlab.io.salvage import salvage_session

    src = Path(path)
    try:
        sb = check_file(src, allow_truncated=True)
    except SessionFileError as exc:
        raise SessionFileError(f"{exc}; nothing to repair") from None
    dst = Path(out) if out is not None else None
    if src.stat().st_size >= sb.expected_size:
        fd, tmp = tempfile.mkstemp(suffix=".h5.tmp", dir=(dst or src).parent)
        os.close(fd)
        try:
            fin = open_h5(src, "r")
            with fin:
                schema = fin.attrs.get("schema", b"")
            schema = schema.decode(errors="replace") if isinstance(schema, bytes) else str(schema)
            if not schema.startswith("gaitlab.session/"):
                raise SessionFileError(f"{src}: HDF5 but not a gaitlab session (no 'schema' "
                                       "attribute); nothing to repair")
            fin = open_h5(src, "r")
            with fin, h5py.File(tmp, "w", libver="latest") as fout:
                for k, v in fin.attrs.items():
                    fout.attrs[k] = v
                for name in fin:
                    fin.copy(fin[name], fout, name=name)
                fout.attrs["repaired_utc"] = _now_utc()
            os.replace(tmp, dst or src)
            return dst or src, f"repaired: {dst or src}"
        except (OSError, RuntimeError, KeyError, ValueError):
            pass  # a damaged file: recover what it holds, below
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    dst = dst or recovered_path(src)
    if dst.exists() and dst.resolve() != src.resolve():
        raise SessionFileError(f"{dst}: exists; pass --out with another name to recover {src}")
    if dst.resolve() == src.resolve():
        raise SessionFileError(f"{src}: is damaged; pass --out with another name to recover it")
    return dst, salvage_session(src, dst).summary()
