"""`gaitlab analyze` on a session with nothing to analyse: a one-line error, non-zero exit
(it used to exit 0 with an all-empty table)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gaitlab.cli import cli
from gaitlab.io.writer import SessionWriter, StreamHeader


def _imu() -> StreamHeader:
    xml = ("<info><name>imu</name><type>IMU</type><channel_count>3</channel_count>"
           "<nominal_srate>100</nominal_srate><channel_format>float32</channel_format></info>")
    return StreamHeader("imu", "IMU", "imu", "host", 3, 100.0, "float32", "imu", xml,
                        ("x", "y", "z"), ("", "", ""), 0.0)


@pytest.mark.parametrize("content", ["no streams", "only an IMU stream"])
def test_analyze_with_nothing_to_analyse_fails_in_one_line(content: str, tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    w = SessionWriter(p)
    if content != "no streams":
        _, sw = w.add_stream(_imu())
        sw.append(np.arange(100) / 100, np.zeros((100, 3), np.float32))
    w.close()
    r = CliRunner().invoke(cli, ["analyze", str(p)])
    assert r.exit_code == 1, r.output
    (line,) = r.stderr.strip().splitlines()
    assert "nothing to analyse" in line and "record again" in line
    assert ("no streams at all" if content == "no streams" else "'imu' (imu, 100 samples)") in line
