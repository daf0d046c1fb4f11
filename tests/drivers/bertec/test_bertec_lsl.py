"""The Bertec driver against its TCP emulator: real sockets, real subprocess, real LSL."""

from __future__ import annotations

import functools
import select
import subprocess
import sys
import time

import numpy as np
import pylsl
import pytest

from gaitlab.drivers.bertec.protocol import FeedbackParser, build_command
from gaitlab.drivers.bertec.transport import BertecControl
from gaitlab.drivers.emulators.bertec import BertecEmulator
from gaitlab.streams import parse_info_xml
from tests.drivers.conftest import run_driver


@pytest.fixture
def treadmill(emulators):
    return functools.partial(emulators, BertecEmulator)


def _read(sock, parser: FeedbackParser, seconds: float) -> np.ndarray:
    out, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        if select.select([sock], [], [], 0.05)[0]:
            out.append(parser.feed(sock.recv(65536)))
    return np.concatenate(out)


def test_corrupt_command_rejected_and_set_speed_ramps(treadmill) -> None:
    emu = treadmill(split=True, garbage=0.1)
    ctl = BertecControl.open("127.0.0.1", emu.port)
    bad = bytearray(build_command(2.0, 2.0, 1.0))
    bad[20] ^= 0x10  # complement byte no longer matches
    ctl.sock.sendall(bytes(bad))
    parser = FeedbackParser()
    still = _read(ctl.sock, parser, 0.4)
    assert emu.rejected == 1 and emu.commands == [] and (still[:, :2] == 0).all()
    ctl.set_speed(left=0.8, right=1.2, accel=2.0, incline_deg=1.5)
    fb = _read(ctl.sock, parser, 1.2)
    ctl.close()
    assert len(emu.commands) == 1 and parser.resyncs > 0
    np.testing.assert_array_equal(fb[-1, :2], [1200, 800])  # right, left in mm/s
    # belts ramp at the commanded 2 m/s^2: 20 mm/s per 10 ms frame (frames lost to
    # garbage make a few steps 40 mm/s, never more than 2 frames' worth)
    step = np.diff(fb[fb[:, 0] < 1200, 0])
    assert np.median(step) == 20 and step.max() <= 40
    assert (fb[:, 4] == 150).all()


def test_absent_control_panel_is_a_one_line_error(treadmill) -> None:
    emu = treadmill()
    port = emu.port
    emu.close()
    proc = subprocess.run([sys.executable, "-m", "gaitlab.drivers.cli", "bertec", "--port",
                           str(port), "--duration", "2"], capture_output=True, text=True, timeout=30)
    err = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(err) == 1 and "no Bertec Treadmill Control Panel" in err[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.lsl
def test_bertec_driver_publishes_belt_speed_sets_speed_and_recovers(treadmill, uid) -> None:
    emu = treadmill(split=True, garbage=0.03, corrupt=0.02, rate_hz=100.0)
    proc = run_driver("bertec", "--port", str(emu.port), "--speed", "1.2", "--accel", "2",
                      "--serial", "TM-TEST", "--source-id", f"btc-{uid}", "--duration", "6")
    try:
        found = pylsl.resolve_byprop("source_id", f"btc-{uid}", minimum=1, timeout=8.0)
        assert found
        inlet = pylsl.StreamInlet(found[0], max_buflen=30, recover=True)
        spec = parse_info_xml(inlet.info(timeout=5).as_xml())
        assert spec.type == "BeltSpeed" and spec.labels == ["speed_L", "speed_R"]
        assert [c.unit for c in spec.channels] == ["m/s", "m/s"] and spec.manufacturer == "Bertec"
        assert spec.si_scale() == [1.0, 1.0] and spec.nominal_srate == 100.0
        assert "<serial>TM-TEST</serial>" in spec.xml
        buf = np.zeros((1024, 2), np.float32)
        x, ts = [], []

        def pull(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                _, t = inlet.pull_chunk(timeout=0.05, max_samples=1024, dest_obj=buf)
                x.append(buf[: len(t)].copy())
                ts.extend(t)

        pull(1.8)
        n_before = sum(len(c) for c in x)
        emu.drop()
        pull(2.0)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "link lost" in out and "reconnected" in out and "belts set to L 1.2, R 1.2" in out
    sig = np.concatenate(x)
    assert n_before > 100 and len(sig) - n_before > 100
    np.testing.assert_allclose(sig[n_before - 1], [1.2, 1.2], atol=1e-6)  # commanded speed reached
    np.testing.assert_allclose(sig[-1], [1.2, 1.2], atol=1e-6)
    assert (sig >= 0).all() and (sig <= 1.2 + 1e-6).all()  # corrupt frames never published
    assert np.median(np.diff(ts[:n_before])) == pytest.approx(0.01, abs=1e-4)
    # on exit the driver ramps the belts down (stop command received by the treadmill)
    time.sleep(0.2)
    assert emu.commands[-1].speed_l == 0.0 and emu.commands[-1].speed_r == 0.0
    assert emu.rejected == 0
