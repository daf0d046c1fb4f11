"""SessionWriter on real HDF5 files, including a writer killed with SIGKILL in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from gaitlab.athlete import load_profile
from gaitlab.errors import RecordingError, SessionFileError
from gaitlab.io.session import open_session, write_analysis
from gaitlab.io.writer import (
    CHUNK_MAX_BYTES,
    SessionWriter,
    StreamHeader,
    chunk_rows,
    repair_session,
)


def header(name: str, n: int = 3, srate: float = 100.0, fmt: str = "float32") -> StreamHeader:
    xml = (f"<info><name>{name}</name><type>EMG</type><channel_count>{n}</channel_count>"
           f"<nominal_srate>{srate}</nominal_srate><channel_format>{fmt}</channel_format>"
           f"<source_id>{name}</source_id></info>")
    return StreamHeader(name, "EMG", name, "host", n, srate, fmt, "emg", xml,
                        tuple(f"ch{i + 1}" for i in range(n)), ("V",) * n, 0.0)


def test_chunk_rows_about_one_second_within_limits() -> None:
    pressure = chunk_rows(5376 * 4, 120.0)
    assert pressure * 5376 * 4 <= CHUNK_MAX_BYTES and pressure >= 16
    assert chunk_rows(16 * 4, 2000.0) == 2000  # 1 s of 16-ch EMG is 128 KiB
    assert chunk_rows(4, 100.0) * 4 >= 16 << 10  # tiny streams still get >= 16 KiB chunks


def test_clean_file_roundtrip(tmp_path: Path) -> None:
    p = tmp_path / "w.h5"
    w = SessionWriter(p, load_profile("default"))
    _, sw = w.add_stream(header("a"))
    ts = np.arange(250) / 100.0
    x = np.arange(750, dtype=np.float32).reshape(250, 3)
    sw.append(ts[:100], x[:100])
    w.flush()
    sw.append(ts[100:], x[100:])
    sw.add_gaps([[1.0, 1.5]])
    sw.add_offsets([[2.0, 1e-4], [7.0, 2e-4]])
    w.close()
    with open_session(p) as s:
        (st,) = s.streams.values()
        assert s.complete and st.n_samples == 250
        np.testing.assert_array_equal(st.read(si=False), x)
        np.testing.assert_array_equal(st.time_stamps, ts)
        np.testing.assert_array_equal(st.gaps, [[1.0, 1.5]])
        assert st.clock_offsets.shape == (2, 2)
    write_analysis(p, {"m": 1}, {"p": 1})  # a clean file takes analysis directly


def test_refuses_existing_and_missing_folder(tmp_path: Path) -> None:
    p = tmp_path / "x.h5"
    p.write_bytes(b"data")
    with pytest.raises(RecordingError, match="--overwrite"):
        SessionWriter(p)
    with pytest.raises(RecordingError, match="does not exist"):
        SessionWriter(tmp_path / "no" / "x.h5")
    SessionWriter(p, overwrite=True).close()
    assert h5py.is_hdf5(p)


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from test_writer import header
    from gaitlab.io.writer import SessionWriter
    w = SessionWriter(sys.argv[1])
    _, a = w.add_stream(header("early"))
    a.append(np.arange(100.0), np.ones((100, 3), np.float32))
    w.flush()
    # a stream that appears after SWMR mode is on: group, attrs, datasets created late
    _, b = w.add_stream(header("late", n=2))
    b.append(np.arange(40.0), np.full((40, 2), 2, np.float32))
    w.flush()
    a.append(np.arange(100.0, 150.0), np.ones((50, 3), np.float32))  # never flushed
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_killed_writer_leaves_readable_file_and_repair(tmp_path: Path) -> None:
    p = tmp_path / "k.h5"
    r = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(p), str(Path(__file__).parent)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == -9, r.stderr
    with open_session(p) as s:
        assert not s.complete
        early, late = s.streams["early"], s.streams["late"]
        assert early.n_samples == 100  # the unflushed 50 rows are not vouched for
        assert late.n_samples == 40 and late.group.attrs["source_id"] == "late"
        np.testing.assert_array_equal(late.read(si=False), 2)
    with pytest.raises(SessionFileError, match="gaitlab repair"):
        write_analysis(p, {}, {})
    repair_session(p)
    with h5py.File(p, "r+") as f:  # opens for writing now
        assert f.attrs["complete"] == 0 and "repaired_utc" in f.attrs
    with open_session(p) as s:
        assert s.streams["early"].n_samples == 100 and s.streams["late"].n_samples == 40


def test_repair_rejects_non_hdf5(tmp_path: Path) -> None:
    p = tmp_path / "n.h5"
    p.write_text("not hdf5")
    with pytest.raises(SessionFileError, match="not an HDF5"):
        repair_session(p)


def test_session_attributes_are_written_before_any_data(tmp_path):
    import h5py

    from gaitlab.io.writer import SessionWriter

    w = SessionWriter(tmp_path / "s.h5", session={"visit": "baseline", "rehab_phase": "load reduction"})
    w.flush()
    with h5py.File(tmp_path / "s.h5", "r", swmr=True) as f:  # still open for write, as after a crash
        assert f.attrs["visit"] == "baseline" and f.attrs["rehab_phase"] == "load reduction"
    w.close(complete=True)


def test_every_chunked_dataset_caches_at_most_two_chunks(tmp_path: Path) -> None:
    """HDF5 2.0's default chunk cache (8 MiB per open dataset, filled with chunks already
    written) made the recorder's RSS grow for hours; the writer bounds it to two chunks."""
    w = SessionWriter(tmp_path / "c.h5")
    w.add_stream(header("emg", n=16, srate=2000.0))
    w.add_stream(header("markers", n=1, srate=0.0, fmt="string"))
    xml = ("<info><name>p</name><type>Pressure</type><channel_count>5376</channel_count>"
           "<nominal_srate>120</nominal_srate><channel_format>float32</channel_format></info>")
    _, sp = w.add_stream(StreamHeader("p", "Pressure", "p", "host", 5376, 120.0, "float32",
                                      "pressure", xml, ("s",) * 5376, ("N/cm^2",) * 5376, 0.0))
    assert sp.sparse
    seen = []

    def check(name: str, obj: object) -> None:
        if isinstance(obj, h5py.Dataset) and obj.chunks is not None:
            _, nbytes, w0 = obj.id.get_access_plist().get_chunk_cache()
            itemsize = 16 if obj.dtype.kind == "O" else obj.dtype.itemsize
            chunk = int(np.prod(obj.chunks)) * itemsize
            assert chunk <= nbytes <= 2 * chunk, name
            assert w0 == 1.0, name
            seen.append(name)

    w.file.visititems(check)
    w.close()
    assert len(seen) == 4 + 4 + 6  # data (sparse: 3 datasets), time_stamps, gaps, clock_offsets
