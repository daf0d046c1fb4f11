"""LSL side of the virtual devices: stream metadata and the per-device streaming loop.

Each device runs in its own process (see :mod:`gaitlab.drivers.virtual.sim`): it
rebuilds the session model from the same inputs, opens its outlet, waits for the
shared start time t0, then every 10 ms pushes the samples that are due as one numpy
chunk stamped with the LSL time of its last sample (real devices send frames at a similar
pace: a Trigno base station every 13.5 ms, a 120 Hz pressure plate every 8.3 ms).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pylsl

from gaitlab.drivers.common import append_mocap_channels
from gaitlab.drivers.virtual import pelvis, render
from gaitlab.drivers.virtual.model import SessionModel

DEVICES = ("emg", "pressure", "dynamometer", "markers", "imu")
PUSH_PERIOD_S = 0.01  # push cadence, on a fixed grid (time spent rendering is not added)
MAX_CHUNK_S = 0.25  # when catching up, push at most this much per chunk


@dataclass(frozen=True)
class DeviceSpec:
    name: str  # LSL stream name
    type: str
    rate_hz: float
    n_channels: int
    fmt: int
    render: Callable[[SessionModel, int, int], np.ndarray] | None


def device_spec(model: SessionModel, device: str) -> DeviceSpec:
    d = model.profile.devices
    if device == "emg":
        return DeviceSpec("gaitlab-sim EMG", "EMG", d.emg_rate_hz, len(model.emg_channels),
                          pylsl.cf_float32, render.render_emg)
    if device == "pressure":
        return DeviceSpec("gaitlab-sim Pressure", "Pressure", d.pressure_rate_hz,
                          d.pressure_rows * d.pressure_cols, pylsl.cf_float32,
                          render.render_pressure)
    if device == "dynamometer":
        return DeviceSpec("gaitlab-sim Dynamometer", "Force", d.dynamometer_rate_hz, 1,
                          pylsl.cf_float32, render.render_dynamometer)
    if device == "imu":
        return DeviceSpec("gaitlab-sim IMU", "MoCap", d.imu_rate_hz, 6, pylsl.cf_float32,
                          pelvis.render_imu)
    if device == "markers":
        return DeviceSpec("gaitlab-sim Markers", "Markers", pylsl.IRREGULAR_RATE, 1,
                          pylsl.cf_string, None)
    raise ValueError(f"unknown device {device!r}")


def source_id(athlete_id: str, device: str, instance: str) -> str:
    """Stable across restarts, so inlets can recover the stream."""
    return f"gaitlab-sim:{athlete_id}:{device}:{instance}"


def stream_info(model: SessionModel, device: str, instance: str = "0") -> pylsl.StreamInfo:
    """LSL stream info following the gaitlab stream conventions."""
    spec = device_spec(model, device)
    info = pylsl.StreamInfo(spec.name, spec.type, spec.n_channels, spec.rate_hz, spec.fmt,
                            source_id(model.profile.athlete.id, device, instance))
    desc = info.desc()
    desc.append_child_value("manufacturer", "gaitlab")
    desc.append_child_value("model", "virtual athlete")
    desc.append_child_value("serial", f"SIM-{device.upper()}-{instance}")
    if device == "emg":
        chans = desc.append_child("channels")
        for name in model.emg_channels:
            ch = chans.append_child("channel")
            ch.append_child_value("label", name)
            ch.append_child_value("unit", "V")
            ch.append_child_value("type", "EMG")
    elif device == "dynamometer":
        ch = desc.append_child("channels").append_child("channel")
        ch.append_child_value("label", "force")
        ch.append_child_value("unit", "N")
        ch.append_child_value("type", "Force")
    elif device == "imu":  # the XDF MoCap meta-data, as the Trigno driver writes it
        append_mocap_channels(desc, [pelvis.SENSOR_LABEL], pelvis.CHANNEL_KINDS)
    elif device == "pressure":
        d = model.profile.devices
        geo = desc.append_child("geometry")
        geo.append_child_value("rows", str(d.pressure_rows))
        geo.append_child_value("cols", str(d.pressure_cols))
        geo.append_child_value("row_pitch_mm", repr(d.pressure_row_pitch_mm))
        geo.append_child_value("col_pitch_mm", repr(d.pressure_col_pitch_mm))
        desc.append_child_value("unit", "N/cm^2")
        desc.append_child_value("belt_speed_mps", repr(model.belt_speed_mps))
    return info


def stream_device(model: SessionModel, device: str, instance: str, get_t0: Callable[[], float],
                  should_stop: Callable[[], bool], on_ready: Callable[[], None] = lambda: None,
                  linger_s: float = 1.0) -> None:
    """Open the device's outlet and stream the whole session in real time.

    ``get_t0`` returns the LSL time of model time 0 once the parent has chosen it
    (<= 0 before). Returns at the end of the session (after ``linger_s`` so inlets can
    drain) or as soon as ``should_stop()`` is true.
    """
    spec = device_spec(model, device)
    outlet = pylsl.StreamOutlet(stream_info(model, device, instance))
    on_ready()
    while (t0 := get_t0()) <= 0:
        if should_stop():
            return
        time.sleep(0.01)
    if spec.render is None:
        _stream_markers(model, outlet, t0, should_stop)
    else:
        total = render.n_samples(model.duration_s, spec.rate_hz)
        max_chunk = max(1, int(MAX_CHUNK_S * spec.rate_hz))
        sent = 0
        while sent < total and not should_stop():
            now = pylsl.local_clock()
            due = min(total, math.floor((now - t0) * spec.rate_hz) + 1)
            while sent < due:
                n1 = min(due, sent + max_chunk)
                outlet.push_chunk(spec.render(model, sent, n1), t0 + (n1 - 1) / spec.rate_hz)
                sent = n1
            time.sleep(max(0.0, PUSH_PERIOD_S - (pylsl.local_clock() - now)))
    end = time.monotonic() + linger_s
    while time.monotonic() < end and not should_stop():
        time.sleep(0.02)


def _stream_markers(model: SessionModel, outlet: pylsl.StreamOutlet, t0: float,
                    should_stop: Callable[[], bool]) -> None:
    i = 0
    markers = model.markers
    while not should_stop():
        now = pylsl.local_clock() - t0
        while i < len(markers) and markers[i][0] <= now:
            outlet.push_sample([markers[i][1]], t0 + markers[i][0])
            i += 1
        if now >= model.duration_s:
            return
        time.sleep(PUSH_PERIOD_S)
