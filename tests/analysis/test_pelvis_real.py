"""Pelvic drop on a real treadmill run (issue #12): RBDS0041 at 2.5 m/s (shared/data/real).

The marker source against the definition coded apart from gaitlab (scipy), the IMU path on
a virtual sacral IMU driven by the real pelvis against the marker path (the issue's goals:
mean peak drop within 1.0° per side, obliquity-curve RMSE ≤ 1.5°), and the foot-marker
gait events against the force plate. Full tables: benchmarks/pelvis_real.py and
docs/validation.md. Skipped where shared/data/real is not beside the repository.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


R = _load("_real_pelvis")
pytestmark = pytest.mark.skipif(R.real_dir() is None or not (R.real_dir() / "RBDS0041static.txt").exists(),
                                reason="shared/data/real (RBDS0041) not available")


@pytest.fixture(scope="module")
def trial() -> Any:
    return R.load("T25")


@pytest.fixture(scope="module")
def bench() -> Any:
    return _load("pelvis_real")


@pytest.fixture(scope="module")
def markers(trial: Any, bench: Any) -> dict[str, Any]:
    return bench.marker_side(trial, step=5)


def test_marker_obliquity_equals_the_independently_coded_definition(markers: dict[str, Any]) -> None:
    assert markers["isb"]["max"] < 1e-9
    # the 4-marker rigid fit differs by skin motion only: mean peak drop within 1° (0.60 measured;
    # every 5th frame computed here, the rest interpolated)
    assert markers["rigid"]["d_drop"] < 1.0
    assert markers["metrics"]["n_cycles"] == {"L": 39, "R": 39}


def test_virtual_sacral_imu_matches_the_markers(trial: Any, markers: dict[str, Any], bench: Any) -> None:
    r = bench.imu_side(trial, markers, "vqf", 0, 10.0)
    assert r["sign_from"] == "stance_braking"
    assert max(abs(r["d_drop"]["L"]), abs(r["d_drop"]["R"])) <= 1.0, r["d_drop"]
    assert r["curve_rmse"] <= 1.5
    assert r["still_found"] is not None and r["still_found"][1] <= r["still_true"][1] + 0.5 * trial.fs


def test_foot_marker_events_against_the_force_plate(trial: Any, bench: Any) -> None:
    used = bench.event_errors(trial)[0]
    assert used["n"] == 78
    assert abs(used["ic_mean"]) < 40 and used["ic_sd"] < 10  # heel extreme comes ~25 ms early
    assert abs(used["to_mean"]) < 15 and used["to_sd"] < 12
    assert np.isfinite(used["to_mean"])
