"""The serial transport against the emulated gauge on a real pty (pyserial, no mocks)."""

from __future__ import annotations

import time

import pytest

from gaitlab.drivers.mark10.bridge import Mark10Bridge, SerialConfig
from gaitlab.drivers.mark10.protocol import ErrorReply, Reading, TextReply
from gaitlab.drivers.mark10.transport import LinkLost, Mark10Link, open_port
from gaitlab.errors import GaitlabError


def test_request_reply_units_and_zero(gauge) -> None:
    emu = gauge()
    link = Mark10Link(open_port(emu.path, 115200))
    try:
        assert link.request("RS", 1.0) == TextReply("E12345")
        assert link.request("BOGUS", 1.0) == ErrorReply(10)
        ev = link.request("?C", 1.0)
        assert isinstance(ev, Reading) and ev.unit == "N"
        assert ev.newtons == pytest.approx(emu.sent_n[-1])
        link.send("LBF")
        ev = link.request("?C", 1.0)
        assert isinstance(ev, Reading) and ev.unit == "lbF"
        assert ev.newtons == pytest.approx(emu.sent_n[-1])  # converted back to N
        link.send("Z")
        ev = link.request("?C", 1.0)
        assert isinstance(ev, Reading) and abs(ev.newtons) < 20  # zeroed near the current load
    finally:
        link.close()


def test_partial_frames_and_garbage_still_pair_replies(gauge) -> None:
    emu = gauge(garbage_prob=0.3, split_prob=0.5, seed=3)
    link = Mark10Link(open_port(emu.path, 115200))
    try:
        got = []
        for _ in range(150):
            ev = link.request("?C", 1.0, (Reading, ErrorReply))
            assert isinstance(ev, Reading)
            got.append(ev.newtons)
        assert got == pytest.approx(emu.sent_n)  # every reply, in order, none mixed up
        assert link.parser.dropped_bytes > 0  # the noise really was there
    finally:
        link.close()


def test_unplugged_gauge_raises_link_lost(gauge) -> None:
    emu = gauge()
    link = Mark10Link(open_port(emu.path, 115200))
    assert isinstance(link.request("?C", 1.0), Reading)
    emu.unplug()
    with pytest.raises(LinkLost):
        for _ in range(20):
            link.request("?C", 0.1)
    link.close()


def test_absent_port_is_a_one_line_error(tmp_path) -> None:
    with pytest.raises(GaitlabError, match="not found") as info:
        open_port(str(tmp_path / "ttyUSB9"), 115200)
    assert "\n" not in str(info.value)


def test_silent_gauge_wrong_baud_is_a_one_line_error(gauge) -> None:
    emu = gauge()
    emu.silent = True
    t0 = time.monotonic()
    with pytest.raises(GaitlabError, match="baud") as info:
        Mark10Bridge(SerialConfig(port=emu.path, reply_timeout_s=0.2), status=lambda m: None).run()
    assert time.monotonic() - t0 < 5
    assert "\n" not in str(info.value)


def test_legacy_firmware_falls_back_to_plain_question_mark(gauge) -> None:
    emu = gauge(legacy_poll=True)
    bridge = Mark10Bridge(SerialConfig(port=emu.path, source_id="unused"), status=lambda m: None)
    end = time.monotonic() + 0.5
    bridge.run(lambda: time.monotonic() > end)
    assert bridge.poll_cmd == "?"
    assert bridge.buffer is not None and bridge.buffer.total > 10
    assert emu.commands.count("?C") == 1  # asked once, then never again


def test_bad_unit_option_is_rejected_before_opening(tmp_path) -> None:
    with pytest.raises(GaitlabError, match="unit command"):
        Mark10Bridge(SerialConfig(port=str(tmp_path / "x"), set_unit="PSI"))
