"""The protocol files and their loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitlab.errors import ProfileError
from gaitlab.protocols import load_protocol, parse_protocol


def test_assessment_is_strength_pause_run(assessment) -> None:
    s = assessment.strength
    assert s is not None and assessment.pause is not None and assessment.run is not None
    assert s.sides() == ["L", "R", "L", "R", "L", "R"]
    assert s.hold_s == pytest.approx(s.contraction_s - s.ramp_s - s.release_s)
    assert 25 <= s.duration_s <= 35  # a demo-sized strength block
    assert assessment.run.duration_s == 40
    assert assessment.pre_run_s == pytest.approx(s.duration_s + assessment.pause.pause_s
                                                 + assessment.run.stand_still_s)


def test_run_protocol_has_no_strength_block(run_only) -> None:
    assert run_only.strength is None and run_only.run is not None
    assert run_only.pre_run_s == run_only.run.stand_still_s == 0


def test_per_side_order() -> None:
    p = parse_protocol('[strength]\norder = "per_side"\nfirst_side = "R"\ntrials_per_side = 2\n')
    assert p.strength is not None and p.strength.sides() == ["R", "R", "L", "L"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[strength]\nramp_s = 3.0\ncontraction_s = 3.0\n", "contraction_s"),
        ("[strength]\norder = 'random'\n", "order"),
        ("[strength]\nwobble = 1\n", "unknown key"),
        ("[run]\nduration_s = -4\n", "run.duration_s"),
        ("[protocol]\nname = 'x'\n", "needs a [strength] or a [run]"),
        ("[warmup]\n", "unknown table"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_bad_protocols_give_one_line_errors(text: str, fragment: str) -> None:
    with pytest.raises(ProfileError) as err:
        parse_protocol(text, "bad.toml")
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_load_by_path_and_missing(tmp_path: Path) -> None:
    f = tmp_path / "short.toml"
    f.write_text("[run]\nduration_s = 5.0\n")
    assert load_protocol(f).run.duration_s == 5.0
    assert load_protocol(str(f)).name == "short"
    with pytest.raises(ProfileError, match="no such protocol"):
        load_protocol(tmp_path / "nope.toml")


def test_assessment_fixes_the_run_speed_and_the_virtual_athlete_keeps_it() -> None:
    from dataclasses import replace

    from gaitlab.athlete import load_profile
    from gaitlab.drivers.virtual.model import build_session

    battery = load_protocol("assessment")
    assert battery.run is not None and battery.run.speed_mps == 3.0  # the clinic's test speed
    assert load_protocol("run").run.speed_mps is None  # not fixed: the profile's speed
    fast = load_profile("default")
    fast = replace(fast, run=replace(fast.run, speed_mps=3.6))
    short = replace(battery, strength=None, pause=None)
    assert build_session(fast, short, seed=1, run_duration_s=3).belt_speed_mps == 3.0
    assert build_session(fast, load_protocol("run"), seed=1, run_duration_s=3).belt_speed_mps == 3.6
    for bad in ("0.1", "true", "'fast'"):
        with pytest.raises(ProfileError, match=r"run\]?[.:] ?speed_mps must be (0\.5–8 m/s|a number)"):
            parse_protocol(f"[run]\nspeed_mps = {bad}\n", "bad.toml")
