"""The Mark-10 and generic serial drivers as processes, over a pty and real LSL."""

from __future__ import annotations

import threading
import time

import numpy as np
import pylsl
import pytest

from gaitlab.drivers.emulators.serialport import PtyDevice
from gaitlab.streams import parse_info_xml
from tests.drivers.conftest import run_driver


def _pull_until(inlet: pylsl.StreamInlet, seconds: float, buf: np.ndarray) -> tuple[list, list]:
    vals: list[float] = []
    stamps: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        _, ts = inlet.pull_chunk(timeout=0.1, max_samples=len(buf), dest_obj=buf)
        vals += buf[: len(ts), 0].tolist()
        stamps += ts
    return vals, stamps


def _is_subsequence(got: np.ndarray, sent: np.ndarray) -> bool:
    j = 0
    for g in got:
        hits = np.flatnonzero(np.isclose(sent[j:], g, rtol=1e-6, atol=1e-4))
        if not len(hits):
            return False
        j += int(hits[0]) + 1
    return True


@pytest.mark.lsl
def test_mark10_driver_publishes_newtons_and_survives_unplug(gauge, uid) -> None:
    emu = gauge(unit="LBF", garbage_prob=0.05, split_prob=0.2, error_prob=0.02, seed=7)
    proc = run_driver("mark10", "--port", emu.path, "--source-id", f"m10-{uid}", "--unit", "KGF",
                      "--duration", "8")
    try:
        found = pylsl.resolve_byprop("source_id", f"m10-{uid}", minimum=1, timeout=8.0)
        assert found, "driver stream not found"
        inlet = pylsl.StreamInlet(found[0], max_buflen=30, recover=True)
        spec = parse_info_xml(inlet.info(timeout=5.0).as_xml())
        assert spec.role == "dynamometer"
        assert spec.labels == ["force"] and spec.channels[0].unit == "N"
        assert spec.manufacturer == "Mark-10"
        assert "<model>M5-200</model>" in spec.xml and "<serial>E12345</serial>" in spec.xml
        buf = np.zeros((512, 1), np.float32)
        before, ts1 = _pull_until(inlet, 1.5, buf)
        emu.unplug()
        time.sleep(0.7)
        emu.replug()
        after, ts2 = _pull_until(inlet, 2.0, buf)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "link lost" in out and "reconnected" in out
    assert len(before) > 100 and len(after) > 100  # data flows before and after the replug
    assert emu.unit == "KGF"  # the --unit command reached the gauge
    # every published value is a reading the gauge sent, converted to N, in the order sent
    # (a few may be missing: the handshake readings and the one in flight at the unplug)
    sent = np.asarray(emu.sent_n, np.float32)
    got = np.asarray(before + after, np.float32)
    assert _is_subsequence(got, sent)
    assert np.all(np.diff(ts1) > 0) and np.all(np.diff(ts2) > 0)
    assert abs(ts2[-1] - pylsl.local_clock()) < 10


@pytest.mark.lsl
def test_generic_serial_driver_parses_csv_lines(tmp_path, uid) -> None:
    dev = PtyDevice(tmp_path / "ttyACM-test", on_bytes=lambda b: None)
    dev.plug()
    stop = threading.Event()
    raw = np.arange(2000) % 400 + 1000  # HX711 counts

    def stream() -> None:
        for i, r in enumerate(raw):
            if stop.is_set():
                return
            dev.write(f"{i},{r}\r\n".encode() + (b"\xff\x00garbage\r\n" if i % 97 == 0 else b""))
            time.sleep(0.002)

    proc = run_driver("serial", "--port", dev.link_path.as_posix(), "--csv-column", "1",
                      "--offset", "1000", "--scale", "0.5", "--rate", "500", "--source-id",
                      f"ser-{uid}", "--duration", "5")
    try:
        found = pylsl.resolve_byprop("source_id", f"ser-{uid}", minimum=1, timeout=8.0)
        assert found
        inlet = pylsl.StreamInlet(found[0], max_buflen=30)
        spec = parse_info_xml(inlet.info(timeout=5.0).as_xml())
        assert spec.role == "dynamometer" and spec.channels[0].unit == "N"
        inlet.open_stream(timeout=5.0)
        writer = threading.Thread(target=stream, daemon=True)
        writer.start()
        vals, _ = _pull_until(inlet, 3.0, np.zeros((512, 1), np.float32))
        stop.set()
        writer.join()
        out, _ = proc.communicate(timeout=15)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        dev.close()
    assert proc.returncode == 0, out
    got = np.asarray(vals)
    assert len(got) > 300
    expected = (raw - 1000) * 0.5
    # a contiguous run of the expected values (nothing dropped, nothing invented)
    start = int(np.flatnonzero(expected == got[0])[0])
    np.testing.assert_allclose(got[: 100], expected[start: start + 100])


def test_cli_absent_device_is_one_line_without_traceback(tmp_path) -> None:
    proc = run_driver("mark10", "--port", str(tmp_path / "ttyUSB7"))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "not found" in lines[0]
    assert "Traceback" not in err
