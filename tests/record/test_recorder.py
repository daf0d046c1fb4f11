"""The recorder against real LSL streams from publisher subprocesses, into real HDF5 files."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pylsl
import pytest

from gaitlab.athlete import load_profile
from gaitlab.io.session import open_session
from gaitlab.record import Recorder, StatusEvent, StreamFilter

pytestmark = pytest.mark.lsl


def emg_spec(uid: str, srate: float = 1000.0, **kw) -> dict:
    return dict(name=f"emg-{uid}", type="EMG", source_id=f"emg-{uid}", channels=4, srate=srate,
                labels=["GMED_L", "GMED_R", "TFL_L", "TFL_R"], units=["uV"] * 4, **kw)


def marker_spec(uid: str) -> dict:
    return dict(name=f"mk-{uid}", type="Markers", source_id=f"mk-{uid}", channels=1, srate=0,
                fmt="string", marker_rate=20.0)


def run_in_thread(rec: Recorder, duration: float | None,
                  stop: threading.Event | None = None) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def target() -> None:
        try:
            out["summary"] = rec.run(duration_s=duration, stop_event=stop)
        except Exception as exc:  # surfaced by the test
            out["error"] = exc

    th = threading.Thread(target=target)
    th.start()
    return th, out


def assert_every_sample(idx: np.ndarray) -> None:
    """Publisher sample i carries value i: consecutive values = no sample lost or repeated."""
    assert idx.size > 0
    np.testing.assert_array_equal(np.diff(idx), 1)


def test_records_numeric_and_markers_roundtrip(tmp_path: Path, uid: str, lsl_publisher) -> None:
    specs = [emg_spec(uid), marker_spec(uid)]
    pub = lsl_publisher(specs)
    out = tmp_path / "s.h5"
    profile = load_profile("default")
    events: list[StatusEvent] = []
    rec = Recorder(out, profile, StreamFilter(source_ids=(f"emg-{uid}", f"mk-{uid}")),
                   events.append, offset_interval_s=1.0)
    summary = rec.run(duration_s=3.0)
    last_pushed = pylsl.local_clock() - pub.t0[f"emg-{uid}"]
    pub.kill()

    assert summary.complete and {s.role for s in summary.streams} == {"emg", "markers"}
    assert any(e.kind == "status" for e in events)
    with h5py.File(out, "r") as f:  # a clean stop opens without SWMR
        assert f.attrs["complete"] == 1 and np.isfinite(f.attrs["stop_lsl_time"])
        assert f.attrs["stop_lsl_time"] > f.attrs["start_lsl_time"]
        ath = f["athlete"].attrs
        assert ath["id"] == profile.athlete.id and ath["involved_side"] == profile.athlete.involved_side
        assert ath["body_mass_kg"] == profile.athlete.body_mass_kg
        assert ath["profile_toml"] == profile.source_text

    with open_session(out) as s:
        (emg,) = s.by_role("emg")
        (mk,) = s.by_role("markers")
        raw = emg.read(si=False)
        idx = raw[:, 0].astype(np.int64)
        assert_every_sample(idx)
        # every channel carries the index; the reader scales uV to V
        np.testing.assert_array_equal(raw, np.repeat(raw[:, :1], 4, axis=1))
        np.testing.assert_allclose(emg.read(), raw * 1e-6, rtol=1e-6)
        # stamps are the publisher's own: t0 + i / srate
        t0 = pub.t0[f"emg-{uid}"]
        np.testing.assert_allclose(emg.time_stamps, t0 + idx / 1000.0, atol=1e-3)
        # the recording reaches (within a flush) what the publisher had pushed at the stop
        assert idx[-1] / 1000.0 > last_pushed - 1.0
        assert emg.spec.labels == ["GMED_L", "GMED_R", "TFL_L", "TFL_R"]
        xml = emg.group.attrs["info_xml"]
        assert f"emg-{uid}" in xml and "<label>GMED_R</label>" in xml and "<unit>uV</unit>" in xml
        offs = emg.clock_offsets
        assert offs.shape[0] >= 2 and offs.shape[1] == 2
        assert np.all(np.abs(offs[:, 1]) < 0.01)  # one machine: offset ~ 0
        assert emg.gaps.shape == (0, 2)
        labels = mk.read()[:, 0]
        nums = np.array([int(x.split()[1]) for x in labels])
        assert_every_sample(nums) and labels[0].startswith("m ")
        assert np.all(np.diff(mk.time_stamps) > 0)


def test_late_stream_is_recorded(tmp_path: Path, uid: str, lsl_publisher) -> None:
    out = tmp_path / "late.h5"
    rec = Recorder(out, None, StreamFilter(source_ids=(f"emg-{uid}",)))
    stop = threading.Event()
    th, res = run_in_thread(rec, None, stop)
    time.sleep(1.5)
    started = pylsl.local_clock()
    pub = lsl_publisher([emg_spec(uid, 500.0)])
    # stop once the file must hold > 1 s of it (the publisher's start-up time does not count)
    while pylsl.local_clock() < min(pub.t0.values()) + 2.5:
        time.sleep(0.1)
    stop.set()
    th.join(timeout=20)
    assert "error" not in res
    with open_session(out) as s:
        (emg,) = s.by_role("emg")
        assert emg.group.attrs["first_seen_lsl_time"] >= started
        assert emg.n_samples > 500  # > 1 s of the 500 Hz stream
        assert_every_sample(emg.read(si=False)[:, 0].astype(np.int64))
        assert s.attrs["start_lsl_time"] < started


def test_stream_lost_and_back_continues_with_gap(tmp_path: Path, uid: str, lsl_publisher) -> None:
    out = tmp_path / "gap.h5"
    events: list[StatusEvent] = []
    rec = Recorder(out, None, StreamFilter(source_ids=(f"emg-{uid}",)), events.append)
    first = lsl_publisher([emg_spec(uid, 500.0)])
    th, res = run_in_thread(rec, 7.0)
    time.sleep(2.0)
    first.kill()
    killed = pylsl.local_clock()
    time.sleep(1.0)
    second = lsl_publisher([emg_spec(uid, 500.0)])
    th.join(timeout=20)
    assert "error" not in res
    stats = res["summary"].streams
    assert len(stats) == 1 and stats[0].reconnects == 1
    assert any("lost" in e.text for e in events if e.kind == "warning")
    with open_session(out) as s:
        assert len(s.streams) == 1  # same layout: the same datasets continue
        (emg,) = s.by_role("emg")
        ts = emg.time_stamps
        gaps = emg.gaps
        assert gaps.shape == (1, 2)
        before, after = gaps[0]
        assert before < killed < after
        assert after - before >= 0.9  # the publisher was down for 1 s
        assert before == ts[ts < after].max() and after == ts[ts >= after].min()
        # data from both publisher runs, each without a hole
        old, new = ts <= before, ts >= after
        assert old.sum() > 500 and new.sum() > 250
        x = emg.read(si=False)[:, 0].astype(np.int64)
        assert_every_sample(x[old]) and assert_every_sample(x[new])
        np.testing.assert_allclose(ts[new], second.t0[f"emg-{uid}"] + x[new] / 500.0, atol=1e-3)


def test_bad_metadata_and_nan_recorded_raw(tmp_path: Path, uid: str, lsl_publisher) -> None:
    specs = [
        # a Pressure stream without desc/geometry
        dict(name=f"press-{uid}", type="Pressure", source_id=f"press-{uid}", channels=6,
             srate=100.0, units=["N/cm^2"] * 6),
        # desc lists 3 channels for a 2-channel stream
        dict(name=f"odd-{uid}", type="EMG", source_id=f"odd-{uid}", channels=2, srate=200.0,
             desc_channels=3),
        emg_spec(uid, 500.0, nan_every=5),
    ]
    lsl_publisher(specs)
    out = tmp_path / "bad.h5"
    rec = Recorder(out, None, StreamFilter(source_ids=tuple(s["source_id"] for s in specs)))
    stop = threading.Event()
    th, res = run_in_thread(rec, None, stop)
    deadline = time.monotonic() + 60  # each stream > 1 s of data, however slow the machine
    while time.monotonic() < deadline and not (
            len(rec.streams()) == 3 and all(st.samples > 150 for st in rec.streams())):
        time.sleep(0.1)
    stop.set()
    th.join(timeout=20)
    assert "error" not in res
    summary = res["summary"]
    roles = {s.name: s.role for s in summary.streams}
    assert roles == {f"press-{uid}": "other", f"odd-{uid}": "other", f"emg-{uid}": "emg"}
    assert sum("recorded raw" in w for w in summary.warnings) == 2
    assert all("\n" not in w for w in summary.warnings)
    nan_reported = {s.name: s.nan_values for s in summary.streams}
    with open_session(out) as s:
        for key, st in s.streams.items():
            x = st.read(si=False)
            assert st.n_samples > 100
            assert_every_sample(x[:, 0].astype(np.int64))
            assert int(np.isnan(x).sum()) == nan_reported[st.spec.name]
            if st.role == "other":
                assert "geometry" in st.group.attrs["metadata_error"] or \
                    "channels" in st.group.attrs["metadata_error"], key
        (emg,) = s.by_role("emg")
        x = emg.read(si=False)
        nan_rows = np.isnan(x[:, 1])
        assert nan_rows.any()
        np.testing.assert_array_equal(nan_rows, x[:, 0].astype(np.int64) % 5 == 0)


def test_emg_montage_is_written_into_the_stream_group_and_used_by_the_analysis(
        tmp_path: Path, uid: str, lsl_publisher) -> None:
    """A montage given before recording, then corrected while recording (the desktop app's
    Montage…), ends up in the stream's group; the reader and ``gaitlab analyze`` apply it."""
    from gaitlab.analysis import analyze_session

    spec = emg_spec(uid, 500.0, noise=True) | {"labels": ["EMG1", "EMG2", "EMG3", "EMG4"]}
    lsl_publisher([spec])
    out = tmp_path / "montage.h5"
    ident = f"sid:emg-{uid}"
    rec = Recorder(out, None, StreamFilter(identities=(ident,)),
                   montages={ident: {"EMG1": "GMED_L", "EMG2": "GMED_R"}})
    th, res = run_in_thread(rec, 4.0)
    time.sleep(2.0)
    rec.set_montage(ident, {"EMG1": "GMED_L", "EMG2": "GMED_R", "EMG3": "TFL_L", "EMG4": "TFL_R"})
    th.join(timeout=20)
    assert "error" not in res
    with open_session(out) as s:
        (emg,) = s.by_role("emg")
        assert emg.montage == {"EMG1": "GMED_L", "EMG2": "GMED_R", "EMG3": "TFL_L", "EMG4": "TFL_R"}
        assert emg.spec.labels == ["EMG1", "EMG2", "EMG3", "EMG4"]  # the source's own labels
    result = analyze_session(out)
    assert sorted(result.metrics["emg"]) == ["GMED_L", "GMED_R", "TFL_L", "TFL_R"]
    assert not any("no channel maps" in w for w in result.warnings)
    # an explicit analysis montage still wins over the file's
    other = analyze_session(out, {"montage": {"EMG4": "GMAX_R"}})
    assert "GMAX_R" in other.metrics["emg"] and "TFL_R" not in other.metrics["emg"]


def test_a_stop_keeps_the_samples_stamped_before_it(tmp_path: Path, uid: str, lsl_publisher) -> None:
    """A device whose samples arrive 0.4 s after their stamps: a stop (the console's Stop,
    Ctrl-C) waits for what was sampled up to its moment instead of cutting 0.4 s off."""
    spec = emg_spec(uid, 500.0)
    spec["lag"] = 0.4
    pub = lsl_publisher([spec])
    out = tmp_path / "lag.h5"
    rec = Recorder(out, None, StreamFilter(source_ids=(f"emg-{uid}",)))
    stop = threading.Event()
    th, res = run_in_thread(rec, None, stop)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (rec.streams() and rec.streams()[0].samples > 500):
        time.sleep(0.05)
    stopped = pylsl.local_clock()
    stop.set()
    th.join(timeout=20)
    assert "error" not in res
    with open_session(out) as s:
        (emg,) = s.by_role("emg")
        last = float(emg.time_stamps[-1])
        assert s.attrs["complete"]
    assert last >= stopped - 0.05, f"the last {stopped - last:.3f} s before the stop are missing"
    assert last > pub.t0[f"emg-{uid}"]
