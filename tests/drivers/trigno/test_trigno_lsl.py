"""The Trigno driver as a process against the TCP emulator, over real LSL."""

from __future__ import annotations

import functools
import subprocess
import sys
import time

import numpy as np
import pylsl
import pytest

from gaitlab.drivers.emulators.trigno import TrignoEmulator
from gaitlab.drivers.trigno.bridge import TrignoBridge, TrignoOptions
from gaitlab.drivers.trigno.transport import CommandLink, discover
from gaitlab.errors import GaitlabError
from gaitlab.streams import parse_info_xml
from tests.drivers.conftest import run_driver


@pytest.fixture
def base(emulators):
    return functools.partial(emulators, TrignoEmulator)


def _args(emu: TrignoEmulator) -> list[str]:
    return ["--host", "127.0.0.1", "--cmd-port", str(emu.ports["cmd"]), "--emg-port",
            str(emu.ports["emg"]), "--aux-port", str(emu.ports["aux"])]


def test_discovery_with_garbage_on_the_command_port(base) -> None:
    emu = base(active=(2, 5), garbage=True)
    link = CommandLink("127.0.0.1", emu.ports["cmd"])
    cfg = discover(link)
    link.close()
    assert "Trigno" in cfg.banner
    assert [s.slot for s in cfg.sensors] == [2, 5]
    assert cfg.emg_rate_hz == pytest.approx(2000.0)
    assert cfg.aux_rate_hz == pytest.approx(148.148, abs=1e-3)
    assert {s.units for s in cfg.sensors} == {"V"}


def test_error_replies_and_absent_server_are_one_line_errors(base) -> None:
    emu = base(invalid=("FRAME INTERVAL?",))
    opts = TrignoOptions(cmd_port=emu.ports["cmd"], emg_port=emu.ports["emg"],
                         aux_port=emu.ports["aux"])
    with pytest.raises(GaitlabError, match="not a number") as info:
        TrignoBridge(opts, lambda m: None).run()
    assert "\n" not in str(info.value)
    none_active = base(active=())
    opts.cmd_port = none_active.ports["cmd"]
    with pytest.raises(GaitlabError, match="no active Trigno sensors"):
        TrignoBridge(opts, lambda m: None).run()
    emu.close()
    proc = subprocess.run([sys.executable, "-m", "gaitlab.drivers.cli", "trigno", *_args(emu)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    err = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and "no Trigno SDK server" in err[0] and "Traceback" not in proc.stderr


@pytest.mark.lsl
def test_trigno_driver_streams_active_sensors_and_recovers(base, tmp_path, uid) -> None:
    emu = base(active=(1, 3, 4), split=True)
    montage = tmp_path / "montage.toml"
    montage.write_text('[sensors]\n1 = "GMED_L"\n3 = "TFL_L"\n4 = "GMAX_R"\n9 = "GMED_R"\n')
    proc = run_driver("trigno", *_args(emu), "--montage", str(montage), "--serial", "SN-TEST",
                      "--source-id", f"trg-{uid}", "--duration", "7")
    try:
        emg_si = pylsl.resolve_byprop("source_id", f"trg-{uid}:emg", minimum=1, timeout=8.0)
        aux_si = pylsl.resolve_byprop("source_id", f"trg-{uid}:aux", minimum=1, timeout=8.0)
        assert emg_si and aux_si
        emg = pylsl.StreamInlet(emg_si[0], max_buflen=30, recover=True)
        aux = pylsl.StreamInlet(aux_si[0], max_buflen=30, recover=True)
        spec = parse_info_xml(emg.info(timeout=5).as_xml())
        aspec = parse_info_xml(aux.info(timeout=5).as_xml())
        assert spec.role == "emg" and spec.labels == ["GMED_L", "TFL_L", "GMAX_R"]
        assert spec.emg_muscles() == {0: ("GMED", "L"), 1: ("TFL", "L"), 2: ("GMAX", "R")}
        assert [c.unit for c in spec.channels] == ["V"] * 3 and spec.manufacturer == "Delsys"
        assert "<serial>SN-TEST</serial>" in spec.xml
        assert spec.nominal_srate == pytest.approx(2000.0)
        assert aspec.role == "imu" and aspec.channel_count == 27
        assert aspec.labels[:3] == ["GMED_L_AccelerationX", "GMED_L_AccelerationY",
                                    "GMED_L_AccelerationZ"]
        assert aspec.channels[3].unit == "deg/s"
        buf = np.zeros((4096, 3), np.float32)
        abuf = np.zeros((512, 27), np.float32)
        x, ts, a = [], [], []

        def pull(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                _, t = emg.pull_chunk(timeout=0.05, max_samples=4096, dest_obj=buf)
                x.append(buf[: len(t)].copy())
                ts.extend(t)
                _, t = aux.pull_chunk(max_samples=512, dest_obj=abuf)
                a.append(abuf[: len(t)].copy())

        pull(1.5)
        n_before = sum(len(c) for c in x)
        emu.drop()  # network gone mid-stream
        pull(2.5)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "link lost" in out and "reconnected" in out and "montage sensors not active: [9]" in out
    sig = np.concatenate(x)
    assert n_before > 1500 and len(sig) - n_before > 1500
    # each published channel carries its own slot's signal (slot * 1 mV offset)
    np.testing.assert_allclose(sig.mean(axis=0), [1e-3, 3e-3, 4e-3], atol=2e-5)
    assert np.abs(sig - np.array([1e-3, 3e-3, 4e-3])).max() <= 1.001e-4  # 0.1 mV sine on top
    steps = np.diff(np.asarray(ts[:n_before]))
    np.testing.assert_allclose(steps, 1 / 2000, atol=1e-7)
    auxd = np.concatenate(a)
    assert len(auxd) > 100
    np.testing.assert_allclose(auxd[0, :9], 1 + np.arange(9) / 10, rtol=1e-6)
    np.testing.assert_allclose(auxd[0, 9:18], 3 + np.arange(9) / 10, rtol=1e-6)
