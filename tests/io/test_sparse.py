"""Sparse pressure layout (schema gaitlab.session/2): lossless round trips on real HDF5 files,
a killed writer, plain-h5py reconstruction as documented, and schema-1 dense files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from gaitlab.errors import SessionFileError
from gaitlab.io.session import open_session
from gaitlab.io.sparse import SparseFrames, to_dense, to_sparse
from gaitlab.io.writer import SCHEMA, SessionWriter, header_from_xml


def pressure_xml(name: str, rows: int = 6, cols: int = 4, unit: str = "N/cm^2") -> str:
    return (f"<info><name>{name}</name><type>Pressure</type><channel_count>{rows * cols}"
            f"</channel_count><nominal_srate>120</nominal_srate><channel_format>float32"
            f"</channel_format><source_id>{name}</source_id><desc><unit>{unit}</unit><geometry>"
            f"<rows>{rows}</rows><cols>{cols}</cols><row_pitch_mm>10</row_pitch_mm>"
            f"<col_pitch_mm>12</col_pitch_mm></geometry></desc></info>")


def awkward_frames(n: int, c: int, seed: int = 0) -> np.ndarray:
    """Mostly +0.0 frames with every kind of value a sensor could send."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random((n, c)) < 0.1, rng.gamma(2.0, 3.0, (n, c)), 0.0).astype(np.float32)
    specials = np.array([np.nan, -0.0, -1.5, np.inf, -np.inf, 1e-45, 1e-3], np.float32)
    pos = rng.choice(n * c, specials.size, replace=False)
    x.reshape(-1)[pos] = specials
    x[n // 2] = 0.0  # an empty frame
    return x


def test_dense_sparse_dense_is_bit_exact() -> None:
    x = awkward_frames(300, 24)
    counts, sensor, value = to_sparse(x)
    assert counts.sum() == sensor.size == value.size
    assert counts[150] == 0 and sensor.dtype == np.uint16
    # only +0.0 was dropped: -0.0 and NaN are kept
    assert value.size == np.count_nonzero(x.view(np.uint32))
    back = to_dense(np.r_[0, np.cumsum(counts)], sensor, value, 24)
    np.testing.assert_array_equal(back.view(np.uint32), x.view(np.uint32))
    sp = SparseFrames.from_dense(x.reshape(300, 6, 4))
    np.testing.assert_array_equal(sp.slice(100, 200).to_dense().reshape(100, 24).view(np.uint32),
                                  x[100:200].view(np.uint32))


def test_session_file_round_trip_and_plain_h5py(tmp_path: Path) -> None:
    p = tmp_path / "p.h5"
    x = awkward_frames(500, 24, seed=1)
    ts = 10 + np.arange(500) / 120
    w = SessionWriter(p)
    header, problem = header_from_xml(pressure_xml("plate"), 0.0)
    assert not problem and header.role == "pressure"
    _, sw = w.add_stream(header)
    for a in range(0, 500, 61):  # chunk-sized appends, as the recorder makes them
        sw.append(ts[a:a + 61], x[a:a + 61])
        w.flush()
    w.close()
    with open_session(p) as s:
        st = s.streams["plate"]
        assert s.attrs["schema"] == SCHEMA == "gaitlab.session/2" and st.layout == "sparse"
        assert st.n_samples == 500 and "data" not in st.group
        np.testing.assert_array_equal(st.read(si=False).view(np.uint32), x.view(np.uint32))
        np.testing.assert_array_equal(st.read(37, 222).view(np.uint32), x[37:222].view(np.uint32))
        sp = st.read_sparse(37, 222)
        assert sp.shape == (185, 6, 4)
        np.testing.assert_array_equal(sp.to_dense().reshape(185, 24).view(np.uint32),
                                      x[37:222].view(np.uint32))
        with pytest.raises(SessionFileError, match="sparse"):
            st.dataset  # noqa: B018 - no dense dataset to hand out
    # the reconstruction docs/hdf5-schema.md gives for plain h5py
    with h5py.File(p, "r") as f:
        g = f["streams/plate"]
        n = g["frame_points"][:]
        frame = np.repeat(np.arange(n.size), n)
        dense = np.zeros((n.size, g.attrs["channel_count"]), g["point_value"].dtype)
        dense[frame, g["point_sensor"][:]] = g["point_value"][:]
    np.testing.assert_array_equal(dense.view(np.uint32), x.view(np.uint32))


def test_kpa_source_is_scaled_like_the_dense_read(tmp_path: Path) -> None:
    p = tmp_path / "k.h5"
    x = np.abs(awkward_frames(100, 24, seed=2))
    w = SessionWriter(p)
    _, sw = w.add_stream(header_from_xml(pressure_xml("kpa", unit="kPa"), 0.0)[0])
    sw.append(np.arange(100) / 120, x)
    w.close()
    with open_session(p) as s:
        st = s.streams["kpa"]
        dense = st.read()
        np.testing.assert_array_equal(dense, x * np.float32(0.1))  # kPa → N/cm^2
        sp = st.read_sparse()
        np.testing.assert_array_equal(sp.to_dense().reshape(100, 24), dense)


KILLED = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from test_sparse import awkward_frames, pressure_xml
    from gaitlab.io.writer import SessionWriter, header_from_xml
    w = SessionWriter(sys.argv[1])
    _, sw = w.add_stream(header_from_xml(pressure_xml("plate"), 0.0)[0])
    x = awkward_frames(400, 24, seed=3)
    sw.append(np.arange(300.0), x[:300])
    w.flush()
    sw.append(np.arange(300.0, 400.0), x[300:])  # never flushed
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_killed_sparse_writer_keeps_flushed_frames(tmp_path: Path) -> None:
    p = tmp_path / "killed.h5"
    r = subprocess.run([sys.executable, "-c", KILLED, str(p), str(Path(__file__).parent)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == -9, r.stderr
    with open_session(p) as s:
        st = s.streams["plate"]
        assert not s.complete and st.n_samples == 300
        np.testing.assert_array_equal(st.read(si=False).view(np.uint32),
                                      awkward_frames(400, 24, seed=3)[:300].view(np.uint32))


def test_damaged_sparse_stream_gives_one_line_error(tmp_path: Path) -> None:
    p = tmp_path / "d.h5"
    w = SessionWriter(p)
    _, sw = w.add_stream(header_from_xml(pressure_xml("plate"), 0.0)[0])
    sw.append(np.arange(50) / 120, awkward_frames(50, 24))
    w.close()
    with h5py.File(p, "r+") as f:
        ds = f["streams/plate/point_sensor"]
        ds[0] = 999  # a sensor index past the 24 channels
    with open_session(p) as s, pytest.raises(SessionFileError, match="outside"):
        s.streams["plate"].read()
    with h5py.File(p, "r+") as f:
        del f["streams/plate/point_value"]
    with open_session(p) as s, pytest.raises(SessionFileError, match="damaged"):
        s.streams["plate"].read()


def test_schema_1_dense_pressure_still_read(tmp_path: Path) -> None:
    p = tmp_path / "v1.h5"
    x = awkward_frames(60, 24, seed=4)
    with h5py.File(p, "w") as f:
        f.attrs.update({"schema": "gaitlab.session/1", "complete": 1})
        g = f.create_group("streams/plate")
        g.attrs.update({"info_xml": pressure_xml("plate"), "channel_count": 24,
                        "flushed_samples": 60})
        g["time_stamps"] = np.arange(60) / 120
        g["data"] = x
    with open_session(p) as s:
        st = s.streams["plate"]
        assert st.layout == "dense"
        sp = st.read_sparse(5, 55)
        np.testing.assert_array_equal(sp.to_dense().reshape(50, 24).view(np.uint32),
                                      x[5:55].view(np.uint32))
