"""The sim's device processes over real LSL on loopback."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pylsl
import pytest

from gaitlab.drivers.virtual.outlets import DEVICES
from gaitlab.drivers.virtual.sim import start_sim
from gaitlab.streams import parse_info_xml

ROLES = {"emg": "emg", "pressure": "pressure", "dynamometer": "dynamometer",
         "markers": "markers", "imu": "imu"}


@pytest.mark.lsl
def test_sim_processes_stream_over_lsl(profile, run_only, tmp_path) -> None:
    instance = f"test-{uuid.uuid4().hex[:12]}"
    handle = start_sim(profile, run_only, seed=4, instance=instance, run_duration_s=3.0,
                       truth_path=tmp_path / "truth.json", lead_s=2.0, linger_s=2.0)
    try:
        assert set(handle.processes) == set(DEVICES)
        assert all(p.is_alive() for p in handle.processes.values())
        inlets = {}
        for dev, sid in handle.source_ids.items():
            found = pylsl.resolve_byprop("source_id", sid, minimum=1, timeout=5.0)
            assert len(found) == 1, f"stream {sid} not found"
            inlets[dev] = pylsl.StreamInlet(found[0], max_buflen=30)
        specs = {d: parse_info_xml(i.info(timeout=5.0).as_xml()) for d, i in inlets.items()}
        for dev, spec in specs.items():
            assert spec.role == ROLES[dev]
            assert spec.source_id == handle.source_ids[dev]
        assert specs["emg"].labels == list(profile.emg.muscles)
        assert [c.unit for c in specs["emg"].channels] == ["V"] * 6
        geo = specs["pressure"].geometry
        assert geo is not None and (geo.rows, geo.cols) == (128, 42)
        assert geo.belt_speed_mps == pytest.approx(profile.run.speed_mps)
        assert specs["dynamometer"].labels == ["force"]
        imu = specs["imu"]  # the sacral sensor, in the Trigno driver's MoCap meta-data
        assert imu.type == "MoCap" and len(imu.labels) == 6
        assert imu.labels[0] == "SACRUM_AccelerationX" and imu.labels[3] == "SACRUM_AngularVelocityX"
        assert [c.unit for c in imu.channels] == ["g"] * 3 + ["deg/s"] * 3

        emg_buf = np.zeros((4096, 6), np.float32)
        p_buf = np.zeros((64, 5376), np.float32)
        emg, emg_ts, p_max, markers, n_imu = [], [], [], [], 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = handle.wait(timeout=0) == 0
            _, st = inlets["emg"].pull_chunk(timeout=0.05, max_samples=4096, dest_obj=emg_buf)
            emg.append(emg_buf[: len(st)].copy())
            emg_ts += st
            _, st = inlets["pressure"].pull_chunk(max_samples=64, dest_obj=p_buf)
            p_max += list(p_buf[: len(st)].max(axis=1))
            markers += [s[0] for s in inlets["markers"].pull_chunk()[0]]
            n_imu += len(inlets["imu"].pull_chunk(max_samples=1024)[1])
            if done and not st:
                break
        assert handle.wait(timeout=10) == 0
    finally:
        handle.stop()
    assert handle.failed() == []
    n_emg = sum(len(e) for e in emg)
    session_s = 3.0
    assert n_emg == pytest.approx(session_s * 2000, abs=5)  # the whole session arrived
    step = np.diff(np.asarray(emg_ts))
    np.testing.assert_allclose(step, 1 / 2000, atol=1e-6)
    assert emg_ts[0] == pytest.approx(handle.t0, abs=1e-6)
    signal = np.concatenate(emg)
    assert 1e-6 < np.sqrt(np.mean(signal**2)) < 1e-3  # volts, EMG-sized
    assert len(p_max) == pytest.approx(session_s * 120, abs=2)
    assert n_imu == pytest.approx(session_s * profile.devices.imu_rate_hz, abs=2)
    assert max(p_max) > 10  # the runner's feet are on the pressure belt
    assert markers == ["block_start treadmill_run", "block_end treadmill_run"]
    assert (tmp_path / "truth.json").exists()


@pytest.mark.lsl
def test_dead_device_process_is_reported(profile, run_only, capfd) -> None:
    handle = start_sim(profile, run_only, seed=1, instance=f"test-{uuid.uuid4().hex[:12]}",
                       devices="emg,markers", run_duration_s=30.0, lead_s=0.2)
    try:
        handle.processes["emg"].kill()
        assert handle.wait(timeout=15) == 1
        assert not any(p.is_alive() for p in handle.processes.values())
    finally:
        handle.stop()
    err = capfd.readouterr().err
    assert "device process died: emg" in err
