"""Live pelvic drop in the lab monitor (issue #12): the virtual athlete's sacral IMU, pressure
plate and markers over real LSL on loopback."""

from __future__ import annotations

import uuid
from dataclasses import replace

import numpy as np
import pytest

from gaitlab.drivers.virtual.sim import start_sim
from gaitlab.protocols import load_protocol
from tests.live.conftest import monitor_for, wait_for

pytestmark = pytest.mark.lsl


def test_monitor_reports_each_stances_pelvic_drop_after_the_guided_standing(profile) -> None:
    proto = load_protocol("run")
    assert proto.run is not None
    proto = replace(proto, run=replace(proto.run, stand_still_s=4.0))
    h = start_sim(profile, proto, seed=5, instance=f"pelvis-{uuid.uuid4().hex[:12]}",
                  devices="pressure,imu,markers", run_duration_s=16.0, lead_s=1.5, linger_s=2.0)
    try:
        with monitor_for(h) as m:
            assert wait_for(lambda: len(m.keys()) == 3, 10)
            assert m.pelvis_view() is None or m.pelvis_view().reference == ""
            assert wait_for(lambda: (v := m.pelvis_view()) is not None
                            and min(len(v.drops["L"]), len(v.drops["R"])) >= 12, 40)
            v = m.pelvis_view(5.0)
            warnings = list(m.warnings)
    finally:
        h.stop()
    assert not [w for w in warnings if "pelvic" in w], warnings
    assert v.location == "SACRUM" and v.status == "tracking"
    cal = v.calibration
    assert cal is not None and v.reference == "static"
    # the marker stream's static_start/static_end window, on the IMU's clock
    assert cal.standing_from == "static_start/static_end markers"
    a, b = h.model.stand_still
    assert cal.standing_s[0] == pytest.approx(h.t0 + a, abs=0.05)
    assert cal.standing_s[1] == pytest.approx(h.t0 + b, abs=0.05)
    # the trace: 5 s of obliquity at the IMU's rate, within the athlete's range
    assert v.t.size == pytest.approx(5.0 * profile.devices.imu_rate_hz, rel=0.05)
    assert np.all(np.abs(v.obliquity_deg) < 15)
    # per stance: the default athlete's weaker right abductors let the left hip drop more
    c = h.model.contacts
    for side in ("L", "R"):
        got = np.array([d.drop_deg for d in v.drops[side] if np.isfinite(d.drop_deg)])
        assert got.size >= 10
        assert np.mean(got) == pytest.approx(np.mean(c.pelvic_drop_deg[c.side == side]), abs=0.7), side
    assert np.mean([d.drop_deg for d in v.drops["R"]]) > np.mean([d.drop_deg for d in v.drops["L"]])
