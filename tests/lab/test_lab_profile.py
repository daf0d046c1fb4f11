"""The lab profile and the one-device-per-role choice, as pure functions (no LSL)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitlab.errors import GaitlabError, ProfileError, RecordingError
from gaitlab.lab import Device, DeviceChooser, lab_toml, parse_lab, rivals


def dev(role: str, inst: str, host: str = "lab-pc-1", side: str = "", name: str = "") -> Device:
    sid = f"dev:{role}:{inst}"
    return Device(f"sid:{sid}", name or f"{role} device", role.upper(), role, host, sid, side, 1)


def test_profile_round_trip_pins_each_device() -> None:
    mine = [dev("emg", "A"), dev("pressure", "A"), dev("dynamometer", "A")]
    lab = parse_lab(lab_toml("Room 1", mine))
    assert lab.name == "Room 1" and len(lab.devices) == 3
    for d in mine:
        assert lab.rule_for(d) is not None
    assert lab.rule_for(dev("emg", "B")) is None  # other lab: other source_id
    # the same source_id from another host: not ours, and named as a copy or spoof
    spoof = dev("emg", "A", host="other-pc")
    assert lab.rule_for(spoof) is None and "spoof" in lab.impostor(spoof)


def test_host_pattern_rule() -> None:
    lab = parse_lab('[[device]]\nrole = "emg"\nhost = "treadmill-*"\n')
    assert lab.rule_for(dev("emg", "A", host="Treadmill-2")) is not None
    assert lab.rule_for(dev("emg", "A", host="office")) is None


@pytest.mark.parametrize("text, words", [
    ("", "no [[device]]"),
    ("[[device]]\nrole = 'emg'\n", "source_id and/or host"),
    ("[[device]]\nrole = 'brain'\nhost = 'x'\n", "role 'brain'"),
    ("[[device]]\nrole = 'emg'\nhost = 'x'\ncolour = 'red'\n", "unknown key"),
    ("[[device]]\nrole = 'emg'\nhost = 1\n", "string"),
    ("[[device]\n", "not valid TOML"),
    ("[lab]\nname = 3\n[[device]]\nrole = 'emg'\nhost = 'x'\n", "name must be a string"),
    ("[[device]]\nrole = 'emg'\nhost = 'x'\n[[device]]\nrole = 'emg'\nhost = 'x'\n", "the same"),
    ("[[device]]\nrole = 'emg'\nhost = 'x'\nside = 'middle'\n", "side"),
])
def test_bad_profiles_are_one_line_errors(text: str, words: str) -> None:
    with pytest.raises(ProfileError) as e:
        parse_lab(text, "lab.toml")
    assert words in str(e.value) and "\n" not in str(e.value)


def test_start_refuses_two_streams_for_one_role_and_names_them() -> None:
    ch = DeviceChooser()
    with pytest.raises(RecordingError) as e:
        ch.check_start([dev("emg", "A"), dev("emg", "B", host="pc-2"), dev("pressure", "A")])
    msg = str(e.value)
    assert "2 streams would serve one EMG role" in msg and "dev:emg:A" in msg and "pc-2" in msg
    assert "--lab" in msg and "--source-id" in msg and "--host" in msg and "\n" not in msg
    # sides are separate roles; so are unknown streams with different names
    ch.check_start([dev("pressure", "A", side="L"), dev("pressure", "B", side="R"),
                    dev("other", "A", name="x"), dev("other", "B", name="y")])


def test_explicit_choice_and_lab_profile_resolve_the_conflict() -> None:
    a, b = dev("emg", "A"), dev("emg", "B", host="pc-2")
    DeviceChooser(explicit=[a.identity, b.identity]).check_start([a, b])
    lab = parse_lab(lab_toml("mine", [a]))
    ch = DeviceChooser(lab)
    ch.check_start([a, b])
    take, ignored = ch.offer([a, b])
    assert take == [a] and [i.device for i in ignored] == [b]
    assert "not a device of lab profile" in ignored[0].reason


def test_later_rival_is_ignored_never_merged() -> None:
    a, b, c = dev("emg", "A"), dev("emg", "B"), dev("emg", "C")
    ch = DeviceChooser()
    assert ch.offer([a])[0] == [a]
    take, ignored = ch.offer([b])
    assert take == [] and "second EMG device" in ignored[0].reason
    assert ch.offer([a, b])[0] == []  # already decided both ways
    # two rivals arriving together for an empty slot: neither is taken
    ch2 = DeviceChooser()
    take, ignored = ch2.offer([b, c])
    assert take == [] and len(ignored) == 2 and "neither is recorded" in ignored[0].reason
    keys = {a.identity: "EMG"}
    assert json.loads(ch.choice_json(keys)) == {"emg": ["EMG"]}
    assert json.loads(ch.ignored_json())[0]["source_id"] == "dev:emg:B"


def test_rivals_groups() -> None:
    groups = rivals([dev("emg", "A"), dev("emg", "B"), dev("markers", "A")])
    assert len(groups) == 1 and {d.source_id for d in groups[0]} == {"dev:emg:A", "dev:emg:B"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_lab_toml_bytes(data: bytes) -> None:
    """Any bytes: a profile or a one-line ProfileError, nothing else."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        parse_lab(text)
    except GaitlabError as exc:
        assert "\n" not in str(exc)


_value = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.lists(st.text(max_size=3)))
_table = st.dictionaries(st.sampled_from(["role", "source_id", "host", "name", "side", "x"]), _value,
                         max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(_table, max_size=4), st.one_of(st.none(), st.text(max_size=8)))
def test_fuzz_lab_structures(tables: list[dict], name: str | None) -> None:
    """Random tables through TOML: valid ones load, the rest give one line."""
    def q(v: object) -> str:
        return json.dumps(v)
    lines = [] if name is None else ["[lab]", f"name = {q(name)}"]
    for t in tables:
        lines.append("[[device]]")
        lines += [f"{k} = {q(v)}" for k, v in t.items()]
    try:
        lab = parse_lab("\n".join(lines))
    except ProfileError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(r.source_id or r.host for r in lab.devices)
