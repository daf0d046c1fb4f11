"""Athlete profiles: the shipped ones load; bad ones fail with one line that says what to fix."""

import pytest

from gaitlab.athlete import builtin_profile_path, load_profile, parse_profile
from gaitlab.errors import ProfileError


def test_default_profile_loads_with_all_sections():
    p = load_profile()
    assert p.athlete.involved_side == "R"
    assert set(p.emg.muscles) >= {"GMED_L", "GMED_R", "TFL_L", "TFL_R"}
    assert p.strength.hip_abduction_N["R"] < p.strength.hip_abduction_N["L"]
    assert p.devices.pressure_rows * p.devices.pressure_cols == 5376
    assert "[athlete]" in p.source_text


@pytest.mark.parametrize("name", ["default", "healthy"])
def test_builtin_profiles_exist(name):
    assert builtin_profile_path(name).exists()
    assert load_profile(name).athlete.id


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[athlete\nid='x'", "not valid TOML"),
        ("[run]\nspeed_mps=3", "no [athlete] table"),
        ("[athlete]\nid='x'\nheight_cm=170", "unknown key(s) height_cm"),
        ("[athlete]\nid='x'\ninvolved_side='left'", "involved_side"),
        ("[athlete]\nid='x'\n[emg]\nmains_hz=55", "mains_hz"),
        ("[athlete]\nid='x'\n[emg.muscles]\nGMED_L={onset_ms=10, offset_ms=5, peak_pct_mvc=40}",
         "offset_ms must be after onset_ms"),
        ("[athlete]\nid='x'\n[strength]\nhip_abduction_N={L=100}", "needs L and R"),
        ("athlete = 3", "profile [athlete] must be a table"),
        ("emg = 3\n[athlete]\nid='x'", "[emg] and [emg.muscles] must be tables"),
    ],
)
def test_bad_profiles(text, fragment):
    with pytest.raises(ProfileError) as exc:
        parse_profile(text)
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_profile_file(tmp_path):
    with pytest.raises(ProfileError, match="no such athlete profile"):
        load_profile(tmp_path / "nobody.toml")


def test_save_athlete_writes_a_profile_that_loads(tmp_path, monkeypatch):
    from gaitlab.athlete import Athlete, save_athlete, user_athletes_dir

    monkeypatch.setenv("GAITLAB_HOME", str(tmp_path))
    a = Athlete(id="rn-07", name='Ana "Runner" Ruiz', sex="F", body_mass_kg=58.5, height_m=1.64,
                leg_length_m=0.86, lever_arm_m=0.41, involved_side="L")
    path = save_athlete(a)
    assert path == user_athletes_dir() / "rn-07.toml" == tmp_path / "athletes" / "rn-07.toml"
    assert load_profile(path).athlete == a
    with pytest.raises(ProfileError, match="exists"):
        save_athlete(a)
    with pytest.raises(ProfileError, match="athlete id"):
        save_athlete(Athlete(id="../evil"))
    with pytest.raises(ProfileError, match="body_mass_kg"):
        save_athlete(Athlete(id="heavy", body_mass_kg=900.0))
