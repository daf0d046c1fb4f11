"""The rehab program as data: the shipped ITBS program, validation errors, progress."""

from __future__ import annotations

import tomllib

import pytest

from gaitlab.errors import ProfileError
from gaitlab.protocols.program import (
    builtin_program_path,
    load_program,
    parse_program,
    program_status,
    program_week,
)

SHIPPED = builtin_program_path("itbs").read_text(encoding="utf-8")


def test_shipped_program_matches_the_issue_prescription() -> None:
    p = load_program("itbs")
    assert [ph.number for ph in p.phases] == [1, 2, 3, 4]
    strength = p.strengthening_phase()
    assert strength is not None and strength.number == 3
    assert strength.sessions_per_week == 3 and strength.non_consecutive_days
    doses = {e.id: e.dose for e in strength.exercises}
    assert doses == {
        "clamshell": "3×15–20 reps", "side_lying_abduction": "3×12–15 reps",
        "glute_bridge": "3×15 reps", "single_leg_bridge": "3×10–12 reps",
        "lateral_band_walk": "3×10–15 steps each way", "single_leg_box_squat": "3×8–10 reps"}
    load = p.phases[0]
    assert load.run_volume_change_pct == (-70, -50) and load.cross_training
    assert any("lateral knee" in a for a in p.phases[1].avoid)
    assert p.gait.cadence_target_spm == (170, 180) and p.gait.cadence_increase_pct == (5, 10)
    assert p.return_to_run.pain_free_daily_days == (5, 7) and p.return_to_run.warning_signs
    assert p.return_to_run.schedule[0].minutes == (10, 15)
    assert p.assessment.protocol == "assessment"


def test_clinic_program_file_by_path(tmp_path) -> None:
    f = tmp_path / "clinic.toml"
    f.write_text(SHIPPED.replace('name = "itbs"', 'name = "clinic-x"'), encoding="utf-8")
    assert load_program(f).name == "clinic-x"


@pytest.mark.parametrize("old,new,expect", [
    ("reps = [15, 20]", "reps = [20, 15]", "must not decrease"),
    ("sets = 3\n  reps = [12, 15]", "sets = 0\n  reps = [12, 15]", "sets"),
    ('schema = "gaitlab.program/1"', 'schema = "other/9"', "schema"),
    ("weeks = [2, 8]", "weeks = [2, 80]", "weeks"),
    ("cadence_target_spm = [170, 180]", "cadence_target_spm = 175", "two-element list"),
    ("[gait_retraining]", "[gait_retraining]\ncolour = 1", "unknown key(s) colour"),
    ("number = 2", "number = 1", "unique and increasing"),
    ("[program]", "[program\n", "not valid TOML"),
])
def test_bad_program_is_one_line_error(old: str, new: str, expect: str) -> None:
    text = SHIPPED.replace(old, new, 1)
    assert text != SHIPPED
    with pytest.raises(ProfileError) as ei:
        parse_program(text, "clinic.toml")
    msg = str(ei.value)
    assert expect in msg and "\n" not in msg and msg.startswith("clinic.toml")


def test_missing_program_and_bad_protocol_reference(tmp_path) -> None:
    with pytest.raises(ProfileError, match="no such rehab program"):
        load_program(tmp_path / "nope.toml")
    f = tmp_path / "p.toml"
    f.write_text(SHIPPED.replace('protocol = "assessment"', 'protocol = "nosuch"'), encoding="utf-8")
    with pytest.raises(ProfileError, match="protocol 'nosuch' does not load"):
        load_program(f)


def test_status_lists_unmet_return_to_run_criteria() -> None:
    p = load_program()
    need = int(tomllib.loads(SHIPPED)["return_to_run"]["pain_free_daily_days"][0])
    early = program_status(p, 1)
    assert not early.ready_to_run
    assert {ph.number for ph in early.phases} == {1, 2}
    assert all("not logged" in u for u in early.unmet)
    short = program_status(p, 6, pain_free_days=need - 1, phase3_pain_free=True, pain_nrs=0)
    assert not short.ready_to_run and len(short.unmet) == 1 and f"only {need - 1}" in short.unmet[0]
    ok = program_status(p, 8, pain_free_days=need, phase3_pain_free=True, pain_nrs=0,
                        baseline_cadence_spm=160.0, cadence_spm=170.0)
    assert ok.ready_to_run and not ok.unmet
    assert any(d.startswith("Return to running") for d in ok.due)
    assert any("168–176 spm" in d for d in ok.due)  # +5–10 % of the 160 spm baseline
    hurt = program_status(p, 8, pain_free_days=need, phase3_pain_free=True, pain_nrs=3)
    assert not hurt.ready_to_run and "3/10" in hurt.unmet[0]


def test_program_week_counts_whole_weeks_from_the_start() -> None:
    start = "2026-01-06"
    days = {"2026-01-05": 0, "2026-01-06": 1, "2026-01-12": 1, "2026-01-13": 2,
            "2026-02-02": 4, "2026-03-02": 8, "2026-03-03": 9}
    assert {d: program_week(start, d) for d in days} == days
    with pytest.raises(ProfileError, match="not a date"):
        program_week(start, "02/03/2026")


def test_status_with_unknown_week_or_before_the_start() -> None:
    p = load_program()
    unknown = program_status(p, None, pain_free_days=9, phase3_pain_free=True, pain_nrs=0)
    assert unknown.week is None and unknown.phases == [] and unknown.ready_to_run
    assert unknown.week_text == "week unknown"
    before = program_status(p, 0)
    assert before.week == 0 and {ph.number for ph in before.phases} == {1, 2}
    assert "not started" in before.week_text
